//! The consuming reader ([`Params`]): takes each field an endpoint knows
//! from one level of the decoded form, as a typed value, with Stripe's
//! messages for missing, empty, invalid and unknown parameters.

use super::{parse, Value};
use crate::http::stripe::error::StripeError;

/// A consuming reader over one level of the form.
#[derive(Debug)]
pub struct Params {
    prefix: String,
    entries: Vec<(String, Value)>,
}

/// How a value is rendered in an error message.
fn shown(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        _ => "an object".to_owned(),
    }
}

impl Params {
    /// The top level of a request.
    pub fn new(entries: Vec<(String, Value)>) -> Self {
        Self {
            prefix: String::new(),
            entries,
        }
    }

    /// Parse a body or query string.
    pub fn from_bytes(input: &[u8]) -> Result<Self, StripeError> {
        Ok(Self::new(parse(input)?))
    }

    /// The Stripe path of a field of this level (`line_items[0][price]`).
    pub fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}[{key}]", self.prefix)
        }
    }

    /// Whether the field was sent.
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// Take a field's raw value.
    pub fn take(&mut self, key: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    /// Every remaining entry, for maps with free keys (metadata).
    pub fn drain(&mut self) -> Vec<(String, Value)> {
        std::mem::take(&mut self.entries)
    }

    /// Fail with Stripe's unknown-parameter error if anything is left.
    pub fn finish(self) -> Result<(), StripeError> {
        if self.entries.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = self.entries.iter().map(|(k, _)| self.path(k)).collect();
        let message = if names.len() == 1 {
            format!("Received unknown parameter: {}", names[0])
        } else {
            format!("Received unknown parameters: {}", names.join(", "))
        };
        Err(StripeError::invalid_request(message, Some(names[0].clone())).code("parameter_unknown"))
    }

    /// A string field. `""` reads as `Some("")`; see [`Params::opt_str`].
    pub fn raw_str(&mut self, key: &str) -> Result<Option<String>, StripeError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(StripeError::invalid_request(
                format!(
                    "Invalid string: {{...}}. `{}` must be a string.",
                    self.path(key)
                ),
                Some(self.path(key)),
            )),
        }
    }

    /// A string field where `""` is not allowed to unset it, with a maximum
    /// length in characters.
    pub fn string(&mut self, key: &str, max: usize) -> Result<Option<String>, StripeError> {
        match self.raw_str(key)? {
            None => Ok(None),
            Some(s) if s.is_empty() => Err(self.empty_error(key)),
            Some(s) => self.check_len(key, s, max).map(Some),
        }
    }

    /// A string field that `""` unsets: `Some(None)` means "clear it".
    pub fn emptyable_string(
        &mut self,
        key: &str,
        max: usize,
    ) -> Result<Option<Option<String>>, StripeError> {
        match self.raw_str(key)? {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(Some(None)),
            Some(s) => self.check_len(key, s, max).map(|s| Some(Some(s))),
        }
    }

    /// A required string.
    pub fn required_string(&mut self, key: &str, max: usize) -> Result<String, StripeError> {
        self.string(key, max)?.ok_or_else(|| self.missing(key))
    }

    fn check_len(&self, key: &str, s: String, max: usize) -> Result<String, StripeError> {
        let len = s.chars().count();
        if len > max {
            Err(StripeError::invalid_request(
                format!(
                    "Invalid string: {}; must be at most {max} characters",
                    truncate_for_message(&s)
                ),
                Some(self.path(key)),
            )
            .code("string_too_long"))
        } else {
            Ok(s)
        }
    }

    /// Stripe's error for a required parameter that is absent.
    pub fn missing(&self, key: &str) -> StripeError {
        let path = self.path(key);
        StripeError::invalid_request(format!("Missing required param: {path}."), Some(path))
            .code("parameter_missing")
    }

    /// Stripe's error for `""` on a field that cannot be unset.
    pub fn empty_error(&self, key: &str) -> StripeError {
        let path = self.path(key);
        StripeError::invalid_request(
            format!("You passed an empty string for '{path}'. We assume empty values are an attempt to unset a parameter; however '{path}' cannot be unset. You should remove '{path}' from your request or supply a non-empty value."),
            Some(path),
        )
        .code("parameter_invalid_empty")
    }

    /// An integer field.
    pub fn int(&mut self, key: &str) -> Result<Option<i64>, StripeError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Str(s)) if s.is_empty() => Err(self.empty_error(key)),
            Some(Value::Str(s)) => s.parse::<i64>().map(Some).map_err(|_| {
                StripeError::invalid_request(format!("Invalid integer: {s}"), Some(self.path(key)))
                    .code("parameter_invalid_integer")
            }),
            Some(v) => Err(StripeError::invalid_request(
                format!("Invalid integer: {}", shown(&v)),
                Some(self.path(key)),
            )
            .code("parameter_invalid_integer")),
        }
    }

    /// Read a field as an integer without consuming it, when it is a plain
    /// value (`created=123` beside `created[gt]=…` forms).
    pub fn clone_int(&mut self, key: &str) -> Result<Option<i64>, StripeError> {
        match self.entries.iter().find(|(k, _)| k == key) {
            Some((_, Value::Str(_))) => self.int(key),
            _ => Ok(None),
        }
    }

    /// An integer that must lie in `min..=max`.
    pub fn int_in(&mut self, key: &str, min: i64, max: i64) -> Result<Option<i64>, StripeError> {
        match self.int(key)? {
            Some(v) if v < min || v > max => Err(StripeError::invalid_request(
                format!(
                    "Invalid integer: {v}; `{}` must be between {min} and {max}.",
                    self.path(key)
                ),
                Some(self.path(key)),
            )
            .code("parameter_invalid_integer")),
            other => Ok(other),
        }
    }

    /// A boolean field (`true`/`false`).
    pub fn bool(&mut self, key: &str) -> Result<Option<bool>, StripeError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Str(s)) if s.is_empty() => Err(self.empty_error(key)),
            Some(Value::Str(s)) => match s.as_str() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(StripeError::invalid_request(
                    format!("Invalid boolean: {s}"),
                    Some(self.path(key)),
                )),
            },
            Some(v) => Err(StripeError::invalid_request(
                format!("Invalid boolean: {}", shown(&v)),
                Some(self.path(key)),
            )),
        }
    }

    /// A field with a fixed set of values; returns the matching static name.
    pub fn enumeration(
        &mut self,
        key: &str,
        values: &[&'static str],
    ) -> Result<Option<&'static str>, StripeError> {
        match self.string(key, 5000)? {
            None => Ok(None),
            Some(s) => values
                .iter()
                .find(|v| **v == s)
                .copied()
                .map(Some)
                .ok_or_else(|| self.enum_error(key, &s, values)),
        }
    }

    /// Stripe's error for a value outside an enum.
    pub fn enum_error(&self, key: &str, _got: &str, values: &[&str]) -> StripeError {
        StripeError::invalid_request(
            format!(
                "Invalid {}: must be one of {}",
                self.path(key),
                one_of(values)
            ),
            Some(self.path(key)),
        )
    }

    /// A nested object; `""` reads as `Some(None)` (unset).
    pub fn object(&mut self, key: &str) -> Result<Option<Option<Params>>, StripeError> {
        // The path is formatted only when used: most fields asked for are
        // absent.
        match self.take(key) {
            None => Ok(None),
            Some(Value::Str(s)) if s.is_empty() => Ok(Some(None)),
            Some(Value::Map(entries)) => Ok(Some(Some(Params {
                prefix: self.path(key),
                entries,
            }))),
            Some(_) => Err(StripeError::invalid_request(
                "Invalid object",
                Some(self.path(key)),
            )),
        }
    }

    /// A nested object that cannot be unset.
    pub fn required_object(&mut self, key: &str) -> Result<Option<Params>, StripeError> {
        match self.object(key)? {
            None => Ok(None),
            Some(None) => Err(self.empty_error(key)),
            Some(Some(p)) => Ok(Some(p)),
        }
    }

    /// An array; `""` reads as `Some(vec![])` (unset / clear). Explicit
    /// indexes must be numeric and sequential from 0.
    pub fn array(&mut self, key: &str) -> Result<Option<Vec<(String, Value)>>, StripeError> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        let path = self.path(key);
        let items = match value {
            Value::Str(s) if s.is_empty() => Vec::new(),
            Value::Str(_) => return Err(StripeError::invalid_request("Invalid array", Some(path))),
            Value::List(items) => items,
            Value::Map(entries) => indexed(entries, &path)?,
        };
        Ok(Some(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (format!("{path}[{i}]"), v))
                .collect(),
        ))
    }

    /// An array of strings.
    pub fn string_array(
        &mut self,
        key: &str,
        max_len: usize,
    ) -> Result<Option<Vec<String>>, StripeError> {
        let Some(items) = self.array(key)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(items.len());
        for (path, v) in items {
            match v {
                Value::Str(s) if s.chars().count() <= max_len => out.push(s),
                Value::Str(s) => {
                    return Err(StripeError::invalid_request(
                        format!(
                            "Invalid string: {}; must be at most {max_len} characters",
                            truncate_for_message(&s)
                        ),
                        Some(path),
                    )
                    .code("string_too_long"))
                }
                _ => {
                    return Err(StripeError::invalid_request(
                        "Invalid string: {...}",
                        Some(path),
                    ))
                }
            }
        }
        Ok(Some(out))
    }
}

