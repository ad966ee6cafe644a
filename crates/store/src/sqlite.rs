//! The embedded default: SQLite in WAL mode, called in-process.
//!
//! SQLite answers a primary-key read in microseconds, so the cost of a call
//! is whatever surrounds it. Statements therefore run right on the calling
//! task's thread through `rusqlite`, with cached prepared statements: no
//! hand-off to a connection thread and back per statement (what the async
//! drivers do). Each write's statements run as one synchronous step in a
//! savepoint, so a write is never left half-done by a cancelled future.
//!
//! - **Writes** take the one writer connection (SQLite allows one writer at a
//!   time anyway) behind an async mutex, so waiting writers park instead of
//!   blocking threads; `BEGIN IMMEDIATE` takes the file's write lock up front,
//!   so several processes sharing one file wait for each other (parked, up
//!   to `--db-acquire-timeout-ms`, then 503) instead of failing. Writes that
//!   arrive together share one transaction and one `COMMIT` (group commit,
//!   see [`SqliteStore::write`]); each is acknowledged after that commit.
//!   An update works out its change (decode, change, encode) before it
//!   takes the writer, which then only checks the object's version and
//!   stores it ([`SqliteStore::early`]): the writer holds the lock for the
//!   SQL alone, and the rest runs on both cores.
//! - **Reads** take an idle read-only connection from a small stack (one is
//!   opened when none is idle; at most as many exist as threads read at
//!   once) and run concurrently with the writer under WAL.
//! - **Checkpoints** run on a background thread instead of inside whichever
//!   commit crosses the WAL's size threshold, so no request waits for a
//!   checkpoint's disk writes; the WAL starts over whenever writes pause,
//!   and only writes that never pause make the writer wait, briefly, for a
//!   RESTART at 1 GiB ([`checkpoint`]).
//! - **Objects** lately read or written are kept in memory ([`cache`]), so
//!   a read or update of a hot session skips SQLite's lookup, exactly: the
//!   cache takes writes once committed, and answers only while no other
//!   store shares the file ([`peers`]).
//!
//! Durability: `synchronous = NORMAL` in WAL mode. A commit is in the WAL
//! (the operating system's page cache) before the request is acknowledged,
//! so a killed process (`kill -9`) loses nothing; only an operating-system
//! crash or power loss can drop the last transactions. `synchronous = FULL`
//! would also cover that, at one fsync per commit.

mod cache;
mod checkpoint;
mod peers;
mod prefetch;

use crate::model::*;
use crate::sql::Sink;
use crate::{
    AccountStore, EventStore, IdempotencyStore, ObjectStore, Store, StoreError, StoreResult,
};
use async_trait::async_trait;
use cache::{Cached, ObjectCache, Op};
use checkpoint::Checkpointer;
use peers::Peers;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension, Row};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::sync::Mutex as SyncMutex;
use std::time::Duration;
use tokio::sync::oneshot;

/// The schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;
/// How long a read waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite-backed [`Store`].
pub struct SqliteStore {
    writer: tokio::sync::Mutex<Writer>,
    /// Writes waiting for the writer: while there are some, a finished
    /// write leaves the commit to them (group commit).
    queued: AtomicUsize,
    /// Group commit on (off for an in-memory database, whose readers share
    /// the writer's connection and must not see uncommitted changes).
    batching: bool,
    /// `None` for an in-memory database, which lives in its one connection.
    readers: Option<Readers>,
    /// How long a write waits for the writer before a 503.
    acquire_timeout: Duration,
    /// Committed objects, answering while [`Self::sole`].
    cache: Arc<ObjectCache>,
    /// The other stores on this file; `None` for an in-memory database.
    peers: Option<Peers>,
}

/// Idle read-only connections.
struct Readers {
    path: PathBuf,
    idle: SyncMutex<Vec<Connection>>,
    /// Idle connections kept beyond this are closed.
    keep: usize,
}

impl Readers {
    fn with<R>(&self, f: impl FnOnce(&Connection) -> StoreResult<R>) -> StoreResult<R> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open(&self.path, Role::Reader)?,
        };
        let out = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.keep {
            idle.push(conn);
        }
        out
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Writer,
    Reader,
    Checkpointer,
}

/// Open one connection to the file with the settings of its role.
fn open(path: &std::path::Path, role: Role) -> StoreResult<Connection> {
    let flags = match role {
        Role::Reader => OpenFlags::SQLITE_OPEN_READ_ONLY,
        Role::Writer => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        Role::Checkpointer => OpenFlags::SQLITE_OPEN_READ_WRITE,
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // The writer waits for another process's lock in `write`, parked.
    conn.busy_timeout(if role == Role::Writer {
        Duration::ZERO
    } else {
        BUSY_TIMEOUT
    })?;
    conn.set_prepared_statement_cache_capacity(64);
    if role == Role::Writer {
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Config(format!(
                "SQLite refused WAL mode for {} (got {mode})",
                path.display()
            )));
        }
        // Checkpoints are the background thread's job.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // A restarted WAL file is cut back to this size (bytes), if larger.
        conn.pragma_update(None, "journal_size_limit", checkpoint::WAL_KEPT)?;
        // 16 MiB: an update walks the table and up to 8 index B-trees.
        conn.pragma_update(None, "cache_size", -16_384)?;
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(conn)
}

/// The file a `sqlite:` URL names, or `None` for an in-memory database.
fn file_of(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:").unwrap_or(url);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.split('&').any(|p| p == "mode=memory") {
        None
    } else {
        Some(PathBuf::from(path))
    }
}

