//! The one writer connection: whose turn it is, group commit, savepoints,
//! and the view of the database a write works on ([`Tx`]).
//!
//! SQLite allows one writer at a time, so writes take the writer in turn
//! behind an async mutex: a waiting write parks instead of holding a
//! thread. The turn is an owned guard that travels with each synchronous
//! step to tokio's blocking pool ([`Turn::run`]) and comes back, so the
//! statements and the `COMMIT` never run on the runtime's threads, and a
//! future cancelled mid-step still frees the writer only once the step
//! ended. This is simpler than a dedicated writer thread: an update can
//! keep the turn across a look at the current object, its closure (which
//! borrows the caller's state and so cannot be sent to another thread),
//! and the step that stores the result.
//!
//! Group commit: a write runs in a savepoint of the writer's open
//! transaction (an error or a panic in it rolls back its savepoint only).
//! If other writes are already queued for the turn, the commit is left to
//! them and the write waits for it; the last write of a burst (or the
//! [`MAX_BATCH`]th) commits for everyone. One commit then appends the pages
//! a burst shares (the right edge of the list and status indexes, the
//! table's last leaf) to the WAL once instead of once per write. Nothing is
//! acknowledged before its `COMMIT` returned; a failed `COMMIT` fails every
//! write of its batch.
//!
//! The writer waits for a write lock held by another program (not a
//! checkoutd: see [`super::lock`]) in SQLite's busy handler, on the
//! blocking thread, up to the acquire timeout (then 503).

use super::cache::{Cached, ObjectCache, Op};
use super::checkpoint::Checkpointer;
use super::lock::ProcessLock;
use super::objects::load;
use crate::{StoreError, StoreResult};
use rusqlite::Connection;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

/// Writes of one group commit at most.
const MAX_BATCH: usize = 32;
/// How long a write whose commit was left to a queued one waits before
/// committing itself (only if that one disappeared).
const FLUSH_AFTER: Duration = Duration::from_millis(50);

/// How a failed write's changes are undone inside the group transaction.
#[derive(Clone, Copy)]
pub(super) enum Undo {
    /// The write runs in a savepoint, rolled back if it fails or panics.
    Savepoint,
    /// The write changes the database in one statement, which SQLite
    /// makes atomic by itself, or opens a savepoint of its own around
    /// several. A savepoint costs two statements and a copy of every page
    /// it changes (kept in case of a rollback).
    Statement,
}

/// The writer connection and its open group transaction.
pub(super) struct Writer {
    conn: Connection,
    /// Whether `BEGIN IMMEDIATE` ran and no `COMMIT` yet.
    open: bool,
    /// Writes done in the open transaction, waiting for its commit.
    batch: Vec<oneshot::Sender<Result<(), String>>>,
    /// What the open transaction changed, for the cache once committed.
    pending: Vec<Op>,
    cache: Arc<ObjectCache>,
    /// Group commit on (off for an in-memory database, whose readers share
    /// the writer's connection and must not see uncommitted changes).
    batching: bool,
    /// Writes waiting for their turn (the [`WriterQueue`]'s count).
    queued: Arc<AtomicUsize>,
    /// `None` for an in-memory database (no WAL).
    pub(super) checkpointer: Option<Arc<Checkpointer>>,
    /// The file's one-process lock, released when the writer goes, after
    /// its last statement; `None` in memory.
    pub(super) lock: Option<ProcessLock>,
}

/// The result of one write's synchronous step, and what is left to do.
enum Then {
    /// Nothing to wait for: the write failed before or was left to others.
    Done,
    /// The step committed the batch, with this outcome.
    Committed(StoreResult<()>),
    /// A queued write commits; its outcome arrives here.
    Wait(oneshot::Receiver<Result<(), String>>),
}

