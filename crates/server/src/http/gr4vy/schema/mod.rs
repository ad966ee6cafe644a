//! The request body of create and update (`CheckoutSessionUpdate`, which the
//! SDKs call `CheckoutSessionCreate`) as data: every object, field, limit,
//! pattern and enum of `reference/gr4vy/README.md` §3, in the spec's order.
//!
//! Gr4vy's API is FastAPI over Pydantic, which reports every offending field
//! at once; a table walked by [`super::validate`] does the same, where serde
//! derives would stop at the first error. A module test checks the table
//! against the published OpenAPI document field by field, so a typo in a
//! limit fails the build's tests rather than a customer's request.

mod tables;

pub use tables::*;

/// What a field holds. Every field but the required ones also accepts `null`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ty {
    /// A string of `min..=max` characters (Unicode scalar values).
    Str {
        min: usize,
        max: Option<usize>,
    },
    /// A string matching one of the spec's few patterns.
    Pattern(Pattern),
    /// An integer in `min..=max`; `min` is exclusive when `exclusive_min`.
    Int {
        min: i64,
        exclusive_min: bool,
        max: i64,
    },
    /// Any JSON number in `min..=max`.
    Number {
        min: f64,
        max: f64,
    },
    Bool,
    /// One of the listed strings. `literal` marks an inline enum (Pydantic
    /// `Literal`, error type `literal_error`) as against an enum class
    /// (error type `enum`).
    Enum {
        values: &'static [&'static str],
        literal: bool,
    },
    /// RFC 3339 / ISO 8601 date-time (`format: date-time`).
    DateTime,
    /// `YYYY-MM-DD` (`format: date`).
    Date,
    /// A UUID (`format: uuid`), normalised to lower-case hyphenated form.
    Uuid,
    /// A list, at most `max_items` long.
    Array {
        item: &'static Ty,
        max_items: Option<usize>,
    },
    /// A nested object.
    Object(&'static Schema),
    /// `map<string, string>`.
    StrMap,
}

/// The patterns the spec uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// `^[A-Z]{2}$`
    Country,
    /// `^[A-Z]{3}$`
    Currency,
    /// `^\+[1-9]\d{1,14}$` (E.164)
    Phone,
    /// `^[A-Z]{2}-[A-Z0-9]{1,3}$` (ISO 3166-2)
    StateCode,
}

impl Pattern {
    /// The regular expression as the spec writes it (for messages).
    pub fn regex(self) -> &'static str {
        match self {
            Pattern::Country => "^[A-Z]{2}$",
            Pattern::Currency => "^[A-Z]{3}$",
            Pattern::Phone => r"^\+[1-9]\d{1,14}$",
            Pattern::StateCode => "^[A-Z]{2}-[A-Z0-9]{1,3}$",
        }
    }

    /// Whether `s` matches.
    pub fn matches(self, s: &str) -> bool {
        let b = s.as_bytes();
        let upper = |c: &u8| c.is_ascii_uppercase();
        match self {
            Pattern::Country => b.len() == 2 && b.iter().all(upper),
            Pattern::Currency => b.len() == 3 && b.iter().all(upper),
            Pattern::Phone => {
                (3..=16).contains(&b.len())
                    && b[0] == b'+'
                    && (b'1'..=b'9').contains(&b[1])
                    && b[2..].iter().all(u8::is_ascii_digit)
            }
            Pattern::StateCode => {
                (4..=6).contains(&b.len())
                    && b[..2].iter().all(upper)
                    && b[2] == b'-'
                    && b[3..]
                        .iter()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            }
        }
    }
}

/// A value filled in when a field is absent (Pydantic defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldDefault {
    Int(i64),
    Str(&'static str),
}

/// One property of an object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    /// `T | null`.
    pub nullable: bool,
    pub default: Option<FieldDefault>,
}

/// An object with `additionalProperties: false`.
#[derive(Debug, PartialEq)]
pub struct Schema {
    /// The spec's schema name (used in Pydantic's `model_type` message).
    pub name: &'static str,
    pub fields: &'static [Field],
}

const MONEY_MAX: i64 = 99_999_999;

const fn opt(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: false,
        nullable: true,
        default: None,
    }
}

const fn req(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: true,
        nullable: false,
        default: None,
    }
}

const fn with_default(field: Field, default: FieldDefault) -> Field {
    Field {
        default: Some(default),
        ..field
    }
}

const fn s(min: usize, max: usize) -> Ty {
    Ty::Str {
        min,
        max: Some(max),
    }
}

const fn s_min(min: usize) -> Ty {
    Ty::Str { min, max: None }
}

const MONEY: Ty = Ty::Int {
    min: 0,
    exclusive_min: false,
    max: MONEY_MAX,
};
const COUNTRY: Ty = Ty::Pattern(Pattern::Country);
const CATEGORY: Ty = s(1, 50);
const ANY_STRING: Ty = s_min(0);
const LEG: Ty = Ty::Object(&AIRLINE_LEG);
const PASSENGER: Ty = Ty::Object(&AIRLINE_PASSENGER);
const ITEM: Ty = Ty::Object(&CART_ITEM);
const PHONE: Ty = Ty::Pattern(Pattern::Phone);

#[cfg(test)]
mod tests;
