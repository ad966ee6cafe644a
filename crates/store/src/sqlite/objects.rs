//! [`ObjectStore`] on SQLite: objects as JSON rows with their filter
//! columns, read through the object cache, and optimistic updates whose
//! change is worked out before the writer ([`ObjectStore::update`]).
//!
//! The row helpers here ([`load`], [`insert_plain`], [`insert_events`]) are
//! shared with the event store, which writes events in the same
//! transactions.

use super::cache::{Cached, Op};
use super::writer::{Savepoint, Tx, Undo};
use super::SqliteStore;
use crate::model::*;
use crate::sql::Sink;
use crate::{ObjectStore, StoreError, StoreResult};
use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use std::sync::Arc;

/// Races an update may lose before it queues behind the other contended
/// updates ([`SqliteStore::contended`]).
const FREE_TRIES: u32 = 3;

/// A statement built with `?` placeholders, for the dynamic list queries.
#[derive(Default)]
pub(super) struct Built {
    pub(super) sql: String,
    pub(super) params: Vec<Value>,
}

impl<'a> Sink<'a> for Built {
    fn sql(&mut self, text: &str) {
        self.sql.push_str(text);
    }
    fn int(&mut self, value: i64) {
        self.sql.push('?');
        self.params.push(Value::Integer(value));
    }
    fn flag(&mut self, value: bool) {
        self.int(i64::from(value));
    }
    fn text(&mut self, value: &'a str) {
        self.sql.push('?');
        self.params.push(Value::Text(value.to_owned()));
    }
}

fn record(row: &Row<'_>) -> rusqlite::Result<Record> {
    Ok(Record {
        id: row.get(0)?,
        created: row.get(1)?,
        version: row.get(2)?,
        data: row.get(3)?,
    })
}

/// One object by id (ids are unique across accounts and kinds), with what
/// the cache and an update need.
pub(super) fn load(conn: &Connection, id: &str) -> StoreResult<Option<Cached>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, created, version, data, seq, status, email, customer, payment_intent, payment_link, subscription, expires_at, \
             account_id, livemode, kind FROM objects WHERE id = ?1",
        )?
        .query_row(params![id], |r| {
            Ok(Cached {
                record: record(r)?,
                seq: r.get(4)?,
                index: Index {
                    status: r.get(5)?,
                    email: r.get(6)?,
                    customer: r.get(7)?,
                    payment_intent: r.get(8)?,
                    payment_link: r.get(9)?,
                    subscription: r.get(10)?,
                    expires_at: r.get(11)?,
                },
                scope: Scope {
                    account: r.get(12)?,
                    livemode: r.get(13)?,
                },
                kind: r.get(14)?,
            })
        })
        .optional()?)
}

impl Cached {
    /// Whether this is an object of `kind` in `scope`.
    pub(super) fn is(&self, scope: &Scope, kind: &str) -> bool {
        self.kind == kind && self.scope == *scope
    }
}

/// The `seq` of a list cursor's object, or `NotFound`.
pub(super) fn cursor_seq(
    conn: &Connection,
    sql: &str,
    cursor: &Cursor,
    bind: &[&dyn rusqlite::ToSql],
) -> StoreResult<Option<i64>> {
    match cursor {
        Cursor::First => Ok(None),
        Cursor::StartingAfter(id) | Cursor::EndingBefore(id) => {
            let mut params: Vec<&dyn rusqlite::ToSql> = vec![id];
            params.extend_from_slice(bind);
            let seq: Option<i64> = conn
                .prepare_cached(sql)?
                .query_row(params.as_slice(), |r| r.get(0))
                .optional()?;
            Ok(Some(seq.ok_or(StoreError::NotFound)?))
        }
    }
}

/// Insert an object. New objects are not cached: a burst of creates would
/// only push out the objects being read; a new object's first read caches it.
pub(super) fn insert_plain(tx: &Connection, scope: &Scope, o: &OwnedObject) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO objects (id, account_id, livemode, kind, created, version, data) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
    )?
    .execute(params![o.id, scope.account, scope.livemode, o.kind, o.created, o.data])?;
    Ok(())
}

