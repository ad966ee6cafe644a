//! Request-body validation as Gr4vy's FastAPI/Pydantic stack does it: walk
//! the JSON against the [`schema`](super::schema) tables and report every
//! offending field at once, each as a [`Detail`] with a JSON pointer and
//! Pydantic's error `type` and wording (`missing` "Field required",
//! `string_too_long` "String should have at most 255 characters", …).
//!
//! A valid body comes back normalised: integers written as `1.0` become
//! `1`, UUIDs lower-case and hyphenated, and absent fields with a spec
//! default (`discount_amount`, `tax_amount`, `ticket_delivery_method`)
//! filled in, as Pydantic would. Everything else is kept as sent, in the
//! order sent, so a session echoes its input.

use super::error::Detail;
use super::schema::{Field, FieldDefault, Schema, Ty};
use super::time;
use serde_json::{Map, Number, Value};

/// Escape one JSON-pointer reference token (RFC 6901).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Check `body` against `schema`; the normalised body or every problem.
pub fn validate(body: &Value, schema: &'static Schema) -> Result<Value, Vec<Detail>> {
    let mut walker = Walker::default();
    match walker.object(body, schema, "") {
        Some(v) if walker.details.is_empty() => Ok(v),
        _ => Err(walker.details),
    }
}

#[derive(Default)]
struct Walker {
    details: Vec<Detail>,
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Pydantic's list of choices: `'a', 'b' or 'c'`.
fn choices(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// A UUID in any of the forms Pydantic accepts (hyphenated or 32 hex
/// digits, either case), as lower-case hyphenated text.
pub fn parse_uuid(s: &str) -> Option<String> {
    let hex: String = match s.len() {
        36 => {
            let b = s.as_bytes();
            if [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
                return None;
            }
            s.chars().filter(|c| *c != '-').collect()
        }
        32 => s.to_owned(),
        _ => return None,
    };
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

impl Walker {
    fn fail(&mut self, pointer: &str, kind: &str, message: impl Into<String>) -> Option<Value> {
        self.details.push(Detail::body(pointer, kind, message));
        None
    }

    fn object(&mut self, value: &Value, schema: &'static Schema, ptr: &str) -> Option<Value> {
        let Value::Object(input) = value else {
            return self.fail(
                ptr,
                "model_type",
                format!(
                    "Input should be a valid dictionary or instance of {}",
                    schema.name
                ),
            );
        };
        let before = self.details.len();
        let mut out = Map::new();
        for (key, v) in input {
            let here = format!("{ptr}/{}", escape(key));
            match schema.fields.iter().find(|f| f.name == key) {
                None => {
                    self.fail(&here, "extra_forbidden", "Extra inputs are not permitted");
                }
                Some(field) => {
                    if let Some(v) = self.field(v, field, &here) {
                        out.insert(key.clone(), v);
                    }
                }
            }
        }
        for field in schema.fields.iter().filter(|f| !input.contains_key(f.name)) {
            if field.required {
                self.fail(
                    &format!("{ptr}/{}", field.name),
                    "missing",
                    "Field required",
                );
            } else if let Some(default) = field.default {
                let v = match default {
                    FieldDefault::Int(n) => Value::from(n),
                    FieldDefault::Str(s) => Value::from(s),
                };
                out.insert(field.name.to_owned(), v);
            }
        }
        (self.details.len() == before).then_some(Value::Object(out))
    }

    fn field(&mut self, value: &Value, field: &Field, ptr: &str) -> Option<Value> {
        if value.is_null() && field.nullable {
            return Some(Value::Null);
        }
        self.value(value, &field.ty, ptr)
    }

    fn value(&mut self, value: &Value, ty: &Ty, ptr: &str) -> Option<Value> {
        match *ty {
            Ty::Str { min, max } => {
                let s = self.string(value, ptr)?;
                let n = s.chars().count();
                if n < min {
                    return self.fail(
                        ptr,
                        "string_too_short",
                        format!("String should have at least {}", plural(min, "character")),
                    );
                }
                if let Some(max) = max.filter(|m| n > *m) {
                    return self.fail(
                        ptr,
                        "string_too_long",
                        format!("String should have at most {}", plural(max, "character")),
                    );
                }
                Some(value.clone())
            }
            Ty::Pattern(p) => {
                let s = self.string(value, ptr)?;
                if !p.matches(s) {
                    return self.fail(
                        ptr,
                        "string_pattern_mismatch",
                        format!("String should match pattern '{}'", p.regex()),
                    );
                }
                Some(value.clone())
            }
            Ty::Int {
                min,
                exclusive_min,
                max,
            } => self.int(value, ptr, min, exclusive_min, max),
            Ty::Number { min, max } => {
                let Some(n) = value.as_f64() else {
                    return self.fail(ptr, "float_type", "Input should be a valid number");
                };
                if n < min {
                    return self.fail(
                        ptr,
                        "greater_than_equal",
                        format!("Input should be greater than or equal to {min}"),
                    );
                }
                if n > max {
                    return self.fail(
                        ptr,
                        "less_than_equal",
                        format!("Input should be less than or equal to {max}"),
                    );
                }
                Some(value.clone())
            }
            Ty::Bool => match value {
                Value::Bool(_) => Some(value.clone()),
                _ => self.fail(ptr, "bool_type", "Input should be a valid boolean"),
            },
            Ty::Enum { values, literal } => {
                let (kind, fallback) = if literal {
                    ("literal_error", "string_type")
                } else {
                    ("enum", "enum")
                };
                match value.as_str() {
                    Some(s) if values.contains(&s) => Some(value.clone()),
                    Some(_) => self.fail(ptr, kind, format!("Input should be {}", choices(values))),
                    None if literal => self.fail(ptr, fallback, "Input should be a valid string"),
                    None => self.fail(ptr, kind, format!("Input should be {}", choices(values))),
                }
            }
            Ty::DateTime => match value.as_str() {
                Some(s) if time::is_date_time(s) => Some(value.clone()),
                Some(_) => self.fail(
                    ptr,
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, invalid character or format",
                ),
                None => self.fail(ptr, "datetime_type", "Input should be a valid datetime"),
            },
            Ty::Date => match value.as_str() {
                Some(s) if time::is_date(s) => Some(value.clone()),
                Some(_) => self.fail(
                    ptr,
                    "date_from_datetime_parsing",
                    "Input should be a valid date in the format YYYY-MM-DD",
                ),
                None => self.fail(ptr, "date_type", "Input should be a valid date"),
            },
            Ty::Uuid => match value.as_str() {
                Some(s) => match parse_uuid(s) {
                    Some(u) => Some(Value::String(u)),
                    None => self.fail(ptr, "uuid_parsing", "Input should be a valid UUID"),
                },
                None => self.fail(
                    ptr,
                    "uuid_type",
                    "UUID input should be a string, bytes or UUID object",
                ),
            },
            Ty::Array { item, max_items } => self.array(value, item, max_items, ptr),
            Ty::Object(schema) => self.object(value, schema, ptr),
            Ty::StrMap => {
                let Value::Object(map) = value else {
                    return self.fail(ptr, "dict_type", "Input should be a valid dictionary");
                };
                let before = self.details.len();
                for (k, v) in map {
                    if !v.is_string() {
                        let here = format!("{ptr}/{}", escape(k));
                        self.fail(&here, "string_type", "Input should be a valid string");
                    }
                }
                (self.details.len() == before).then(|| value.clone())
            }
        }
    }

    fn string<'v>(&mut self, value: &'v Value, ptr: &str) -> Option<&'v str> {
        match value.as_str() {
            Some(s) => Some(s),
            None => {
                self.fail(ptr, "string_type", "Input should be a valid string");
                None
            }
        }
    }

    fn int(&mut self, value: &Value, ptr: &str, min: i64, excl: bool, max: i64) -> Option<Value> {
        let n: i128 = match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))?,
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() != 0.0 || !f.is_finite() {
                    return self.fail(
                        ptr,
                        "int_from_float",
                        "Input should be a valid integer, got a number with a fractional part",
                    );
                }
                // Whole floats beyond i64 are out of range either way.
                f.clamp(-1e30, 1e30) as i128
            }
            _ => return self.fail(ptr, "int_type", "Input should be a valid integer"),
        };
        if excl && n <= i128::from(min) {
            return self.fail(
                ptr,
                "greater_than",
                format!("Input should be greater than {min}"),
            );
        }
        if !excl && n < i128::from(min) {
            return self.fail(
                ptr,
                "greater_than_equal",
                format!("Input should be greater than or equal to {min}"),
            );
        }
        if n > i128::from(max) {
            return self.fail(
                ptr,
                "less_than_equal",
                format!("Input should be less than or equal to {max}"),
            );
        }
        i64::try_from(n)
            .ok()
            .map(|n| Value::Number(Number::from(n)))
    }

    fn array(&mut self, value: &Value, item: &Ty, max: Option<usize>, ptr: &str) -> Option<Value> {
        let Value::Array(items) = value else {
            return self.fail(ptr, "list_type", "Input should be a valid list");
        };
        if let Some(max) = max.filter(|m| items.len() > *m) {
            return self.fail(
                ptr,
                "too_long",
                format!(
                    "List should have at most {} after validation, not {}",
                    plural(max, "item"),
                    items.len()
                ),
            );
        }
        let before = self.details.len();
        let out: Vec<Value> = items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| self.value(v, item, &format!("{ptr}/{i}")))
            .collect();
        (self.details.len() == before).then_some(Value::Array(out))
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