impl SqliteStore {
    /// Open (creating if missing) the database at `url`.
    pub async fn connect(url: &str, options: &PoolOptions) -> StoreResult<Self> {
        let Some(path) = file_of(url) else {
            let conn = Connection::open_in_memory()?;
            conn.set_prepared_statement_cache_capacity(64);
            conn.pragma_update(None, "foreign_keys", true)?;
            let cache = Arc::new(ObjectCache::new(options.cache_bytes));
            return Ok(Self {
                writer: tokio::sync::Mutex::new(Writer::new(conn, cache.clone())),
                queued: AtomicUsize::new(0),
                batching: false,
                readers: None,
                acquire_timeout: options.acquire_timeout,
                cache,
                peers: None,
            });
        };
        let peers = Peers::join(&path).map_err(|e| {
            StoreError::Config(format!(
                "cannot open the node file beside {}: {e}",
                path.display()
            ))
        })?;
        // No write before the trust of the others' earlier reads ran out.
        tokio::time::sleep(peers::JOIN_WAIT).await;
        let writer = open(&path, Role::Writer)?;
        let checkpointer = Checkpointer::start(&path)?;
        let cache = Arc::new(ObjectCache::new(options.cache_bytes));
        let mut writer = Writer::new(writer, cache.clone());
        writer.checkpointer = Some(checkpointer);
        Ok(Self {
            writer: tokio::sync::Mutex::new(writer),
            queued: AtomicUsize::new(0),
            batching: true,
            readers: Some(Readers {
                path,
                idle: SyncMutex::new(Vec::new()),
                keep: usize::try_from(options.max_connections.max(1)).unwrap_or(16),
            }),
            acquire_timeout: options.acquire_timeout,
            cache,
            peers: Some(peers),
        })
    }

    /// Whether the cache may answer: no other store can have written.
    fn sole(&self) -> bool {
        self.peers
            .as_ref()
            .is_none_or(|p| p.sole(|| self.cache.clear()))
    }

    /// One object by id, from the cache or else from SQLite (then cached).
    async fn object(&self, id: &str) -> StoreResult<Option<Arc<Cached>>> {
        if self.sole() {
            if let Some(found) = self.cache.get(id) {
                return Ok(Some(found));
            }
        }
        self.fetch(id).await
    }

    /// One object by id from SQLite, then cached.
    async fn fetch(&self, id: &str) -> StoreResult<Option<Arc<Cached>>> {
        let token = self.cache.token(id);
        let found = self.read(|conn| load(conn, id)).await?.map(Arc::new);
        if let Some(c) = &found {
            self.cache.fill(token, c.clone());
        }
        Ok(found)
    }

