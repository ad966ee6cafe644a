//! Storage for checkoutd.
//!
//! Objects are JSON documents of the domain types, kept with the few columns
//! that lists filter or order on. One trait family, [`Store`], and two plain
//! implementations, [`sqlite::SqliteStore`] (embedded default, one process) and
//! [`postgres::PostgresStore`] (many stateless nodes), each with its own
//! migrations. Every state change and the events it emits are written in one
//! transaction, and [`ObjectStore::update`] runs its closure on the current
//! row under the row's write lock, so concurrent updates never lose a write.

#![forbid(unsafe_code)]

pub mod error;
pub mod model;
pub mod postgres;
mod sql;
pub mod sqlite;

use async_trait::async_trait;
use std::sync::Arc;

pub use error::{StoreError, StoreResult};
pub use model::*;

/// Accounts, their secret keys and their test clocks.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Create the account if it does not exist.
    async fn ensure_account(&self, id: &str, now: i64) -> StoreResult<()>;
    /// Add a key (by hash) to an account; adding the same key again is a no-op.
    async fn add_key(&self, key: &NewKey<'_>, now: i64) -> StoreResult<()>;
    /// Look a key up by its hash.
    async fn find_key(&self, key_hash: &str) -> StoreResult<Option<KeyRecord>>;
    /// Whether any key exists at all (first start prints a fresh one).
    async fn any_key(&self) -> StoreResult<bool>;
    /// Move an account's test-mode clock forward; returns the new offset.
    async fn advance_clock(&self, account: &str, seconds: i64) -> StoreResult<i64>;
    /// Seconds an account's test-mode clock runs ahead (0 if unknown).
    async fn clock_offset(&self, account: &str) -> StoreResult<i64>;
}

/// Objects of every kind, and the events their changes emit.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Insert a new object and its events in one transaction.
    async fn insert(
        &self,
        scope: &Scope,
        obj: NewObject<'_>,
        events: Vec<NewEvent>,
    ) -> StoreResult<()> {
        self.insert_with(scope, obj, Vec::new(), events).await
    }
    /// Insert a new object, the objects it brings along and its events in
    /// one transaction.
    async fn insert_with(
        &self,
        scope: &Scope,
        obj: NewObject<'_>,
        also: Vec<OwnedObject>,
        events: Vec<NewEvent>,
    ) -> StoreResult<()>;
    /// Fetch one object of `kind` in `scope`.
    async fn get(&self, scope: &Scope, kind: &str, id: &str) -> StoreResult<Option<Record>>;
    /// Fetch an object by id alone, with the scope it belongs to. Ids are
    /// unique across accounts, so a capability URL (the hosted page) can
    /// find its session without a key.
    async fn get_any(&self, kind: &str, id: &str) -> StoreResult<Option<(Scope, Record)>>;
    /// Delete one object; returns whether it existed.
    async fn delete(&self, scope: &Scope, kind: &str, id: &str) -> StoreResult<bool>;
    /// Read-modify-write one object under its row lock; the closure sees the
    /// committed current state and its error aborts the whole change.
    async fn update(
        &self,
        scope: &Scope,
        kind: &str,
        id: &str,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Record>;
    /// One page of a list, newest first.
    async fn list(&self, scope: &Scope, query: &ListQuery) -> StoreResult<ListPage>;
    /// Up to `limit` open objects of `kind` whose `expires_at` has passed by
    /// their account's clock (`real_now` plus the test-clock offset in test
    /// mode), oldest deadline first. Claiming happens in `update`, which
    /// re-checks the state under the row lock, so nodes may race here safely.
    async fn due(&self, kind: &str, real_now: i64, limit: i64) -> StoreResult<Vec<Due>>;
}

/// Events and the webhook outbox.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// One event of the scope.
    async fn get_event(&self, scope: &Scope, id: &str) -> StoreResult<Option<EventRecord>>;
    /// A page of the scope's events, newest first.
    async fn list_events(&self, scope: &Scope, query: &EventQuery) -> StoreResult<EventPage>;
    /// Create the deliveries of up to `limit` events that have none yet, one
    /// per endpoint (objects of `endpoint_kind` in the event's scope) that
    /// `matches`; returns how many events were fanned out. Several nodes may
    /// call this at once: each event is claimed by one.
    async fn fan_out(
        &self,
        endpoint_kind: &str,
        limit: i64,
        now_ms: i64,
        matches: &EndpointMatcher<'_>,
    ) -> StoreResult<usize>;
    /// Claim up to `limit` deliveries due at `now_ms` for `lease_ms`; a
    /// claim that is not finished in time (the node died) is due again.
    async fn claim_deliveries(
        &self,
        endpoint_kind: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<Delivery>>;
    /// Record how an attempt ended.
    async fn finish_delivery(
        &self,
        event_id: &str,
        endpoint_id: &str,
        outcome: &DeliveryOutcome,
    ) -> StoreResult<()>;
}

/// Idempotency keys of POST requests.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claim `key` for a request with `fingerprint`, or report what the first
    /// request with that key did.
    async fn idem_begin(
        &self,
        scope: &Scope,
        key: &str,
        fingerprint: &str,
        now: i64,
    ) -> StoreResult<IdemBegin>;
    /// Store the response of the request that claimed `key`.
    async fn idem_finish(
        &self,
        scope: &Scope,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()>;
    /// Forget a claim whose request must not be replayed (validation errors).
    async fn idem_release(&self, scope: &Scope, key: &str) -> StoreResult<()>;
    /// Delete keys created before `before`; returns how many.
    async fn idem_prune(&self, before: i64) -> StoreResult<u64>;
}

/// The whole storage interface, as the server holds it.
#[async_trait]
pub trait Store: AccountStore + ObjectStore + EventStore + IdempotencyStore {
    /// Apply pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Whether the database answers (`/readyz`).
    async fn ping(&self) -> StoreResult<()>;
    /// Short name of the backend, for logs and metrics.
    fn backend(&self) -> &'static str;
}

/// Open the store a database URL names: `sqlite://PATH`, `sqlite::memory:`
/// or `postgres://…`.
pub async fn connect(url: &str, options: &PoolOptions) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            postgres::PostgresStore::connect(url, options).await?,
        ))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url, options).await?))
    } else {
        Err(StoreError::Config(format!(
            "unsupported database URL {url:?}: use sqlite://PATH, sqlite::memory: or postgres://…"
        )))
    }
}
