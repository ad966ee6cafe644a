//! checkoutd's pure core.
//!
//! Money, currencies, tax and totals, the catalog objects, and the checkout
//! session with its create/update rules and state machine. Nothing here does
//! IO or reads a clock: `now` and new ids are passed in, so every rule is a
//! plain function that unit and property tests can drive. The compiler keeps
//! it that way: this crate depends on no runtime, database or HTTP crate.

pub mod catalog;
pub mod currency;
pub mod error;
pub mod metadata;
pub mod session;
pub mod totals;

pub use currency::Currency;
pub use error::{DomainError, DomainResult, ErrorKind};
