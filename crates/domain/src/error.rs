//! The one error type of the core.
//!
//! It knows nothing of HTTP: each dialect converts it into its own envelope
//! (Stripe's `{"error":{…}}`, Gr4vy's `{"type":"error",…}`) with an exhaustive
//! `match` over [`ErrorKind`], so a new kind forces every dialect to decide.
//! `param` is a Stripe-style path (`line_items[2][price]`), which Gr4vy turns
//! into a JSON pointer; it is part of the domain because the rules that fail
//! know which input they were checking.

use std::fmt;

/// What went wrong, independent of any wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is malformed or breaks a rule of the resource (400).
    InvalidRequest,
    /// A referenced object does not exist in the caller's account (404).
    NotFound,
    /// The object exists but its state forbids the operation (400 in Stripe).
    InvalidState,
    /// Arithmetic left the range of `i64` minor units (400).
    AmountOverflow,
}

/// A rule of the core was broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainError {
    pub kind: ErrorKind,
    /// Human-readable message, worded as Stripe words it where known.
    pub message: String,
    /// The parameter at fault, in Stripe's bracket notation.
    pub param: Option<String>,
    /// Stripe's machine-readable `code` (`parameter_invalid_integer`, …).
    pub code: Option<&'static str>,
}

impl DomainError {
    /// A 400 about one parameter.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::InvalidRequest,
            message: message.into(),
            param: Some(param.into()),
            code: None,
        }
    }

    /// A 400 not tied to one parameter.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::InvalidRequest,
            message: message.into(),
            param: None,
            code: None,
        }
    }

    /// `No such <object>: '<id>'`, Stripe's wording for a missing object.
    pub fn no_such(object: &str, id: &str, param: Option<String>) -> Self {
        Self {
            kind: ErrorKind::NotFound,
            message: format!("No such {object}: '{id}'"),
            param,
            code: Some("resource_missing"),
        }
    }

    /// The object's state forbids the operation.
    pub fn state(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::InvalidState,
            message: message.into(),
            param: None,
            code: None,
        }
    }

    /// An amount overflowed `i64`; `param` names the input that caused it.
    pub fn overflow(param: Option<String>) -> Self {
        Self {
            kind: ErrorKind::AmountOverflow,
            message: "The resulting amount is too large to be represented.".into(),
            param,
            code: Some("amount_too_large"),
        }
    }

    /// Attach a machine-readable code.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DomainError {}

/// Result of a domain operation.
pub type DomainResult<T> = Result<T, DomainError>;
