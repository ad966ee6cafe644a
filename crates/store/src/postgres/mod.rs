//! PostgreSQL, for any number of stateless checkoutd nodes on one database.
//!
//! Read-modify-writes are optimistic (write only if the row's `version` is
//! still the one read) and fall back to the row lock (`SELECT … FOR
//! UPDATE`) when the row keeps changing, so updates of one session through
//! different nodes serialise and none is lost. An update first tries the
//! state this node last saw ([`hints`]): one round trip when no other node
//! wrote since. Idempotency keys are claimed by the primary key, so the same key
//! sent to two nodes at once runs once. Migrations take sqlx's advisory lock,
//! so nodes starting together migrate once. The list queries are composed in
//! [`crate::sql`], shared with SQLite; CockroachDB needs nothing more
//! than retrying serialisation failures, which its SERIALIZABLE default can
//! raise (see the README).

mod hints;

use crate::model::*;
use crate::{
    AccountStore, EventStore, IdempotencyStore, ObjectStore, Store, StoreError, StoreResult,
};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use std::str::FromStr;

/// Optimistic attempts of an update before it takes the row lock.
const OPTIMISTIC_TRIES: u32 = 2;

/// PostgreSQL-backed [`Store`].
pub struct PostgresStore {
    writer: PgPool,
    reader: PgPool,
    /// What this node last read or wrote of each object.
    hints: hints::Hints,
}