    /// An update's change, worked out before it takes the writer.
    ///
    /// Decoding the object, changing it and encoding it again (`f`) is most
    /// of an update's work and needs no lock, so `f` runs here first, on
    /// the committed object (cached, or else read), in parallel with
    /// other writes. The writer then only checks that the object is still
    /// at that version and stores the result ([`update_in`]). If another
    /// write changed it meanwhile, or `f` refused this state, `f` runs again
    /// under the writer on what is current there: `f` may run twice (as on
    /// PostgreSQL, which retries), and only its last result is stored.
    ///
    /// Only while this store alone writes the file: its cache is then
    /// current. Shared, the cache may hold an older version (worked out in
    /// vain), and the writer reads the object from SQLite anyway.
    async fn early(
        &self,
        scope: &Scope,
        kind: &str,
        id: &str,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Option<Early>> {
        if !self.sole() {
            return Ok(None);
        }
        let seen = match self.cache.get(id) {
            Some(found) => Some(found),
            None => self.fetch(id).await?,
        };
        Ok(match seen {
            Some(seen) if seen.is(scope, kind) => f(&seen.record).ok().map(|change| (seen, change)),
            _ => None,
        })
    }

    /// Run `f` on a read connection.
    async fn read<R>(&self, f: impl FnOnce(&Connection) -> StoreResult<R>) -> StoreResult<R> {
        match &self.readers {
            Some(readers) => readers.with(f),
            None => f(&self.writer_lock().await?.conn),
        }
    }

    /// Run `f` atomically on the writer and return once it is committed.
    ///
    /// Group commit: `f` runs in a savepoint of the writer's open
    /// transaction (an error or a panic in `f` rolls back its savepoint
    /// only). If other writes are already queued for the writer, the
    /// commit is left to them and this call waits for it; the last write of
    /// a burst (or the [`MAX_BATCH`]th) commits for everyone. One commit
    /// then appends the pages a burst shares (the right edge of the list
    /// and status indexes, the table's last leaf) to the WAL once instead
    /// of once per write. Nothing is acknowledged before its `COMMIT`
    /// returned; a failed `COMMIT` fails every write of its batch.
    ///
    /// The writer has no busy timeout: when another process holds the
    /// file's write lock, `BEGIN IMMEDIATE` fails at once and is retried
    /// here every 2 ms, parked, until the acquire timeout (then 503), so a
    /// locked file never blocks a runtime thread.
    async fn write<R>(&self, f: impl FnOnce(&mut Tx<'_>) -> StoreResult<R>) -> StoreResult<R> {
        self.write_undone(Undo::Savepoint, f).await
    }

    /// [`Self::write`], with `f` in a savepoint or not ([`Undo`]).
    async fn write_undone<R>(
        &self,
        undo: Undo,
        f: impl FnOnce(&mut Tx<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        let deadline = tokio::time::Instant::now() + self.acquire_timeout;
        self.queued.fetch_add(1, Ordering::SeqCst);
        let locked = self.writer_lock().await;
        self.queued.fetch_sub(1, Ordering::SeqCst);
        let mut w = locked?;
        if !w.open {
            loop {
                match exec_cached(&w.conn, "BEGIN IMMEDIATE") {
                    Ok(()) => break,
                    Err(e) if is_busy(&e) && tokio::time::Instant::now() < deadline => {}
                    Err(e) => return Err(e.into()),
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            w.open = true;
        }
        let out = {
            // Checked under the file's write lock: no other store writes
            // until this transaction ends.
            let sole = self.sole();
            let Writer { conn, pending, .. } = &mut *w;
            let savepoint = match undo {
                Undo::Savepoint => Some(Savepoint::begin(conn)?),
                Undo::Statement => None,
            };
            let mut tx = Tx {
                conn,
                cache: &self.cache,
                sole,
                batch: pending,
                ops: Vec::new(),
            };
            let out = f(&mut tx);
            let ops = tx.ops;
            if out.is_ok() {
                if let Some(savepoint) = savepoint {
                    savepoint.release()?;
                }
                pending.extend(ops);
            }
            out
        };
        let later =
            self.batching && self.queued.load(Ordering::SeqCst) > 0 && w.batch.len() < MAX_BATCH;
        if out.is_err() {
            // Nothing of ours to commit; commit the others' unless someone
            // queued will.
            if !later {
                // Their outcome reaches them through their channels.
                let _ = Self::commit(&mut w).await;
            }
            return out;
        }
        if !later {
            return Self::commit(&mut w).await.map(|()| out).and_then(|r| r);
        }
        let (done, mut committed) = oneshot::channel();
        w.batch.push(done);
        drop(w);
        // The queued writer commits; should it vanish (its request timed
        // out waiting), commit ourselves after a while.
        let result = match tokio::time::timeout(FLUSH_AFTER, &mut committed).await {
            Ok(result) => result,
            Err(_) => {
                let mut w = self.writer.lock().await;
                if w.open {
                    let _ = Self::commit(&mut w).await;
                }
                drop(w);
                committed.await
            }
        };
        match result {
            Ok(Ok(())) => out,
            Ok(Err(e)) => Err(StoreError::Backend(e.into())),
            Err(_) => Err(StoreError::Backend(
                "the batch was dropped before its commit".into(),
            )),
        }
    }

    /// Commit the open batch; then, between two transactions, tell the
    /// checkpoint thread (which may make the writer wait for a RESTART).
    async fn commit(w: &mut Writer) -> StoreResult<()> {
        w.commit()?;
        if let Some(c) = &w.checkpointer {
            c.after_commit().await;
        }
        Ok(())
    }

    async fn writer_lock(&self) -> StoreResult<tokio::sync::MutexGuard<'_, Writer>> {
        tokio::time::timeout(self.acquire_timeout, self.writer.lock())
            .await
            .map_err(|_| StoreError::Unavailable("timed out waiting for the SQLite writer".into()))
    }
}

/// An update's change worked out before the writer, and the object it
/// started from ([`SqliteStore::early`]).
type Early = (Arc<Cached>, Change);

/// How a failed write's changes are undone inside the group transaction.
#[derive(Clone, Copy)]
enum Undo {
    /// The write runs in a savepoint, rolled back if it fails or panics.
    Savepoint,
    /// The write changes the database in one statement, which SQLite
    /// makes atomic by itself, or opens a savepoint of its own around
    /// several. A savepoint costs two statements and a copy of every page
    /// it changes (kept in case of a rollback): 2 % of a metadata update.
    Statement,
}

/// Writes of one group commit at most.
const MAX_BATCH: usize = 32;
/// How long a write whose commit was left to a queued one waits before
/// committing itself (only if that one disappeared).
const FLUSH_AFTER: Duration = Duration::from_millis(50);

/// The writer connection and its open group transaction.
struct Writer {
    conn: Connection,
    /// Whether `BEGIN IMMEDIATE` ran and no `COMMIT` yet.
    open: bool,
    /// Writes done in the open transaction, waiting for its commit.
    batch: Vec<oneshot::Sender<Result<(), String>>>,
    /// What the open transaction changed, for the cache once committed.
    pending: Vec<Op>,
    cache: Arc<ObjectCache>,
    /// `None` for an in-memory database (no WAL).
    checkpointer: Option<Checkpointer>,
}

impl Writer {
    fn new(conn: Connection, cache: Arc<ObjectCache>) -> Self {
        Self {
            conn,
            open: false,
            batch: Vec::new(),
            pending: Vec::new(),
            cache,
            checkpointer: None,
        }
    }

    /// `COMMIT` the open transaction (rolling it back if that fails) and
    /// tell every write of the batch how it ended.
    fn commit(&mut self) -> StoreResult<()> {
        let result = exec_cached(&self.conn, "COMMIT");
        if result.is_err() && !self.conn.is_autocommit() {
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::error!(error = %e, "could not roll back a failed SQLite commit");
            }
        }
        self.open = false;
        if result.is_ok() {
            // Before anyone is told: an acknowledged write is in the cache.
            self.cache.apply(self.pending.drain(..));
        } else {
            // Rolled back: what the cache holds is still what is committed.
            self.pending.clear();
        }
        let told = result.as_ref().map(|_| ()).map_err(ToString::to_string);
        for waiting in self.batch.drain(..) {
            let _ = waiting.send(told.clone());
        }
        Ok(result?)
    }
}

/// Run a statement that returns no rows, prepared once per connection:
/// `execute_batch` parses its SQL on every call, and `BEGIN IMMEDIATE` and
/// `COMMIT` run once per batch of writes.
fn exec_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// One write's savepoint inside the group transaction: rolled back when
/// dropped unreleased (an error or a panic in the write).
struct Savepoint<'a>(&'a Connection);

impl<'a> Savepoint<'a> {
    fn begin(conn: &'a Connection) -> StoreResult<Self> {
        exec_cached(conn, "SAVEPOINT w")?;
        Ok(Self(conn))
    }

    fn release(self) -> StoreResult<()> {
        exec_cached(self.0, "RELEASE w")?;
        std::mem::forget(self);
        Ok(())
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        let undone = self
            .0
            .execute_batch("ROLLBACK TO w")
            .and_then(|()| self.0.execute_batch("RELEASE w"));
        if let Err(e) = undone {
            tracing::error!(error = %e, "could not roll back a failed SQLite write");
        }
    }
}

/// One write's view of the writer: its connection (in the write's
/// savepoint), and the cache changes it makes, applied after the commit.
struct Tx<'a> {
    conn: &'a Connection,
    cache: &'a ObjectCache,
    /// Whether the cache holds the committed state (see [`SqliteStore::sole`]).
    sole: bool,
    /// Changes of earlier writes of the open batch, not committed yet.
    batch: &'a [Op],
    ops: Vec<Op>,
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Tx<'_> {
    /// One object as this transaction sees it: cached unless an earlier
    /// write of the batch changed it (the cache holds committed state).
    fn object(&self, id: &str) -> StoreResult<Option<Arc<Cached>>> {
        let touched = || self.batch.iter().chain(&self.ops).any(|op| op.id() == id);
        if self.sole && !touched() {
            if let Some(found) = self.cache.get(id) {
                return Ok(Some(found));
            }
        }
        Ok(load(self.conn, id)?.map(Arc::new))
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A statement built with `?` placeholders, for the dynamic list queries.
#[derive(Default)]
struct Built {
    sql: String,
    params: Vec<Value>,
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

fn event_record(row: &Row<'_>) -> rusqlite::Result<EventRecord> {
    Ok(EventRecord {
        id: row.get(0)?,
        event_type: row.get(1)?,
        created: row.get(2)?,
        data: row.get(3)?,
        pending_webhooks: row.get(4)?,
    })
}

/// One object by id (ids are unique across accounts and kinds), with what
/// the cache and an update need.
fn load(conn: &Connection, id: &str) -> StoreResult<Option<Cached>> {
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
    fn is(&self, scope: &Scope, kind: &str) -> bool {
        self.kind == kind && self.scope == *scope
    }
}

fn get_event(conn: &Connection, scope: &Scope, id: &str) -> StoreResult<Option<EventRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, type, created, data, pending_webhooks FROM events WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
        )?
        .query_row(params![id, scope.account, scope.livemode], event_record)
        .optional()?)
}

/// The `seq` of a list cursor's object, or `NotFound`.
fn cursor_seq(
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
fn insert_plain(tx: &Connection, scope: &Scope, o: &OwnedObject) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO objects (id, account_id, livemode, kind, created, version, data) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
    )?
    .execute(params![o.id, scope.account, scope.livemode, o.kind, o.created, o.data])?;
    Ok(())
}

