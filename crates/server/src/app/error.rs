//! What went wrong in the application layer, decided once for every front
//! end: each dialect (and the hosted page) renders an [`AppError`] in its
//! own envelope through an exhaustive `match`, so a new variant forces
//! every front end to decide what it means.
//!
//! Classifying a storage error logs its cause here, once, so that a
//! front end's 5xx body can stay generic.

use checkout_domain::DomainError;
use checkout_store::StoreError;

/// Why a service call failed.
#[derive(Debug)]
pub enum AppError {
    /// A domain rule or a parameter refused the request (4xx by its kind).
    Rejected(DomainError),
    /// The object is not in the caller's scope (404).
    NotFound,
    /// An object with this id exists already (a create with a custom id).
    AlreadyExists(String),
    /// Busy database, pool exhausted, timeout or exhausted retries (503).
    Unavailable,
    /// Anything else, corrupt stored data included (500); already logged.
    Internal,
}

/// Result of a service call.
pub type AppResult<T> = Result<T, AppError>;

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError::Rejected(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rejected(domain) => AppError::Rejected(domain),
            StoreError::NotFound => AppError::NotFound,
            StoreError::Unavailable(source) | StoreError::Retryable(source) => {
                tracing::warn!(error = %source, "database unavailable");
                AppError::Unavailable
            }
            e @ (StoreError::Conflict(_)
            | StoreError::Backend(_)
            | StoreError::Migrate(_)
            | StoreError::Corrupt(_)
            | StoreError::Config(_)) => {
                tracing::error!(error = ?e, "storage failure");
                AppError::Internal
            }
        }
    }
}
