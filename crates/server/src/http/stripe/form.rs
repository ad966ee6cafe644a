//! Stripe's form encoding: bracket notation into a tree, and a consuming
//! reader that turns the tree into typed values with Stripe's errors.
//!
//! `a[b][c]=v` nests maps; arrays come as `a[]=x` or `a[0]=x` (explicit
//! indexes must be numeric and sequential from 0); brackets may be literal or
//! percent-encoded; `+` and `%20` are spaces; `""` means "unset". Which keys
//! are arrays is known only to the reader (a metadata key may be `"0"`), so
//! the tree keeps indexed keys as a map until a field is read as an array.
//!
//! The reader *takes* each field it understands; whatever is left when a
//! level is [`Params::finish`]ed is an unknown parameter, so no endpoint can
//! silently drop one.

use super::error::StripeError;
use crate::http::urlencoded::unescape;

/// A node of the decoded form.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    /// Keys in first-seen order.
    Map(Vec<(String, Value)>),
    /// Built from `a[]=` appends.
    List(Vec<Value>),
}

/// Split `a[b][]` into `["a", "b", ""]`; `None` when brackets don't balance.
fn split_key(key: &str) -> Option<Vec<&str>> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => return Some(vec![key]),
    };
    let mut parts = vec![head];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        parts.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    Some(parts)
}

/// One key or value, decoded ([`unescape`]).
fn decode_component(raw: &[u8]) -> Result<String, StripeError> {
    String::from_utf8(unescape(raw)).map_err(|_| {
        StripeError::invalid_request(
            "Invalid request: the request body or query string is not valid UTF-8.",
            None,
        )
    })
}

fn conflict(key: &str) -> StripeError {
    StripeError::invalid_request(
        format!("Invalid request: `{key}` is given both as a value and as an object or array."),
        Some(key.to_owned()),
    )
}

fn insert(
    node: &mut Vec<(String, Value)>,
    path: &[&str],
    value: String,
    full: &str,
) -> Result<(), StripeError> {
    let (first, rest) = (path[0], &path[1..]);
    let pos = node.iter().position(|(k, _)| k == first);
    if rest.is_empty() {
        match pos {
            // A repeated scalar key: the last value wins.
            Some(i) if matches!(node[i].1, Value::Str(_)) => node[i].1 = Value::Str(value),
            Some(_) => return Err(conflict(full)),
            None => node.push((first.to_owned(), Value::Str(value))),
        }
        return Ok(());
    }
    let i = match pos {
        Some(i) => i,
        None => {
            let fresh = if rest[0].is_empty() {
                Value::List(Vec::new())
            } else {
                Value::Map(Vec::new())
            };
            node.push((first.to_owned(), fresh));
            node.len() - 1
        }
    };
    let child = &mut node[i].1;
    if rest[0].is_empty() {
        // `a[]…`: append a new element.
        let Value::List(items) = child else {
            return Err(conflict(full));
        };
        if rest.len() == 1 {
            items.push(Value::Str(value));
        } else {
            let mut map = Vec::new();
            insert(&mut map, &rest[1..], value, full)?;
            items.push(Value::Map(map));
        }
        return Ok(());
    }
    match child {
        Value::Map(map) => insert(map, rest, value, full),
        Value::Str(s) if s.is_empty() => {
            // `metadata=&metadata[k]=v`: the later object wins over "unset".
            *child = Value::Map(Vec::new());
            let Value::Map(map) = child else {
                unreachable!("just set")
            };
            insert(map, rest, value, full)
        }
        _ => Err(conflict(full)),
    }
}

/// Decode a form body or query string into its tree.
pub fn parse(input: &[u8]) -> Result<Vec<(String, Value)>, StripeError> {
    let mut root = Vec::new();
    for pair in input.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        let key = decode_component(k)?;
        let value = decode_component(v)?;
        let Some(path) = split_key(&key) else {
            return Err(StripeError::invalid_request(
                format!("Invalid parameter name: {key}"),
                Some(key.clone()),
            ));
        };
        if path[0].is_empty() {
            return Err(StripeError::invalid_request(
                format!("Invalid parameter name: {key}"),
                Some(key.clone()),
            ));
        }
        insert(&mut root, &path, value, &key)?;
    }
    Ok(root)
}

