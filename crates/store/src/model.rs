//! The plain data the store trait speaks in: scopes, records, changes,
//! list queries and idempotency outcomes.

/// Whose objects a call may see: one account in one mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub account: String,
    pub livemode: bool,
}

/// A secret key to store (only its hash).
#[derive(Debug, Clone)]
pub struct NewKey<'a> {
    pub key_hash: &'a str,
    pub account: &'a str,
    pub livemode: bool,
    pub redacted: &'a str,
}

/// What a key grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub account: String,
    pub livemode: bool,
    /// Seconds the account's test clock runs ahead (0 in live mode).
    pub clock_offset: i64,
}

/// Filterable columns of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    pub status: Option<String>,
    pub email: Option<String>,
    pub customer: Option<String>,
    pub payment_intent: Option<String>,
    pub payment_link: Option<String>,
    pub subscription: Option<String>,
    pub expires_at: Option<i64>,
}

/// A column lists may filter on for equality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Status,
    Email,
    Customer,
    PaymentIntent,
    PaymentLink,
    Subscription,
}

impl Column {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            Column::Status => "status",
            Column::Email => "email",
            Column::Customer => "customer",
            Column::PaymentIntent => "payment_intent",
            Column::PaymentLink => "payment_link",
            Column::Subscription => "subscription",
        }
    }
}

/// A new object.
#[derive(Debug, Clone)]
pub struct NewObject<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub created: i64,
    pub data: String,
    pub index: Index,
}

/// An event to write in the same transaction as the change causing it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub event_type: String,
    pub created: i64,
    pub data: String,
}

/// A stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub created: i64,
    pub version: i64,
    pub data: String,
}

/// A new object written as a side effect of another change (the products,
/// prices and shipping rates a session's inline `*_data` parameters make).
#[derive(Debug, Clone)]
pub struct OwnedObject {
    pub id: String,
    pub kind: &'static str,
    pub created: i64,
    pub data: String,
}

/// What an update closure wants written.
#[derive(Debug, Clone)]
pub struct Change {
    pub data: String,
    pub index: Index,
    pub events: Vec<NewEvent>,
    /// Objects to insert in the same transaction.
    pub inserts: Vec<OwnedObject>,
}

/// The closure of [`crate::ObjectStore::update`].
/// It refuses a change with [`crate::StoreError::Rejected`] and reports a
/// stored object it cannot read with [`crate::StoreError::Corrupt`].
pub type Mutator<'a> = dyn FnMut(&Record) -> crate::StoreResult<Change> + Send + 'a;

/// Bounds on `created` (`created[gt]=…` etc.).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreatedRange {
    pub gt: Option<i64>,
    pub gte: Option<i64>,
    pub lt: Option<i64>,
    pub lte: Option<i64>,
}

/// Where a page starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cursor {
    #[default]
    First,
    StartingAfter(String),
    EndingBefore(String),
}

/// One page of one kind of object, newest first.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub kind: &'static str,
    pub eq: Vec<(Column, String)>,
    pub created: CreatedRange,
    /// 1..=100.
    pub limit: i64,
    pub cursor: Cursor,
}

/// A page of records.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub records: Vec<Record>,
    pub has_more: bool,
}

/// Outcome of claiming an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdemBegin {
    /// This request owns the key and runs.
    Started,
    /// The first request finished; answer with its response.
    Replay { status: u16, body: String },
    /// The first request is still running.
    InProgress,
    /// The key was used with other parameters.
    Mismatch,
}

/// Pool settings shared by both backends.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_connections: u32,
    /// How long a request waits for a connection before a 503.
    pub acquire_timeout: std::time::Duration,
    /// PostgreSQL `statement_timeout`.
    pub statement_timeout: std::time::Duration,
    /// SQLite: bytes of object JSON its cache keeps at most (0: no cache).
    pub cache_bytes: usize,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: std::time::Duration::from_secs(5),
            statement_timeout: std::time::Duration::from_secs(10),
            cache_bytes: 32 << 20,
        }
    }
}

/// An idempotency claim older than this whose request never finished (the
/// node died) may be taken over by a retry.
pub const IDEM_ABANDONED_AFTER: i64 = 60;

/// An object whose deadline has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub scope: Scope,
    pub id: String,
    /// The account's clock at the time of the query.
    pub now: i64,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub id: String,
    pub event_type: String,
    pub created: i64,
    /// The event's JSON as written (its `pending_webhooks` is stale).
    pub data: String,
    /// Deliveries of this event not yet acknowledged.
    pub pending_webhooks: i64,
}

/// A page of events: `types` are exact names or prefixes ending in `*`.
#[derive(Debug, Clone)]
pub struct EventQuery {
    pub types: Vec<String>,
    /// `kind` is ignored; `eq` must be empty.
    pub page: ListQuery,
}

/// A page of events, newest first.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub records: Vec<EventRecord>,
    pub has_more: bool,
}

/// A delivery claimed by a worker.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub scope: Scope,
    pub event_id: String,
    pub endpoint_id: String,
    /// Attempts made before this one.
    pub attempts: i64,
    pub event: Option<EventRecord>,
    /// The endpoint's stored data; `None` once it was deleted.
    pub endpoint: Option<String>,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered {
        status: u16,
    },
    Retry {
        at_ms: i64,
        status: Option<u16>,
        error: String,
    },
    Failed {
        status: Option<u16>,
        error: String,
    },
}

/// A delivery row's columns after an attempt: `state`, the next attempt
/// (kept as it was when `None`), the last status and the last error.
pub(crate) type DeliveryColumns<'a> = (&'static str, Option<i64>, Option<u16>, Option<&'a str>);

impl DeliveryOutcome {
    /// What the attempt writes into its delivery row, on either backend.
    pub(crate) fn columns(&self) -> DeliveryColumns<'_> {
        match self {
            Self::Delivered { status } => ("delivered", None, Some(*status), None),
            Self::Retry {
                at_ms,
                status,
                error,
            } => ("pending", Some(*at_ms), *status, Some(error)),
            Self::Failed { status, error } => ("failed", None, *status, Some(error)),
        }
    }
}

/// Whether an endpoint (its stored data) wants an event of a type created
/// at a time; given by the server, which knows the endpoint format.
pub type EndpointMatcher<'a> = dyn Fn(&str, i64, &str) -> bool + Send + Sync + 'a;