impl PostgresStore {
    /// Connect a pool to `url`.
    pub async fn connect(url: &str, options: &PoolOptions) -> StoreResult<Self> {
        let timeout = format!("{}ms", options.statement_timeout.as_millis());
        let connect =
            PgConnectOptions::from_str(url)?.options([("statement_timeout", timeout.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(2))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await?;
        Ok(Self {
            writer: pool.clone(),
            reader: pool,
            hints: hints::Hints::default(),
        })
    }
}

fn record(row: &sqlx::postgres::PgRow) -> StoreResult<Record> {
    Ok(Record {
        id: row.try_get("id")?,
        created: row.try_get("created")?,
        version: row.try_get("version")?,
        data: row.try_get("data")?,
    })
}

/// Insert an object that no list filters on (no index columns).
async fn insert_plain(
    tx: &mut sqlx::PgConnection,
    scope: &Scope,
    o: &OwnedObject,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO objects (id, account_id, livemode, kind, created, version, data) VALUES ($1, $2, $3, $4, $5, 1, $6)")
        .bind(&o.id)
        .bind(&scope.account)
        .bind(scope.livemode)
        .bind(o.kind)
        .bind(o.created)
        .bind(&o.data)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn insert_events(
    tx: &mut sqlx::PgConnection,
    scope: &Scope,
    events: &[NewEvent],
) -> StoreResult<()> {
    for e in events {
        sqlx::query("INSERT INTO events (id, account_id, livemode, type, created, data) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&e.id)
            .bind(&scope.account)
            .bind(scope.livemode)
            .bind(&e.event_type)
            .bind(e.created)
            .bind(&e.data)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// One object of `kind` in `scope`; `FOR UPDATE` also takes its row lock.
async fn read_object<'e>(
    exec: impl sqlx::PgExecutor<'e>,
    scope: &Scope,
    kind: &str,
    id: &str,
    for_update: bool,
) -> StoreResult<Option<Record>> {
    let sql = if for_update {
        "SELECT id, created, version, data FROM objects WHERE id = $1 AND account_id = $2 AND livemode = $3 AND kind = $4 FOR UPDATE"
    } else {
        "SELECT id, created, version, data FROM objects WHERE id = $1 AND account_id = $2 AND livemode = $3 AND kind = $4"
    };
    let row = sqlx::query(sql)
        .bind(id)
        .bind(&scope.account)
        .bind(scope.livemode)
        .bind(kind)
        .fetch_optional(exec)
        .await?;
    row.as_ref().map(record).transpose()
}

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

/// Bind the filter columns, in the order of [`Index`]'s fields.
fn bind_index<'q>(query: PgQuery<'q>, i: &'q Index) -> PgQuery<'q> {
    query
        .bind(&i.status)
        .bind(&i.email)
        .bind(&i.customer)
        .bind(&i.payment_intent)
        .bind(&i.payment_link)
        .bind(&i.subscription)
        .bind(i.expires_at)
}

/// Write `change` over the object if it still has `current`'s version;
/// whether it did.
async fn write_change<'e>(
    exec: impl sqlx::PgExecutor<'e>,
    current: &Record,
    change: &Change,
) -> StoreResult<bool> {
    let update = sqlx::query(
        "UPDATE objects SET version = version + 1, status = $1, email = $2, customer = $3, payment_intent = $4, payment_link = $5, subscription = $6, expires_at = $7, data = $8 WHERE id = $9 AND version = $10",
    );
    let done = bind_index(update, &change.index)
        .bind(&change.data)
        .bind(&current.id)
        .bind(current.version)
        .execute(exec)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The objects and events a change brings along.
async fn write_side(
    tx: &mut sqlx::PgConnection,
    scope: &Scope,
    change: &Change,
) -> StoreResult<()> {
    for o in &change.inserts {
        insert_plain(tx, scope, o).await?;
    }
    insert_events(tx, scope, &change.events).await
}

/// The record as `change` leaves it.
fn updated(current: Record, change: Change) -> Record {
    Record {
        id: current.id,
        created: current.created,
        version: current.version + 1,
        data: change.data,
    }
}

impl PostgresStore {
    /// One optimistic read-modify-write: read without a lock, run the
    /// closure, and write only if the row still has the version read
    /// (`None` if it moved on meanwhile). With nothing else to write this
    /// is two statements and no transaction, against five (`BEGIN`,
    /// `SELECT … FOR UPDATE`, `UPDATE`, `COMMIT`) for the locked path.
    async fn update_optimistic(
        &self,
        scope: &Scope,
        kind: &str,
        id: &str,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Option<Record>> {
        let current = read_object(&self.reader, scope, kind, id, false)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.write_if_current(scope, current, f).await
    }

    /// Run the closure on `current` and write its change if the row still
    /// has `current`'s version (`None` if it moved on).
    async fn write_if_current(
        &self,
        scope: &Scope,
        current: Record,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Option<Record>> {
        let change = f(&current)?;
        let written = if change.inserts.is_empty() && change.events.is_empty() {
            write_change(&self.writer, &current, &change).await?
        } else {
            // The objects and events it brings go in with it, or not at all
            // (dropping the transaction rolls it back).
            let mut tx = self.writer.begin().await?;
            let written = write_change(&mut *tx, &current, &change).await?;
            if written {
                write_side(&mut tx, scope, &change).await?;
                tx.commit().await?;
            }
            written
        };
        Ok(written.then(|| updated(current, change)))
    }

    /// [`ObjectStore::update`]: the guess, then optimistic, then locked.
    async fn update_any(
        &self,
        scope: &Scope,
        kind: &str,
        id: &str,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Record> {
        if let Some(guess) = self.hints.guess(scope, kind, id) {
            match self.write_if_current(scope, guess, &mut *f).await {
                Ok(Some(done)) => return Ok(done),
                // The guess was stale (the closure may also have rejected
                // an old state): read the row and go on as without one.
                Ok(None) | Err(StoreError::Rejected(_) | StoreError::Retryable(_)) => {}
                Err(e) => return Err(e),
            }
        }
        // Optimistic first (the common case: nobody else is writing this
        // object); a row that keeps moving under us gets the row lock,
        // which guarantees progress. The closure may run more than once:
        // it only computes a change from the record it is given.
        for _ in 0..OPTIMISTIC_TRIES {
            match self.update_optimistic(scope, kind, id, &mut *f).await {
                Ok(Some(done)) => return Ok(done),
                Ok(None) | Err(StoreError::Retryable(_)) => {}
                Err(e) => return Err(e),
            }
        }
        // Serialization failures (CockroachDB's SERIALIZABLE, or a
        // deadlock) abort the whole transaction, so rerunning it,
        // closure included, is safe.
        let mut attempt = 0;
        loop {
            match self.update_once(scope, kind, id, &mut *f).await {
                Err(StoreError::Retryable(e)) if attempt < crate::sql::MAX_RETRIES => {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "retrying a conflicted transaction");
                    tokio::time::sleep(crate::sql::retry_pause(attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// The locked read-modify-write: the row lock (`FOR UPDATE`) makes it
    /// atomic, so the version check in the write always holds.
    async fn update_once(
        &self,
        scope: &Scope,
        kind: &str,
        id: &str,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Record> {
        let mut tx = self.writer.begin().await?;
        let current = read_object(&mut *tx, scope, kind, id, true)
            .await?
            .ok_or(StoreError::NotFound)?;
        let change = f(&current)?;
        if !write_change(&mut *tx, &current, &change).await? {
            return Err(StoreError::Corrupt(format!(
                "{id} changed under its row lock"
            )));
        }
        write_side(&mut tx, scope, &change).await?;
        tx.commit().await?;
        Ok(updated(current, change))
    }
}

#[async_trait]
impl AccountStore for PostgresStore {
    async fn ensure_account(&self, id: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO accounts (id, created) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn add_key(&self, key: &NewKey<'_>, now: i64) -> StoreResult<()> {
        let mut tx = self.writer.begin_with("BEGIN").await?;
        sqlx::query(
            "INSERT INTO accounts (id, created) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(key.account)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT account_id FROM api_keys WHERE key_hash = $1")
                .bind(key.key_hash)
                .fetch_optional(&mut *tx)
                .await?;
        match existing {
            Some(account) if account != key.account => {
                return Err(StoreError::Conflict(format!(
                    "key {} already belongs to another account",
                    key.redacted
                )))
            }
            Some(_) => {}
            None => {
                sqlx::query("INSERT INTO api_keys (key_hash, account_id, livemode, redacted, created) VALUES ($1, $2, $3, $4, $5)")
                    .bind(key.key_hash)
                    .bind(key.account)
                    .bind(key.livemode)
                    .bind(key.redacted)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn find_key(&self, key_hash: &str) -> StoreResult<Option<KeyRecord>> {
        let row = sqlx::query(
            "SELECT k.account_id, k.livemode, a.test_clock_offset FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = $1",
        )
        .bind(key_hash)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            let livemode: bool = r.try_get("livemode")?;
            let offset: i64 = r.try_get("test_clock_offset")?;
            Ok(KeyRecord {
                account: r.try_get("account_id")?,
                livemode,
                clock_offset: if livemode { 0 } else { offset },
            })
        })
        .transpose()
    }

    async fn clock_offset(&self, account: &str) -> StoreResult<i64> {
        let offset: Option<i64> =
            sqlx::query_scalar("SELECT test_clock_offset FROM accounts WHERE id = $1")
                .bind(account)
                .fetch_optional(&self.reader)
                .await?;
        Ok(offset.unwrap_or(0))
    }

    async fn any_key(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys")
            .fetch_one(&self.reader)
            .await?;
        Ok(n > 0)
    }

    async fn advance_clock(&self, account: &str, seconds: i64) -> StoreResult<i64> {
        let offset: Option<i64> = sqlx::query_scalar(
            "UPDATE accounts SET test_clock_offset = test_clock_offset + $1 WHERE id = $2 RETURNING test_clock_offset",
        )
        .bind(seconds)
        .bind(account)
        .fetch_optional(&self.writer)
        .await?;
        offset.ok_or(StoreError::NotFound)
    }
}

#[async_trait]
impl ObjectStore for PostgresStore {
    async fn insert_with(
        &self,
        scope: &Scope,
        obj: NewObject<'_>,
        also: Vec<OwnedObject>,
        events: Vec<NewEvent>,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin_with("BEGIN").await?;
        for o in &also {
            insert_plain(&mut tx, scope, o).await?;
        }
        let insert = sqlx::query(
            "INSERT INTO objects (id, account_id, livemode, kind, created, version, status, email, customer, payment_intent, payment_link, subscription, expires_at, data) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(obj.id)
        .bind(&scope.account)
        .bind(scope.livemode)
        .bind(obj.kind)
        .bind(obj.created);
        bind_index(insert, &obj.index)
            .bind(&obj.data)
            .execute(&mut *tx)
            .await?;
        insert_events(&mut tx, scope, &events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get(&self, scope: &Scope, kind: &str, id: &str) -> StoreResult<Option<Record>> {
        let found = read_object(&self.reader, scope, kind, id, false).await?;
        if let Some(record) = &found {
            // What is read is often updated next (a retrieve, then an update).
            self.hints.remember(scope, kind, record);
        }
        Ok(found)
    }

    async fn get_any(&self, kind: &str, id: &str) -> StoreResult<Option<(Scope, Record)>> {
        let row = sqlx::query("SELECT id, created, version, data, account_id, livemode FROM objects WHERE id = $1 AND kind = $2")
            .bind(id)
            .bind(kind)
            .fetch_optional(&self.reader)
            .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let scope = Scope {
                    account: row.try_get("account_id")?,
                    livemode: row.try_get("livemode")?,
                };
                Ok(Some((scope, record(&row)?)))
            }
        }
    }

    async fn delete(&self, scope: &Scope, kind: &str, id: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "DELETE FROM objects WHERE id = $1 AND account_id = $2 AND livemode = $3 AND kind = $4",
        )
        .bind(id)
        .bind(&scope.account)
        .bind(scope.livemode)
        .bind(kind)
        .execute(&self.writer)
        .await?;
        self.hints.forget(id);
        Ok(done.rows_affected() == 1)
    }

    async fn update(
        &self,
        scope: &Scope,
        kind: &str,
        id: &str,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Record> {
        let done = self.update_any(scope, kind, id, f).await;
        match &done {
            Ok(record) => self.hints.remember(scope, kind, record),
            Err(_) => self.hints.forget(id),
        }
        done
    }

    async fn due(&self, kind: &str, real_now: i64, limit: i64) -> StoreResult<Vec<Due>> {
        // Per account and mode, so `expires_at <= constant` can use
        // the partial index on open objects.
        let accounts = sqlx::query("SELECT id, test_clock_offset FROM accounts")
            .fetch_all(&self.reader)
            .await?;
        let mut due = Vec::new();
        for row in &accounts {
            let account: String = row.try_get("id")?;
            let offset: i64 = row.try_get("test_clock_offset")?;
            for livemode in [false, true] {
                let now = if livemode {
                    real_now
                } else {
                    real_now + offset
                };
                let left = limit - i64::try_from(due.len()).unwrap_or(limit);
                if left <= 0 {
                    return Ok(due);
                }
                let ids: Vec<String> = sqlx::query_scalar(
                    "SELECT id FROM objects WHERE status = 'open' AND expires_at <= $1 AND account_id = $2 AND livemode = $3 AND kind = $4 ORDER BY expires_at LIMIT $5",
                )
                .bind(now)
                .bind(&account)
                .bind(livemode)
                .bind(kind)
                .bind(left)
                .fetch_all(&self.reader)
                .await?;
                due.extend(ids.into_iter().map(|id| Due {
                    scope: Scope {
                        account: account.clone(),
                        livemode,
                    },
                    id,
                    now,
                }));
            }
        }
        Ok(due)
    }

    async fn list(&self, scope: &Scope, query: &ListQuery) -> StoreResult<ListPage> {
        let mut conn = self.reader.acquire().await?;
        let cursor_seq = match &query.cursor {
            Cursor::First => None,
            Cursor::StartingAfter(id) | Cursor::EndingBefore(id) => {
                let seq: Option<i64> = sqlx::query_scalar(
                    "SELECT seq FROM objects WHERE id = $1 AND account_id = $2 AND livemode = $3 AND kind = $4",
                )
                .bind(id)
                .bind(&scope.account)
                .bind(scope.livemode)
                .bind(query.kind)
                .fetch_optional(&mut *conn)
                .await?;
                Some(seq.ok_or(StoreError::NotFound)?)
            }
        };
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("");
        crate::sql::list_objects(&mut qb, scope, query, cursor_seq);
        let rows = qb.build().fetch_all(&mut *conn).await?;
        crate::sql::page(
            rows.iter().map(record).collect::<StoreResult<Vec<_>>>()?,
            query,
        )
    }
}

#[async_trait]
impl IdempotencyStore for PostgresStore {
    async fn idem_begin(
        &self,
        scope: &Scope,
        key: &str,
        fingerprint: &str,
        now: i64,
    ) -> StoreResult<IdemBegin> {
        let mut tx = self.writer.begin_with("BEGIN").await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, livemode, key, fingerprint, created) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&scope.account)
        .bind(scope.livemode)
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let outcome = if inserted == 1 {
            IdemBegin::Started
        } else {
            let row = sqlx::query(
                "SELECT fingerprint, status_code, body, created FROM idempotency_keys WHERE account_id = $1 AND livemode = $2 AND key = $3",
            )
            .bind(&scope.account)
            .bind(scope.livemode)
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
            let stored: String = row.try_get("fingerprint")?;
            let status: Option<i64> = row.try_get("status_code")?;
            let created: i64 = row.try_get("created")?;
            match status {
                _ if stored != fingerprint => IdemBegin::Mismatch,
                Some(code) => IdemBegin::Replay {
                    status: u16::try_from(code)
                        .map_err(|_| StoreError::Corrupt("status code".into()))?,
                    body: row
                        .try_get::<Option<String>, _>("body")?
                        .unwrap_or_default(),
                },
                None if created + IDEM_ABANDONED_AFTER < now => {
                    sqlx::query("UPDATE idempotency_keys SET created = $1 WHERE account_id = $2 AND livemode = $3 AND key = $4")
                        .bind(now)
                        .bind(&scope.account)
                        .bind(scope.livemode)
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                    IdemBegin::Started
                }
                None => IdemBegin::InProgress,
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn idem_finish(
        &self,
        scope: &Scope,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE idempotency_keys SET status_code = $1, body = $2 WHERE account_id = $3 AND livemode = $4 AND key = $5")
            .bind(i64::from(status))
            .bind(body)
            .bind(&scope.account)
            .bind(scope.livemode)
            .bind(key)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn idem_release(&self, scope: &Scope, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE account_id = $1 AND livemode = $2 AND key = $3 AND status_code IS NULL")
            .bind(&scope.account)
            .bind(scope.livemode)
            .bind(key)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn idem_prune(&self, before: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created < $1")
            .bind(before)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

fn event_record(row: &sqlx::postgres::PgRow) -> StoreResult<EventRecord> {
    Ok(EventRecord {
        id: row.try_get("id")?,
        event_type: row.try_get("type")?,
        created: row.try_get("created")?,
        data: row.try_get("data")?,
        pending_webhooks: row.try_get("pending_webhooks")?,
    })
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn get_event(&self, scope: &Scope, id: &str) -> StoreResult<Option<EventRecord>> {
        let row = sqlx::query("SELECT id, type, created, data, pending_webhooks FROM events WHERE id = $1 AND account_id = $2 AND livemode = $3")
            .bind(id)
            .bind(&scope.account)
            .bind(scope.livemode)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(event_record).transpose()
    }

    async fn list_events(&self, scope: &Scope, query: &EventQuery) -> StoreResult<EventPage> {
        let mut conn = self.reader.acquire().await?;
        let cursor_seq = match &query.page.cursor {
            Cursor::First => None,
            Cursor::StartingAfter(id) | Cursor::EndingBefore(id) => {
                let seq: Option<i64> = sqlx::query_scalar(
                    "SELECT seq FROM events WHERE id = $1 AND account_id = $2 AND livemode = $3",
                )
                .bind(id)
                .bind(&scope.account)
                .bind(scope.livemode)
                .fetch_optional(&mut *conn)
                .await?;
                Some(seq.ok_or(StoreError::NotFound)?)
            }
        };
        let patterns = crate::sql::type_patterns(query);
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("");
        crate::sql::list_events(&mut qb, scope, query, &patterns, cursor_seq);
        let rows = qb.build().fetch_all(&mut *conn).await?;
        let mut records = rows
            .iter()
            .map(event_record)
            .collect::<StoreResult<Vec<_>>>()?;
        let has_more = crate::sql::trim_page(&mut records, &query.page);
        Ok(EventPage { records, has_more })
    }

    async fn fan_out(
        &self,
        endpoint_kind: &str,
        limit: i64,
        now_ms: i64,
        matches: &EndpointMatcher<'_>,
    ) -> StoreResult<usize> {
        let mut tx = self.writer.begin_with("BEGIN").await?;
        let events = sqlx::query("SELECT id, account_id, livemode, type, created FROM events WHERE fanned_out = 0 ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED")
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut endpoints: std::collections::HashMap<(String, bool), Vec<(String, String)>> =
            std::collections::HashMap::new();
        for row in &events {
            let id: String = row.try_get("id")?;
            let account: String = row.try_get("account_id")?;
            let livemode: bool = row.try_get("livemode")?;
            let event_type: String = row.try_get("type")?;
            let created: i64 = row.try_get("created")?;
            let key = (account.clone(), livemode);
            if !endpoints.contains_key(&key) {
                let rows = sqlx::query("SELECT id, data FROM objects WHERE account_id = $1 AND livemode = $2 AND kind = $3")
                    .bind(&account)
                    .bind(livemode)
                    .bind(endpoint_kind)
                    .fetch_all(&mut *tx)
                    .await?;
                let list = rows
                    .iter()
                    .map(|r| {
                        Ok((
                            r.try_get::<String, _>("id")?,
                            r.try_get::<String, _>("data")?,
                        ))
                    })
                    .collect::<StoreResult<Vec<_>>>()?;
                endpoints.insert(key.clone(), list);
            }
            let mut pending: i64 = 0;
            for (endpoint_id, data) in endpoints.get(&key).map(Vec::as_slice).unwrap_or_default() {
                if !matches(&event_type, created, data) {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO webhook_deliveries (event_id, endpoint_id, account_id, livemode, state, attempts, next_attempt_at, locked_until) \
                     VALUES ($1, $2, $3, $4, 'pending', 0, $5, 0) ON CONFLICT DO NOTHING",
                )
                .bind(&id)
                .bind(endpoint_id)
                .bind(&account)
                .bind(livemode)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
                pending += 1;
            }
            sqlx::query("UPDATE events SET fanned_out = 1, pending_webhooks = $1 WHERE id = $2")
                .bind(pending)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(events.len())
    }

    async fn claim_deliveries(
        &self,
        endpoint_kind: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<Delivery>> {
        let claimed = sqlx::query(concat!(
            "UPDATE webhook_deliveries SET locked_until = $1 WHERE (event_id, endpoint_id) IN (",
            "SELECT event_id, endpoint_id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $2 AND locked_until <= $2 ",
            "ORDER BY next_attempt_at LIMIT $3",
                    " FOR UPDATE SKIP LOCKED",
            ") RETURNING event_id, endpoint_id, account_id, livemode, attempts"
        ))
        .bind(now_ms + lease_ms)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.writer)
        .await?;
        let mut out = Vec::with_capacity(claimed.len());
        for row in &claimed {
            let scope = Scope {
                account: row.try_get("account_id")?,
                livemode: row.try_get("livemode")?,
            };
            let event_id: String = row.try_get("event_id")?;
            let endpoint_id: String = row.try_get("endpoint_id")?;
            let event = self.get_event(&scope, &event_id).await?;
            let endpoint = self
                .get(&scope, endpoint_kind, &endpoint_id)
                .await?
                .map(|r| r.data);
            out.push(Delivery {
                scope,
                event_id,
                endpoint_id,
                attempts: row.try_get("attempts")?,
                event,
                endpoint,
            });
        }
        Ok(out)
    }

    async fn finish_delivery(
        &self,
        event_id: &str,
        endpoint_id: &str,
        outcome: &DeliveryOutcome,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin_with("BEGIN").await?;
        let (state, next, status, error): (&str, Option<i64>, Option<u16>, Option<&str>) =
            match outcome {
                DeliveryOutcome::Delivered { status } => ("delivered", None, Some(*status), None),
                DeliveryOutcome::Retry {
                    at_ms,
                    status,
                    error,
                } => ("pending", Some(*at_ms), *status, Some(error.as_str())),
                DeliveryOutcome::Failed { status, error } => {
                    ("failed", None, *status, Some(error.as_str()))
                }
            };
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, next_attempt_at = COALESCE($2, next_attempt_at), \
             locked_until = 0, last_status = $3, last_error = $4 WHERE event_id = $5 AND endpoint_id = $6 AND state = 'pending'",
        )
        .bind(state)
        .bind(next)
        .bind(status.map(i64::from))
        .bind(error)
        .bind(event_id)
        .bind(endpoint_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 && matches!(outcome, DeliveryOutcome::Delivered { .. }) {
            sqlx::query("UPDATE events SET pending_webhooks = pending_webhooks - 1 WHERE id = $1 AND pending_webhooks > 0")
                .bind(event_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn migrate(&self) -> StoreResult<()> {
        crate::sql::migrator(include_str!("../../migrations/postgres/0001_init.sql"))
            .run(&self.writer)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}
