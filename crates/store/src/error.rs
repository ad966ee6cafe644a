//! Storage errors. They keep their `sqlx` source so logs show the cause;
//! nothing here knows about HTTP.

use checkout_domain::DomainError;

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object (or a list cursor) does not exist in the caller's scope.
    #[error("not found")]
    NotFound,
    /// The update closure refused the change; nothing was written.
    #[error(transparent)]
    Rejected(DomainError),
    /// A unique key already exists (e.g. an id collision).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A serialization failure or deadlock (SQLSTATE 40001 / 40P01) that
    /// outlived the store's own retries.
    #[error("transaction conflict; retry")]
    Retryable(#[source] sqlx::Error),
    /// No connection became free in time, or a statement timed out.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error")]
    Backend(#[source] sqlx::Error),
    #[error("migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("configuration: {0}")]
    Config(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => StoreError::Unavailable(e),
            sqlx::Error::Database(db) => {
                let code = db.code();
                // 57014: PostgreSQL statement timeout. 5/6 and their
                // extended codes: SQLite still busy or locked after its
                // busy timeout (another process holds the file).
                if matches!(
                    code.as_deref(),
                    Some("57014" | "5" | "6" | "261" | "262" | "517" | "773")
                ) {
                    StoreError::Unavailable(e)
                } else if matches!(code.as_deref(), Some("40001" | "40P01")) {
                    StoreError::Retryable(e)
                } else if db.is_unique_violation() {
                    StoreError::Conflict(db.message().to_owned())
                } else {
                    StoreError::Backend(e)
                }
            }
            _ => StoreError::Backend(e),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(e)
    }
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;
