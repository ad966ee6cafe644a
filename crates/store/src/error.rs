//! Storage errors. They keep the driver's error (sqlx or rusqlite) as their
//! source so logs show the cause; nothing here knows about HTTP.

use checkout_domain::DomainError;

/// The driver error behind a failure.
pub type Source = Box<dyn std::error::Error + Send + Sync>;

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
    Retryable(#[source] Source),
    /// No connection became free in time, or a statement timed out.
    #[error("database unavailable")]
    Unavailable(#[source] Source),
    #[error("database error")]
    Backend(#[source] Source),
    #[error("migration failed")]
    Migrate(#[source] Source),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("configuration: {0}")]
    Config(String),
}

impl From<DomainError> for StoreError {
    fn from(e: DomainError) -> Self {
        StoreError::Rejected(e)
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
                StoreError::Unavailable(e.into())
            }
            sqlx::Error::Database(db) => {
                let code = db.code();
                // 57014: PostgreSQL statement timeout.
                if code.as_deref() == Some("57014") {
                    StoreError::Unavailable(e.into())
                } else if matches!(code.as_deref(), Some("40001" | "40P01")) {
                    StoreError::Retryable(e.into())
                } else if db.is_unique_violation() {
                    StoreError::Conflict(db.message().to_owned())
                } else {
                    StoreError::Backend(e.into())
                }
            }
            _ => StoreError::Backend(e.into()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(e.into())
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error() {
            // Still busy or locked after the busy timeout: another process
            // holds the file.
            Some(f) if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Unavailable(e.into())
            }
            Some(f)
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                StoreError::Conflict(e.to_string())
            }
            _ => StoreError::Backend(e.into()),
        }
    }
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;