fn insert_events(tx: &Connection, scope: &Scope, events: &[NewEvent]) -> StoreResult<()> {
    // Most updates write none: taking the statement from rusqlite's cache
    // and giving it back anyway was 1.5 % of a metadata update's
    // instructions (callgrind).
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

/// The read-modify-write of [`ObjectStore::update`], inside the writer's
/// transaction, storing the `early` change if the object is still the one
/// it was worked out from. An update that leaves every filter column as it
/// was rewrites only `data` and `version`: SQLite would otherwise rewrite
/// the entries of every index naming a column in the `SET` list.
///
/// Runs without a savepoint ([`Undo::Statement`]): everything that can fail
/// before the `UPDATE` changes nothing, and a change that also inserts
/// objects or events opens a savepoint around its statements.
fn update_in(
    tx: &mut Tx<'_>,
    scope: &Scope,
    kind: &str,
    id: &str,
    f: &mut Mutator<'_>,
    early: Option<Early>,
) -> StoreResult<Record> {
    let current = tx
        .object(id)?
        .filter(|c| c.is(scope, kind))
        .ok_or(StoreError::NotFound)?;
    let change = match early {
        Some((seen, change))
            if seen.seq == current.seq && seen.record.version == current.record.version =>
        {
            change
        }
        _ => f(&current.record)?,
    };
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

#[async_trait]
impl AccountStore for SqliteStore {
    async fn ensure_account(&self, id: &str, now: i64) -> StoreResult<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO accounts (id, created) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![id, now])?;
            Ok(())
        })
        .await
    }

    async fn add_key(&self, key: &NewKey<'_>, now: i64) -> StoreResult<()> {
        self.write(|tx| {
            tx.prepare_cached("INSERT INTO accounts (id, created) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING")?
                .execute(params![key.account, now])?;
            let existing: Option<String> = tx
                .prepare_cached("SELECT account_id FROM api_keys WHERE key_hash = ?1")?
                .query_row(params![key.key_hash], |r| r.get(0))
                .optional()?;
            match existing {
                Some(account) if account != key.account => Err(StoreError::Conflict(format!(
                    "key {} already belongs to another account",
                    key.redacted
                ))),
                Some(_) => Ok(()),
                None => {
                    tx.prepare_cached(
                        "INSERT INTO api_keys (key_hash, account_id, livemode, redacted, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![key.key_hash, key.account, key.livemode, key.redacted, now])?;
                    Ok(())
                }
            }
        })
        .await
    }

    async fn find_key(&self, key_hash: &str) -> StoreResult<Option<KeyRecord>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT k.account_id, k.livemode, a.test_clock_offset FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = ?1",
                )?
                .query_row(params![key_hash], |r| {
                    let livemode: bool = r.get(1)?;
                    let offset: i64 = r.get(2)?;
                    Ok(KeyRecord {
                        account: r.get(0)?,
                        livemode,
                        clock_offset: if livemode { 0 } else { offset },
                    })
                })
                .optional()?)
        })
        .await
    }

    async fn clock_offset(&self, account: &str) -> StoreResult<i64> {
        self.read(|conn| {
            let offset: Option<i64> = conn
                .prepare_cached("SELECT test_clock_offset FROM accounts WHERE id = ?1")?
                .query_row(params![account], |r| r.get(0))
                .optional()?;
            Ok(offset.unwrap_or(0))
        })
        .await
    }

    async fn any_key(&self) -> StoreResult<bool> {
        self.read(|conn| {
            let n: i64 = conn.query_row("SELECT COUNT(*) FROM api_keys", [], |r| r.get(0))?;
            Ok(n > 0)
        })
        .await
    }

    async fn advance_clock(&self, account: &str, seconds: i64) -> StoreResult<i64> {
        self.write(|tx| {
            let offset: Option<i64> = tx
                .prepare_cached(
                    "UPDATE accounts SET test_clock_offset = test_clock_offset + ?1 WHERE id = ?2 RETURNING test_clock_offset",
                )?
                .query_row(params![seconds, account], |r| r.get(0))
                .optional()?;
            offset.ok_or(StoreError::NotFound)
        })
        .await
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
        self.write(|tx| {
            for o in &also {
                insert_plain(tx, scope, o)?;
            }
            let i = &obj.index;
            tx.prepare_cached(
                "INSERT INTO objects (id, account_id, livemode, kind, created, version, status, email, customer, payment_intent, payment_link, subscription, expires_at, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                obj.id,
                scope.account,
                scope.livemode,
                obj.kind,
                obj.created,
                i.status,
                i.email,
                i.customer,
                i.payment_intent,
                i.payment_link,
                i.subscription,
                i.expires_at,
                obj.data
            ])?;
            insert_events(tx, scope, &events)
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
        self.write(|tx| {
            let n = tx
                .prepare_cached("DELETE FROM objects WHERE id = ?1 AND account_id = ?2 AND livemode = ?3 AND kind = ?4")?
                .execute(params![id, scope.account, scope.livemode, kind])?;
            if n == 1 {
                tx.ops.push(Op::Remove(id.to_owned()));
            }
            Ok(n == 1)
        })
        .await
    }

    async fn update(
        &self,
        scope: &Scope,
        kind: &str,
        id: &str,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Record> {
        let early = self.early(scope, kind, id, f).await?;
        self.write_undone(Undo::Statement, |tx| {
            update_in(tx, scope, kind, id, f, early)
        })
        .await
    }

    async fn due(&self, kind: &str, real_now: i64, limit: i64) -> StoreResult<Vec<Due>> {
        self.read(|conn| {
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
        self.read(|conn| {
            let seq = cursor_seq(
                conn,
                "SELECT seq FROM objects WHERE id = ?1 AND account_id = ?2 AND livemode = ?3 AND kind = ?4",
                &query.cursor,
                &[&scope.account, &scope.livemode, &query.kind],
            )?;
            let mut built = Built::default();
            crate::sql::list_objects(&mut built, scope, query, seq);
            let records = conn
                .prepare_cached(&built.sql)?
                .query_map(params_from_iter(built.params), record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            crate::sql::page(records, query)
        })
        .await
    }
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn idem_begin(
        &self,
        scope: &Scope,
        key: &str,
        fingerprint: &str,
        now: i64,
    ) -> StoreResult<IdemBegin> {
        self.write(|tx| {
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO idempotency_keys (account_id, livemode, key, fingerprint, created) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                )?
                .execute(params![scope.account, scope.livemode, key, fingerprint, now])?;
            if inserted == 1 {
                return Ok(IdemBegin::Started);
            }
            let (stored, status, body, created): (String, Option<i64>, Option<String>, i64) = tx
                .prepare_cached(
                    "SELECT fingerprint, status_code, body, created FROM idempotency_keys WHERE account_id = ?1 AND livemode = ?2 AND key = ?3",
                )?
                .query_row(params![scope.account, scope.livemode, key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?;
            Ok(match status {
                _ if stored != fingerprint => IdemBegin::Mismatch,
                Some(code) => IdemBegin::Replay {
                    status: u16::try_from(code).map_err(|_| StoreError::Corrupt("status code".into()))?,
                    body: body.unwrap_or_default(),
                },
                None if created + IDEM_ABANDONED_AFTER < now => {
                    tx.prepare_cached("UPDATE idempotency_keys SET created = ?1 WHERE account_id = ?2 AND livemode = ?3 AND key = ?4")?
                        .execute(params![now, scope.account, scope.livemode, key])?;
                    IdemBegin::Started
                }
                None => IdemBegin::InProgress,
            })
        })
        .await
    }

    async fn idem_finish(
        &self,
        scope: &Scope,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE idempotency_keys SET status_code = ?1, body = ?2 WHERE account_id = ?3 AND livemode = ?4 AND key = ?5",
            )?
            .execute(params![i64::from(status), body, scope.account, scope.livemode, key])?;
            Ok(())
        })
        .await
    }

    async fn idem_release(&self, scope: &Scope, key: &str) -> StoreResult<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "DELETE FROM idempotency_keys WHERE account_id = ?1 AND livemode = ?2 AND key = ?3 AND status_code IS NULL",
            )?
            .execute(params![scope.account, scope.livemode, key])?;
            Ok(())
        })
        .await
    }

    async fn idem_prune(&self, before: i64) -> StoreResult<u64> {
        self.write(|tx| {
            let n = tx
                .prepare_cached("DELETE FROM idempotency_keys WHERE created < ?1")?
                .execute(params![before])?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
        .await
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn get_event(&self, scope: &Scope, id: &str) -> StoreResult<Option<EventRecord>> {
        self.read(|conn| get_event(conn, scope, id)).await
    }

    async fn list_events(&self, scope: &Scope, query: &EventQuery) -> StoreResult<EventPage> {
        self.read(|conn| {
            let seq = cursor_seq(
                conn,
                "SELECT seq FROM events WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
                &query.page.cursor,
                &[&scope.account, &scope.livemode],
            )?;
            let patterns = crate::sql::type_patterns(query);
            let mut built = Built::default();
            crate::sql::list_events(&mut built, scope, query, &patterns, seq);
            let mut records = conn
                .prepare_cached(&built.sql)?
                .query_map(params_from_iter(built.params), event_record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let has_more = crate::sql::trim_page(&mut records, &query.page);
            Ok(EventPage { records, has_more })
        })
        .await
    }

    async fn fan_out(
        &self,
        endpoint_kind: &str,
        limit: i64,
        now_ms: i64,
        matches: &EndpointMatcher<'_>,
    ) -> StoreResult<usize> {
        self.write(|tx| {
            type Row = (String, String, bool, String, i64);
            let events: Vec<Row> = tx
                .prepare_cached("SELECT id, account_id, livemode, type, created FROM events WHERE fanned_out = 0 ORDER BY seq LIMIT ?1")?
                .query_map(params![limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut endpoints: std::collections::HashMap<(String, bool), Vec<(String, String)>> = std::collections::HashMap::new();
            let mut deliver = tx.prepare_cached(
                "INSERT INTO webhook_deliveries (event_id, endpoint_id, account_id, livemode, state, attempts, next_attempt_at, locked_until) \
                 VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, 0) ON CONFLICT DO NOTHING",
            )?;
            for (id, account, livemode, event_type, created) in &events {
                let key = (account.clone(), *livemode);
                if !endpoints.contains_key(&key) {
                    let list = tx
                        .prepare_cached("SELECT id, data FROM objects WHERE account_id = ?1 AND livemode = ?2 AND kind = ?3")?
                        .query_map(params![account, livemode, endpoint_kind], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    endpoints.insert(key.clone(), list);
                }
                let mut pending: i64 = 0;
                for (endpoint_id, data) in endpoints.get(&key).map(Vec::as_slice).unwrap_or_default() {
                    if !matches(event_type, *created, data) {
                        continue;
                    }
                    deliver.execute(params![id, endpoint_id, account, livemode, now_ms])?;
                    pending += 1;
                }
                tx.prepare_cached("UPDATE events SET fanned_out = 1, pending_webhooks = ?1 WHERE id = ?2")?
                    .execute(params![pending, id])?;
            }
            Ok(events.len())
        })
        .await
    }

    async fn claim_deliveries(
        &self,
        endpoint_kind: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<Delivery>> {
        self.write(|tx| {
            type Claim = (String, String, String, bool, i64);
            let claimed: Vec<Claim> = tx
                .prepare_cached(
                    "UPDATE webhook_deliveries SET locked_until = ?1 WHERE (event_id, endpoint_id) IN (\
                     SELECT event_id, endpoint_id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?2 AND locked_until <= ?2 \
                     ORDER BY next_attempt_at LIMIT ?3) RETURNING event_id, endpoint_id, account_id, livemode, attempts",
                )?
                .query_map(params![now_ms + lease_ms, now_ms, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            claimed
                .into_iter()
                .map(|(event_id, endpoint_id, account, livemode, attempts)| {
                    let scope = Scope { account, livemode };
                    let event = get_event(tx, &scope, &event_id)?;
                    let endpoint = tx
                        .object(&endpoint_id)?
                        .filter(|c| c.is(&scope, endpoint_kind))
                        .map(|c| c.record.data.clone());
                    Ok(Delivery {
                        scope,
                        event_id,
                        endpoint_id,
                        attempts,
                        event,
                        endpoint,
                    })
                })
                .collect()
        })
        .await
    }

    async fn finish_delivery(
        &self,
        event_id: &str,
        endpoint_id: &str,
        outcome: &DeliveryOutcome,
    ) -> StoreResult<()> {
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
        self.write(|tx| {
            let done = tx
                .prepare_cached(
                    "UPDATE webhook_deliveries SET state = ?1, attempts = attempts + 1, next_attempt_at = COALESCE(?2, next_attempt_at), \
                     locked_until = 0, last_status = ?3, last_error = ?4 WHERE event_id = ?5 AND endpoint_id = ?6 AND state = 'pending'",
                )?
                .execute(params![state, next, status.map(i64::from), error, event_id, endpoint_id])?;
            if done == 1 && matches!(outcome, DeliveryOutcome::Delivered { .. }) {
                tx.prepare_cached("UPDATE events SET pending_webhooks = pending_webhooks - 1 WHERE id = ?1 AND pending_webhooks > 0")?
                    .execute(params![event_id])?;
            }
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        self.write(|tx| {
            let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version > SCHEMA_VERSION {
                return Err(StoreError::Config(format!(
                    "the database has schema version {version}; this checkoutd knows up to {SCHEMA_VERSION}"
                )));
            }
            if version == SCHEMA_VERSION {
                return Ok(());
            }
            // A database made by an earlier checkoutd, which tracked its
            // schema in sqlx's table: the same schema, adopted as is.
            let by_sqlx: i64 = tx.query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                [],
                |r| r.get(0),
            )?;
            if by_sqlx == 0 {
                tx.execute_batch(include_str!("../migrations/sqlite/0001_init.sql"))?;
            }
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            Ok(())
        })
        .await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect;
    use std::sync::Arc;

    /// Group commit: every write that returned Ok is committed (a reader
    /// connection sees it at once), and a write that fails (a duplicate
    /// id) takes nothing of its batch with it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_acknowledged_write_of_a_batch_is_committed_and_failures_stay_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let url = format!("sqlite://{}", path.display());
        let store = connect(&url, &PoolOptions::default()).await.unwrap();
        store.migrate().await.unwrap();
        let scope = Scope {
            account: "acct_t".into(),
            livemode: false,
        };
        let tasks = (0..400).map(|i| {
            let (store, scope): (Arc<dyn Store>, Scope) = (store.clone(), scope.clone());
            let path = path.clone();
            tokio::spawn(async move {
                // Every 10th write reuses the id of the one before it.
                let id = if i % 10 == 9 {
                    format!("obj_{}", i - 1)
                } else {
                    format!("obj_{i}")
                };
                let written = store
                    .insert(
                        &scope,
                        NewObject {
                            id: &id,
                            kind: "thing",
                            created: i,
                            data: format!("{{\"n\":{i}}}"),
                            index: Index::default(),
                        },
                        Vec::new(),
                    )
                    .await;
                // Through a connection of its own, not the store's cache.
                let seen: Option<String> = Connection::open(&path)
                    .unwrap()
                    .query_row("SELECT data FROM objects WHERE id = ?1", [&id], |r| {
                        r.get(0)
                    })
                    .optional()
                    .unwrap();
                (i, written.is_ok(), seen)
            })
        });
        // Writes 10k+8 and 10k+9 race for one id: exactly one of them
        // wins, and what a reader sees is the winner's data.
        let results = futures_join(tasks).await;
        let mut failed = 0;
        for (i, ok, seen) in &results {
            let mine = format!("{{\"n\":{i}}}");
            if *ok {
                assert_eq!(
                    seen.as_ref(),
                    Some(&mine),
                    "write {i} acknowledged but not visible"
                );
            } else {
                assert!(i % 10 >= 8, "write {i} had an id of its own and failed");
                failed += 1;
            }
        }
        assert_eq!(failed, 40, "one write of each contested id fails");
        let page = store
            .list(
                &scope,
                &ListQuery {
                    kind: "thing",
                    eq: Vec::new(),
                    created: CreatedRange::default(),
                    limit: 100,
                    cursor: Cursor::First,
                },
            )
            .await
            .unwrap();
        assert_eq!(page.records.len(), 100);
        assert!(page.has_more);
    }

    /// A migrated store on a new file in a temporary directory (kept while
    /// the returned guard lives), and a test account's scope.
    pub(super) async fn migrated() -> (tempfile::TempDir, PathBuf, SqliteStore, Scope) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let url = format!("sqlite://{}", path.display());
        let store = SqliteStore::connect(&url, &PoolOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let scope = Scope {
            account: "acct_t".into(),
            livemode: false,
        };
        (dir, path, store, scope)
    }

    fn thing(id: &str, n: i64) -> NewObject<'_> {
        NewObject {
            id,
            kind: "thing",
            created: n,
            data: format!("{{\"n\":{n}}}"),
            index: Index::default(),
        }
    }

    /// The change that adds one to `n` in the object's JSON.
    fn incremented(r: &Record) -> Change {
        let n: serde_json::Value = serde_json::from_str(&r.data).unwrap();
        Change {
            data: format!("{{\"n\":{}}}", n["n"].as_i64().unwrap() + 1),
            index: Index::default(),
            events: Vec::new(),
            inserts: Vec::new(),
        }
    }

    /// Bump `n` in the object's JSON.
    async fn bump(store: &SqliteStore, scope: &Scope, id: &str) -> Record {
        store
            .update(scope, "thing", id, &mut |r: &Record| Ok(incremented(r)))
            .await
            .unwrap()
    }

    /// An update runs without a savepoint of the writer's unless its change
    /// also inserts ([`Undo::Statement`]); one that inserts an object whose
    /// id is taken fails whole: its `UPDATE` is undone too, in SQLite and
    /// in the cache.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_update_whose_insert_fails_changes_nothing() {
        let (_dir, path, store, scope) = migrated().await;
        store
            .insert(&scope, thing("a", 1), Vec::new())
            .await
            .unwrap();
        store
            .insert(&scope, thing("b", 1), Vec::new())
            .await
            .unwrap();
        let clashing = |r: &Record| {
            let mut change = incremented(r);
            change.inserts.push(OwnedObject {
                id: "b".into(),
                kind: "thing",
                created: 2,
                data: "{}".into(),
            });
            Ok(change)
        };
        let failed = store.update(&scope, "thing", "a", &mut { clashing }).await;
        assert!(failed.is_err(), "the insert clashes: {failed:?}");
        let stored: (String, i64) = Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT data, version FROM objects WHERE id = 'a'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            stored,
            ("{\"n\":1}".to_owned(), 1),
            "SQLite kept the object"
        );
        let cached = store.get(&scope, "thing", "a").await.unwrap().unwrap();
        assert_eq!((cached.data.as_str(), cached.version), ("{\"n\":1}", 1));
        // A plain update goes on from there.
        assert_eq!(bump(&store, &scope, "a").await.data, "{\"n\":2}");
    }

    /// Updates worked out before the writer ([`SqliteStore::early`]) and
    /// raced by others are redone on the current state: many concurrent
    /// increments of one object lose none.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_updates_of_one_object_lose_none() {
        let (_dir, _, store, scope) = migrated().await;
        let store = Arc::new(store);
        store.ensure_account(&scope.account, 0).await.unwrap();
        store
            .insert(&scope, thing("t_1", 0), Vec::new())
            .await
            .unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let tasks = (0..32).map(|_| {
            let (store, scope, calls) = (store.clone(), scope.clone(), calls.clone());
            tokio::spawn(async move {
                for _ in 0..20 {
                    store
                        .update(&scope, "thing", "t_1", &mut |r: &Record| {
                            calls.fetch_add(1, Ordering::SeqCst);
                            Ok(incremented(r))
                        })
                        .await
                        .unwrap();
                }
            })
        });
        futures_join(tasks).await;
        let got = store.get(&scope, "thing", "t_1").await.unwrap().unwrap();
        assert_eq!(got.data, "{\"n\":640}");
        assert_eq!(got.version, 641);
        // Some early changes were raced and redone: the test saw the race.
        assert!(calls.load(Ordering::SeqCst) > 640);
    }

    /// The cache answers a store alone on its file; two stores on one file
    /// (two nodes) each see the other's writes at once; alone again, the
    /// first store's cache answers again, with what the other wrote.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_cache_answers_only_while_no_other_store_can_write() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let scope = Scope {
            account: "acct_t".into(),
            livemode: false,
        };
        let a = SqliteStore::connect(&url, &PoolOptions::default())
            .await
            .unwrap();
        a.migrate().await.unwrap();
        a.insert(&scope, thing("obj_1", 1), Vec::new())
            .await
            .unwrap();
        let data = |r: Option<Record>| r.map(|r| r.data);
        for _ in 0..2 {
            assert_eq!(
                data(a.get(&scope, "thing", "obj_1").await.unwrap()),
                Some("{\"n\":1}".into())
            );
        }
        assert_eq!(a.cache.hits(), 1, "the first read was cached");
        assert_eq!(
            a.get(&scope, "other", "obj_1").await.unwrap(),
            None,
            "kind checked"
        );

        let b = SqliteStore::connect(&url, &PoolOptions::default())
            .await
            .unwrap();
        assert_eq!(bump(&b, &scope, "obj_1").await.version, 2);
        assert_eq!(
            data(a.get(&scope, "thing", "obj_1").await.unwrap()),
            Some("{\"n\":2}".into())
        );
        assert_eq!(
            bump(&a, &scope, "obj_1").await.version,
            3,
            "a read what b wrote"
        );
        assert_eq!(
            data(b.get(&scope, "thing", "obj_1").await.unwrap()),
            Some("{\"n\":3}".into())
        );
        let hits = a.cache.hits();
        assert_eq!(
            data(a.get(&scope, "thing", "obj_1").await.unwrap()),
            Some("{\"n\":3}".into())
        );
        assert_eq!(a.cache.hits(), hits, "no cached answer while b is there");

        drop(b);
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(
            data(a.get(&scope, "thing", "obj_1").await.unwrap()),
            Some("{\"n\":3}".into())
        );
        assert_eq!(bump(&a, &scope, "obj_1").await.version, 4);
        let hits = a.cache.hits();
        assert_eq!(
            data(a.get(&scope, "thing", "obj_1").await.unwrap()),
            Some("{\"n\":4}".into())
        );
        assert_eq!(a.cache.hits(), hits + 1, "alone again: cached");
    }

    async fn futures_join<T: Send + 'static>(
        tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for t in tasks.collect::<Vec<_>>() {
            out.push(t.await.unwrap());
        }
        out
    }

    #[test]
    fn urls_name_files_or_memory() {
        assert_eq!(
            file_of("sqlite://checkoutd.db"),
            Some(PathBuf::from("checkoutd.db"))
        );
        assert_eq!(
            file_of("sqlite:///tmp/x.db"),
            Some(PathBuf::from("/tmp/x.db"))
        );
        assert_eq!(
            file_of("sqlite:data.db?mode=rwc"),
            Some(PathBuf::from("data.db"))
        );
        assert_eq!(file_of("sqlite::memory:"), None);
        assert_eq!(file_of("sqlite://x.db?mode=memory"), None);
    }
}