impl Writer {
    pub(super) fn new(conn: Connection, cache: Arc<ObjectCache>, batching: bool) -> Self {
        Self {
            conn,
            open: false,
            batch: Vec::new(),
            pending: Vec::new(),
            cache,
            batching,
            queued: Arc::new(AtomicUsize::new(0)),
            checkpointer: None,
            lock: None,
        }
    }

    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// One write: `f` in the group transaction (opened if need be), then
    /// commit now or leave the commit to a queued write.
    fn step<R>(
        &mut self,
        undo: Undo,
        f: impl FnOnce(&mut Tx<'_>) -> StoreResult<R>,
    ) -> (StoreResult<R>, Then) {
        if !self.open {
            if let Err(e) = exec_cached(&self.conn, "BEGIN IMMEDIATE") {
                return (Err(e.into()), Then::Done);
            }
            self.open = true;
        }
        let out = (|| {
            let Writer {
                conn,
                pending,
                cache,
                ..
            } = &mut *self;
            let savepoint = match undo {
                Undo::Savepoint => Some(Savepoint::begin(conn)?),
                Undo::Statement => None,
            };
            let mut tx = Tx {
                conn,
                cache,
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
            Ok(out)
        })();
        let out = match out {
            Ok(out) => out,
            // The savepoint itself failed: the transaction stays open.
            Err(e) => return (Err(e), Then::Done),
        };
        let later =
            self.batching && self.queued.load(Ordering::SeqCst) > 0 && self.batch.len() < MAX_BATCH;
        if later {
            if out.is_err() {
                // Nothing of ours to commit; a queued write commits the others'.
                return (out, Then::Done);
            }
            let (done, committed) = oneshot::channel();
            self.batch.push(done);
            return (out, Then::Wait(committed));
        }
        let committed = self.commit();
        (out, Then::Committed(committed))
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

/// The writer and the count of writes waiting for it.
pub(super) struct WriterQueue {
    writer: Arc<Mutex<Writer>>,
    queued: Arc<AtomicUsize>,
    /// How long a write waits for its turn before a 503.
    acquire_timeout: Duration,
}

impl WriterQueue {
    pub(super) fn new(writer: Writer, acquire_timeout: Duration) -> Self {
        let queued = writer.queued.clone();
        Self {
            writer: Arc::new(Mutex::new(writer)),
            queued,
            acquire_timeout,
        }
    }

    /// Wait for the writer, parked, counted as queued meanwhile (so the
    /// write before leaves its commit to this one).
    pub(super) async fn turn(&self) -> StoreResult<Turn> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let turn = self.lock().await;
        self.queued.fetch_sub(1, Ordering::SeqCst);
        turn
    }

    /// Wait for the writer without being counted as a write.
    pub(super) async fn lock(&self) -> StoreResult<Turn> {
        tokio::time::timeout(self.acquire_timeout, self.writer.clone().lock_owned())
            .await
            .map(Turn)
            .map_err(|_| StoreError::Unavailable("timed out waiting for the SQLite writer".into()))
    }

    /// Run `f` atomically on the writer and return once it is committed.
    pub(super) async fn write<R: Send + 'static>(
        &self,
        undo: Undo,
        f: impl FnOnce(&mut Tx<'_>) -> StoreResult<R> + Send + 'static,
    ) -> StoreResult<R> {
        self.turn().await?.finish(self, undo, f).await
    }
}

/// The writer, while it is this write's turn.
pub(super) struct Turn(OwnedMutexGuard<Writer>);

impl Turn {
    /// Run `f` on the writer on the blocking pool, keeping the turn.
    pub(super) async fn run<R: Send + 'static>(
        mut self,
        f: impl FnOnce(&mut Writer) -> R + Send + 'static,
    ) -> StoreResult<(Self, R)> {
        super::blocking(move || {
            let out = f(&mut self.0);
            Ok((self, out))
        })
        .await
    }

    /// One object as the open transaction sees it: cached unless a write
    /// of the open batch changed it (the cache holds committed state).
    pub(super) async fn object(self, id: String) -> StoreResult<(Self, Option<Arc<Cached>>)> {
        let w = &self.0;
        if !w.pending.iter().any(|op| op.id() == id) {
            if let Some(found) = w.cache.get(&id) {
                return Ok((self, Some(found)));
            }
        }
        let (turn, found) = self.run(move |w| load(&w.conn, &id)).await?;
        Ok((turn, found?.map(Arc::new)))
    }

    /// Do the write `f` and end the turn; return once it is committed.
    pub(super) async fn finish<R: Send + 'static>(
        self,
        queue: &WriterQueue,
        undo: Undo,
        f: impl FnOnce(&mut Tx<'_>) -> StoreResult<R> + Send + 'static,
    ) -> StoreResult<R> {
        let (turn, (out, then)) = self.run(move |w| w.step(undo, f)).await?;
        match then {
            Then::Done => out,
            Then::Committed(committed) => {
                if committed.is_ok() {
                    turn.after_commit().await;
                }

                out.and_then(|r| committed.map(|()| r))
            }
            Then::Wait(committed) => {
                drop(turn);
                Self::wait(queue, committed).await.and(out)
            }
        }
    }

    /// Between two transactions: let the checkpoint thread make the writer
    /// wait for a RESTART if the WAL is full.
    async fn after_commit(self) {
        let checkpointer = self.0.checkpointer.clone();
        if let Some(c) = checkpointer {
            c.after_commit().await;
        }
    }

    /// Wait for the commit a queued write was left; should that write
    /// vanish (its request timed out waiting), commit after a while.
    async fn wait(
        queue: &WriterQueue,
        mut committed: oneshot::Receiver<Result<(), String>>,
    ) -> StoreResult<()> {
        let result = match tokio::time::timeout(FLUSH_AFTER, &mut committed).await {
            Ok(result) => result,
            Err(_) => {
                let turn = Turn(queue.writer.clone().lock_owned().await);
                let (turn, flushed) = turn
                    .run(|w| {
                        if w.open {
                            w.commit().map(Some)
                        } else {
                            Ok(None)
                        }
                    })
                    .await?;
                if let Ok(Some(())) = flushed {
                    turn.after_commit().await;
                }
                committed.await
            }
        };
        match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Backend(e.into())),
            Err(_) => Err(StoreError::Backend(
                "the batch was dropped before its commit".into(),
            )),
        }
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
pub(super) struct Savepoint<'a>(&'a Connection);

impl<'a> Savepoint<'a> {
    pub(super) fn begin(conn: &'a Connection) -> StoreResult<Self> {
        exec_cached(conn, "SAVEPOINT w")?;
        Ok(Self(conn))
    }

    pub(super) fn release(self) -> StoreResult<()> {
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
pub(super) struct Tx<'a> {
    pub(super) conn: &'a Connection,
    cache: &'a ObjectCache,
    /// Changes of earlier writes of the open batch, not committed yet.
    batch: &'a [Op],
    pub(super) ops: Vec<Op>,
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
    pub(super) fn object(&self, id: &str) -> StoreResult<Option<Arc<Cached>>> {
        let touched = || self.batch.iter().chain(&self.ops).any(|op| op.id() == id);
        if !touched() {
            if let Some(found) = self.cache.get(id) {
                return Ok(Some(found));
            }
        }
        Ok(load(self.conn, id)?.map(Arc::new))
    }
}
