//! What a storage error means to an HTTP client, decided once for every
//! dialect: each dialect then renders the outcome in its own envelope.
//!
//! The classification logs the cause (once, here) so that a dialect's 5xx
//! body can stay generic.

use checkout_domain::DomainError;
use checkout_store::StoreError;

/// A storage error as the client should see it.
#[derive(Debug)]
pub enum StoreFailure {
    /// A domain rule refused the change (4xx in the dialect's terms).
    Rejected(DomainError),
    /// The object is not in the caller's scope (404).
    NotFound,
    /// Busy database, pool exhausted, timeout or exhausted retries (503).
    Unavailable,
    /// Anything else (500).
    Internal,
}

impl From<StoreError> for StoreFailure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rejected(domain) => StoreFailure::Rejected(domain),
            StoreError::NotFound => StoreFailure::NotFound,
            StoreError::Unavailable(source) | StoreError::Retryable(source) => {
                tracing::warn!(error = %source, "database unavailable");
                StoreFailure::Unavailable
            }
            e @ (StoreError::Conflict(_)
            | StoreError::Backend(_)
            | StoreError::Migrate(_)
            | StoreError::Corrupt(_)
            | StoreError::Config(_)) => {
                tracing::error!(error = ?e, "storage failure");
                StoreFailure::Internal
            }
        }
    }
}
