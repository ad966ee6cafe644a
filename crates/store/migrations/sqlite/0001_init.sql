-- checkoutd schema, SQLite flavour. Objects are stored as JSON documents of
-- the domain types; the columns beside `data` exist only to be filtered or
-- ordered on, each served by an index.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    created INTEGER NOT NULL,
    -- Seconds the test-mode clock of this account runs ahead of real time.
    test_clock_offset INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_keys (
    key_hash TEXT PRIMARY KEY,          -- hex SHA-256 of the secret key
    account_id TEXT NOT NULL REFERENCES accounts (id),
    livemode INTEGER NOT NULL,
    redacted TEXT NOT NULL,             -- sk_test_********abcd, for errors
    created INTEGER NOT NULL
);

CREATE TABLE objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order: newest first = seq DESC
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    livemode INTEGER NOT NULL,
    kind TEXT NOT NULL,
    created INTEGER NOT NULL,
    version INTEGER NOT NULL,
    status TEXT,
    email TEXT,
    customer TEXT,
    payment_intent TEXT,
    payment_link TEXT,
    subscription TEXT,
    expires_at INTEGER,
    data TEXT NOT NULL
);
CREATE INDEX objects_list ON objects (account_id, livemode, kind, seq);
CREATE INDEX objects_status ON objects (account_id, livemode, kind, status, seq);
CREATE INDEX objects_email ON objects (account_id, livemode, kind, email, seq) WHERE email IS NOT NULL;
CREATE INDEX objects_customer ON objects (account_id, livemode, kind, customer, seq) WHERE customer IS NOT NULL;
CREATE INDEX objects_payment_intent ON objects (account_id, livemode, kind, payment_intent, seq) WHERE payment_intent IS NOT NULL;
CREATE INDEX objects_payment_link ON objects (account_id, livemode, kind, payment_link, seq) WHERE payment_link IS NOT NULL;
CREATE INDEX objects_subscription ON objects (account_id, livemode, kind, subscription, seq) WHERE subscription IS NOT NULL;
-- The sweeper's query, per account and mode: open objects by deadline.
CREATE INDEX objects_due ON objects (account_id, livemode, kind, expires_at) WHERE status = 'open';

CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    livemode INTEGER NOT NULL,
    type TEXT NOT NULL,
    created INTEGER NOT NULL,
    data TEXT NOT NULL,
    -- 0 until the delivery worker has created this event's deliveries.
    fanned_out INTEGER NOT NULL DEFAULT 0,
    -- Deliveries not yet acknowledged by their endpoint.
    pending_webhooks INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_list ON events (account_id, livemode, seq);
CREATE INDEX events_type ON events (account_id, livemode, type, seq);
CREATE INDEX events_fanout ON events (seq) WHERE fanned_out = 0;

-- The webhook outbox: one row per (event, endpoint), retried until the
-- endpoint answers 2xx or the schedule gives up. Times in milliseconds.
CREATE TABLE webhook_deliveries (
    event_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    livemode INTEGER NOT NULL,
    state TEXT NOT NULL,                -- pending, delivered, failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0, -- a worker's claim on the row
    last_status INTEGER,
    last_error TEXT,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL,
    livemode INTEGER NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,          -- method, path and sorted params
    status_code INTEGER,                -- NULL while the first request runs
    body TEXT,
    created INTEGER NOT NULL,
    PRIMARY KEY (account_id, livemode, key)
);
CREATE INDEX idempotency_created ON idempotency_keys (created);