pub(super) fn insert_events(
    tx: &Connection,
    scope: &Scope,
    events: &[NewEvent],
) -> StoreResult<()> {
    // Most updates write none: skip taking the statement from rusqlite's
    // cache and giving it back.
    if events.is_empty() {
        return Ok(());
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO events (id, account_id, livemode, type, created, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for e in events {
        insert.execute(params![
            e.id,
            scope.account,
            scope.livemode,
            e.event_type,
            e.created,
            e.data
        ])?;
    }
    Ok(())
}

/// Store an update's change of `current` inside the writer's transaction.
/// An update that leaves every filter column as it was rewrites only
/// `data` and `version`: SQLite would otherwise rewrite the entries of
/// every index naming a column in the `SET` list.
///
/// Runs without a savepoint ([`Undo::Statement`]): a change that also
/// inserts objects or events opens a savepoint around its statements.
fn update_in(
    tx: &mut Tx<'_>,
    scope: &Scope,
    kind: &str,
    current: &Cached,
    change: Change,
) -> StoreResult<Record> {
    let several = !change.inserts.is_empty() || !change.events.is_empty();
    let savepoint = several.then(|| Savepoint::begin(tx.conn)).transpose()?;
    if change.index == current.index {
        tx.prepare_cached("UPDATE objects SET version = version + 1, data = ?1 WHERE seq = ?2")?
            .execute(params![change.data, current.seq])?;
    } else {
        let i = &change.index;
        tx.prepare_cached(
            "UPDATE objects SET version = version + 1, status = ?1, email = ?2, customer = ?3, payment_intent = ?4, \
             payment_link = ?5, subscription = ?6, expires_at = ?7, data = ?8 WHERE seq = ?9",
        )?
        .execute(params![i.status, i.email, i.customer, i.payment_intent, i.payment_link, i.subscription, i.expires_at, change.data, current.seq])?;
    }
    for o in &change.inserts {
        insert_plain(tx, scope, o)?;
    }
    insert_events(tx, scope, &change.events)?;
    if let Some(savepoint) = savepoint {
        savepoint.release()?;
    }
    let record = Record {
        id: current.record.id.clone(),
        created: current.record.created,
        version: current.record.version + 1,
        data: change.data,
    };
    tx.ops.push(Op::Put(Arc::new(Cached {
        scope: scope.clone(),
        kind: kind.to_owned(),
        seq: current.seq,
        index: change.index,
        record: record.clone(),
    })));
    Ok(record)
}

impl SqliteStore {
    /// One object by id, from the cache or else from SQLite (then cached).
    async fn object(&self, id: &str) -> StoreResult<Option<Arc<Cached>>> {
        match self.cache.get(id) {
            Some(found) => Ok(Some(found)),
            None => self.fetch(id).await,
        }
    }

    /// One object by id from SQLite, then cached.
    async fn fetch(&self, id: &str) -> StoreResult<Option<Arc<Cached>>> {
        let token = self.cache.token(id);
        let owned = id.to_owned();
        let found = self
            .read(move |conn| load(conn, &owned))
            .await?
            .map(Arc::new);
        if let Some(c) = &found {
            self.cache.fill(token, c.clone());
        }
        Ok(found)
    }
}

#[async_trait]
impl ObjectStore for SqliteStore {
    async fn insert_with(
        &self,
        scope: &Scope,
        obj: NewObject<'_>,
        also: Vec<OwnedObject>,
        events: Vec<NewEvent>,
    ) -> StoreResult<()> {
        let scope = scope.clone();
        let (id, kind) = (obj.id.to_owned(), obj.kind.to_owned());
        let (created, data, i) = (obj.created, obj.data, obj.index);
        self.write(move |tx| {
            for o in &also {
                insert_plain(tx, &scope, o)?;
            }
            tx.prepare_cached(
                "INSERT INTO objects (id, account_id, livemode, kind, created, version, status, email, customer, payment_intent, payment_link, subscription, expires_at, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                id,
                scope.account,
                scope.livemode,
                kind,
                created,
                i.status,
                i.email,
                i.customer,
                i.payment_intent,
                i.payment_link,
                i.subscription,
                i.expires_at,
                data
            ])?;
            insert_events(tx, &scope, &events)
        })
        .await
    }

    async fn get(&self, scope: &Scope, kind: &str, id: &str) -> StoreResult<Option<Record>> {
        Ok(self
            .object(id)
            .await?
            .filter(|c| c.is(scope, kind))
            .map(|c| c.record.clone()))
    }

    async fn get_any(&self, kind: &str, id: &str) -> StoreResult<Option<(Scope, Record)>> {
        Ok(self
            .object(id)
            .await?
            .filter(|c| c.kind == kind)
            .map(|c| (c.scope.clone(), c.record.clone())))
    }

    async fn delete(&self, scope: &Scope, kind: &str, id: &str) -> StoreResult<bool> {
        let (scope, kind, id) = (scope.clone(), kind.to_owned(), id.to_owned());
        self.write(move |tx| {
            let n = tx
                .prepare_cached("DELETE FROM objects WHERE id = ?1 AND account_id = ?2 AND livemode = ?3 AND kind = ?4")?
                .execute(params![id, scope.account, scope.livemode, kind])?;
            if n == 1 {
                tx.ops.push(Op::Remove(id));
            }
            Ok(n == 1)
        })
        .await
    }

    /// Optimistic, as on PostgreSQL: `f` works out the change from the
    /// committed object (cached, or else read) in parallel with other
    /// writes, and the writer only checks that the object is still at that
    /// version and stores the change. If another write came first, `f`
    /// runs again on the new state: `f` may run more than once, and only
    /// its last result is stored. After [`FREE_TRIES`] lost races an update
    /// queues behind the other contended ones ([`SqliteStore::contended`]),
    /// so a hot object's updates all get their turn.
    async fn update(
        &self,
        scope: &Scope,
        kind: &str,
        id: &str,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Record> {
        let (mut tries, mut queued) = (0, None);
        loop {
            tries += 1;
            if tries > FREE_TRIES && queued.is_none() {
                queued = Some(self.contended.lock().await);
            }
            let current = self
                .object(id)
                .await?
                .filter(|c| c.is(scope, kind))
                .ok_or(StoreError::NotFound)?;
            let change = f(&current.record)?;
            let (scope, kind) = (scope.clone(), kind.to_owned());
            let stored = self
                .writer
                .write(Undo::Statement, move |tx| {
                    match tx.object(&current.record.id)? {
                        Some(now)
                            if now.seq == current.seq
                                && now.record.version == current.record.version =>
                        {
                            update_in(tx, &scope, &kind, &now, change).map(Some)
                        }
                        Some(_) => Ok(None),
                        None => Err(StoreError::NotFound),
                    }
                })
                .await?;
            if let Some(record) = stored {
                return Ok(record);
            }
        }
    }

    async fn due(&self, kind: &str, real_now: i64, limit: i64) -> StoreResult<Vec<Due>> {
        let kind = kind.to_owned();
        self.read(move |conn| {
            // Per account and mode, so `expires_at <= constant` can use the
            // partial index on open objects.
            let accounts: Vec<(String, i64)> = conn
                .prepare_cached("SELECT id, test_clock_offset FROM accounts")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut ids = conn.prepare_cached(
                "SELECT id FROM objects WHERE status = 'open' AND expires_at <= ?1 AND account_id = ?2 AND livemode = ?3 AND kind = ?4 ORDER BY expires_at LIMIT ?5",
            )?;
            let mut due = Vec::new();
            for (account, offset) in &accounts {
                for livemode in [false, true] {
                    let now = if livemode { real_now } else { real_now + offset };
                    let left = limit - i64::try_from(due.len()).unwrap_or(limit);
                    if left <= 0 {
                        return Ok(due);
                    }
                    for id in ids.query_map(params![now, account, livemode, kind, left], |r| r.get::<_, String>(0))? {
                        due.push(Due {
                            scope: Scope { account: account.clone(), livemode },
                            id: id?,
                            now,
                        });
                    }
                }
            }
            Ok(due)
        })
        .await
    }

    async fn list(&self, scope: &Scope, query: &ListQuery) -> StoreResult<ListPage> {
        let (scope, query) = (scope.clone(), query.clone());
        self.read(move |conn| {
            let seq = cursor_seq(
                conn,
                "SELECT seq FROM objects WHERE id = ?1 AND account_id = ?2 AND livemode = ?3 AND kind = ?4",
                &query.cursor,
                &[&scope.account, &scope.livemode, &query.kind],
            )?;
            let mut built = Built::default();
            crate::sql::list_objects(&mut built, &scope, &query, seq);
            let records = conn
                .prepare_cached(&built.sql)?
                .query_map(params_from_iter(built.params), record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            crate::sql::page(records, &query)
        })
        .await
    }
}
