//! The application layer: the services every front end shares (the Stripe
//! and Gr4vy dialects, the hosted page, the workers), between them and the
//! store. It knows no HTTP and no wire format: front ends parse a request
//! into the inputs of a service, call it, and render what it returns (or
//! its [`AppError`]) in their own terms.

pub mod call;
pub mod catalog;
pub mod error;
pub mod events;

pub use call::Call;
pub use error::{AppError, AppResult};