/// A canonical fingerprint of a body: its pairs sorted, so that the same
/// parameters in another order are the same request (idempotency).
pub fn canonical_pairs(input: &[u8]) -> Vec<&[u8]> {
    let mut pairs: Vec<&[u8]> = input
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .collect();
    pairs.sort_unstable();
    pairs
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(s: &str) -> Vec<(String, Value)> {
        parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn brackets_nest_literal_or_percent_encoded() {
        let a = tree("a[b][c]=1");
        let b = tree("a%5Bb%5D%5Bc%5D=1");
        assert_eq!(a, b);
        let mut p = Params::new(a);
        let mut inner = p.object("a").unwrap().unwrap().unwrap();
        let mut c = inner.object("b").unwrap().unwrap().unwrap();
        assert_eq!(c.raw_str("c").unwrap().as_deref(), Some("1"));
    }

    #[test]
    fn spaces_as_plus_or_percent_20() {
        let mut p = Params::new(tree("a=x+y&b=x%20y"));
        assert_eq!(p.raw_str("a").unwrap().as_deref(), Some("x y"));
        assert_eq!(p.raw_str("b").unwrap().as_deref(), Some("x y"));
    }

    #[test]
    fn arrays_indexed_or_appended() {
        let mut p = Params::new(tree("e[]=x&e[]=y&f[1]=b&f[0]=a"));
        assert_eq!(p.string_array("e", 10).unwrap().unwrap(), vec!["x", "y"]);
        assert_eq!(p.string_array("f", 10).unwrap().unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn array_indexes_must_be_sequential() {
        let mut p = Params::new(tree("expand[1]=x"));
        let err = p.string_array("expand", 10).unwrap_err();
        assert!(err
            .message
            .contains("You passed the keys `1`, we expected to have a key with the value `0`."));
        assert_eq!(err.param.as_deref(), Some("expand"));
        for odd in ["expand[%2B0]=x", "expand[00]=x", "expand[0]=x&expand[01]=y"] {
            let mut p = Params::new(tree(odd));
            assert!(p.string_array("expand", 10).is_err(), "{odd}");
        }
        let mut p = Params::new(tree("expand[1]=y&expand[0]=x&expand[10]=z&expand[2]=a&expand[3]=a&expand[4]=a&expand[5]=a&expand[6]=a&expand[7]=a&expand[8]=a&expand[9]=a"));
        let got = p.string_array("expand", 10).unwrap().unwrap();
        assert_eq!(got[..3], ["x", "y", "a"]);
        assert_eq!(got[10], "z");
    }

    #[test]
    fn unknown_parameters_are_reported_with_their_path() {
        let mut p = Params::new(tree("name=x&foo=1"));
        p.raw_str("name").unwrap();
        let err = p.finish().unwrap_err();
        assert_eq!(err.message, "Received unknown parameter: foo");
        let mut p = Params::new(tree("a[b]=1&a[c]=2"));
        let inner = p.object("a").unwrap().unwrap().unwrap();
        assert_eq!(
            inner.finish().unwrap_err().message,
            "Received unknown parameters: a[b], a[c]"
        );
    }

    #[test]
    fn integers_booleans_and_enums_have_stripe_messages() {
        let mut p = Params::new(tree("n=abc&b=yes&m=nope"));
        assert_eq!(p.int("n").unwrap_err().message, "Invalid integer: abc");
        assert_eq!(p.bool("b").unwrap_err().message, "Invalid boolean: yes");
        assert_eq!(
            p.enumeration("m", &["payment", "setup", "subscription"])
                .unwrap_err()
                .message,
            "Invalid m: must be one of payment, setup, or subscription"
        );
    }

    #[test]
    fn empty_string_unsets() {
        let mut p = Params::new(tree("metadata=&tax_rates="));
        assert!(matches!(p.object("metadata").unwrap(), Some(None)));
        assert_eq!(p.array("tax_rates").unwrap().unwrap().len(), 0);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse(b"a[b=1").is_err());
        assert!(parse(b"%FF=1").is_err());
        assert!(parse(b"a=1&a[b]=2").is_err());
        assert!(parse(b"[x]=1").is_err());
        assert!(parse(b"=&&=").is_err());
    }
}