/// A reader over an array element that must be an object.
pub fn element(path: String, value: Value) -> Result<Params, StripeError> {
    match value {
        Value::Map(entries) => Ok(Params {
            prefix: path,
            entries,
        }),
        _ => Err(StripeError::invalid_request("Invalid object", Some(path))),
    }
}

/// Order `a[0]…a[n]` entries, rejecting gaps and non-numeric keys.
fn indexed(entries: Vec<(String, Value)>, path: &str) -> Result<Vec<Value>, StripeError> {
    let mut numbered = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        // Digits only, no leading zero: `parse` alone would take `+1`, `01`.
        let canonical = k.bytes().all(|b| b.is_ascii_digit()) && (k == "0" || !k.starts_with('0'));
        match k.parse::<usize>() {
            Ok(i) if canonical => numbered.push((i, k, v)),
            _ => return Err(index_error(path, &k, 0)),
        }
    }
    numbered.sort_by_key(|(i, _, _)| *i);
    let mut out = Vec::with_capacity(numbered.len());
    for (expected, (i, k, v)) in numbered.into_iter().enumerate() {
        if i != expected {
            return Err(index_error(path, &k, expected));
        }
        out.push(v);
    }
    Ok(out)
}

fn index_error(path: &str, key: &str, expected: usize) -> StripeError {
    StripeError::invalid_request(
        format!("If passing an array with explicit keys (e.g. foo[0]=a&foo[1]=b) instead of as an array (e.g. foo[]=a&foo[]=b), the keys must be numeric and sequential starting from 0. You passed the keys `{key}`, we expected to have a key with the value `{expected}`."),
        Some(path.to_owned()),
    )
}

/// `a, b, or c`.
pub fn one_of(values: &[&str]) -> String {
    match values {
        [] => String::new(),
        [one] => one.to_string(),
        [a, b] => format!("{a} or {b}"),
        _ => format!(
            "{}, or {}",
            values[..values.len() - 1].join(", "),
            values[values.len() - 1]
        ),
    }
}

fn truncate_for_message(s: &str) -> String {
    if s.chars().count() > 50 {
        format!("{}...", s.chars().take(50).collect::<String>())
    } else {
        s.to_owned()
    }
}
