//! The one writer connection, on a thread of its own: group commit,
//! savepoints, and the view of the database a write works on ([`Tx`]).
//!
//! SQLite allows one writer at a time. Writes are jobs sent to the writer
//! thread over a channel, so no statement or `COMMIT` runs on the
//! runtime's threads and a waiting write holds no thread. A job is one
//! synchronous step, so a write is never left half-done by a cancelled
//! future: once sent, it runs to its end.
//!
//! Group commit: the thread runs each job in a savepoint of its open
//! transaction (an error or a panic in it rolls back its savepoint only),
//! then the jobs already queued behind it, up to [`MAX_BATCH`], and
//! commits them all at once. One commit then appends the pages a burst
//! shares (the right edge of the list and status indexes, the table's last
//! leaf) to the WAL once instead of once per write, and the thread goes
//! from job to job without sleeping in between. Nothing is acknowledged
//! before its `COMMIT` returned; a failed `COMMIT` fails every write of
//! its batch.
//!
//! The writer waits for a write lock held by another program (not a
//! checkoutd: see [`super::lock`]) in SQLite's busy handler, up to the
//! acquire timeout; a job that waited in the queue longer than that
//! answers 503 without running.

use super::cache::{Cached, ObjectCache, Op};
use super::checkpoint::Checkpointer;
use super::lock::ProcessLock;
use super::objects::load;
use crate::{StoreError, StoreResult};
use rusqlite::Connection;
use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Writes of one group commit at most.
const MAX_BATCH: usize = 32;

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

/// The writer connection and its open group transaction, owned by the
/// writer thread.
pub(super) struct Writer {
    conn: Connection,
    /// Whether `BEGIN IMMEDIATE` ran and no `COMMIT` yet.
    open: bool,
    /// What the open transaction changed, for the cache once committed.
    pending: Vec<Op>,
    cache: Arc<ObjectCache>,
    /// Group commit on (off for an in-memory database, whose readers share
    /// the writer's connection and must not see uncommitted changes).
    batching: bool,
    /// `None` for an in-memory database (no WAL).
    pub(super) checkpointer: Option<Arc<Checkpointer>>,
    /// The file's one-process lock, released when the writer goes, after
    /// its last statement; `None` in memory.
    pub(super) lock: Option<ProcessLock>,
}

/// What a job leaves to do once its batch's `COMMIT` ended: tell its
/// caller. `None` when it told them already (it failed, or only read).
type Tell = Option<Box<dyn FnOnce(&Result<(), String>) + Send>>;
/// One job for the writer thread.
type Job = Box<dyn FnOnce(&mut Writer) -> Tell + Send>;
/// A job's outcome, or the panic it raised (raised again in the caller).
type Outcome<R> = Result<StoreResult<R>, Box<dyn Any + Send>>;

impl Writer {
    pub(super) fn new(conn: Connection, cache: Arc<ObjectCache>, batching: bool) -> Self {
        Self {
            conn,
            open: false,
            pending: Vec::new(),
            cache,
            batching,
            checkpointer: None,
            lock: None,
        }
    }

    /// The thread: run each job and those queued behind it, commit, tell
    /// them, until every sender is gone.
    fn run(mut self, jobs: mpsc::Receiver<Job>) {
        while let Ok(first) = jobs.recv() {
            let mut told = Vec::new();
            let mut next = Some(first);
            while let Some(job) = next.take() {
                told.extend(job(&mut self));
                if self.open && self.batching && told.len() < MAX_BATCH {
                    next = jobs.try_recv().ok();
                }
            }
            if !self.open {
                continue;
            }
            let committed = self.commit();
            for tell in told {
                tell(&committed);
            }
            if committed.is_ok() {
                if let Some(c) = &self.checkpointer {
                    c.after_commit();
                }
            }
        }
    }

    /// `f` in the group transaction (opened if need be) and, with
    /// [`Undo::Savepoint`], in a savepoint of its own.
    fn step<R>(
        &mut self,
        undo: Undo,
        f: impl FnOnce(&mut Tx<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        if !self.open {
            exec_cached(&self.conn, "BEGIN IMMEDIATE")?;
            self.open = true;
        }
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
        let out = f(&mut tx)?;
        let ops = tx.ops;
        if let Some(savepoint) = savepoint {
            savepoint.release()?;
        }
        pending.extend(ops);
        Ok(out)
    }

    /// `COMMIT` the open transaction (rolling it back if that fails); the
    /// outcome for every write of the batch.
    fn commit(&mut self) -> Result<(), String> {
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
        result.map_err(|e| e.to_string())
    }
}

/// The line to the writer thread.
pub(super) struct WriterQueue {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    /// How long a write may wait for the writer before a 503.
    acquire_timeout: Duration,
}

impl WriterQueue {
    /// Start the writer thread.
    pub(super) fn new(writer: Writer, acquire_timeout: Duration) -> StoreResult<Self> {
        let (jobs, received) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer.run(received))
            .map_err(|e| StoreError::Config(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
            acquire_timeout,
        })
    }

    /// Run `f` atomically on the writer and return once it is committed.
    pub(super) async fn write<R: Send + 'static>(
        &self,
        undo: Undo,
        f: impl FnOnce(&mut Tx<'_>) -> StoreResult<R> + Send + 'static,
    ) -> StoreResult<R> {
        self.send(move |w, reply: oneshot::Sender<Outcome<R>>| {
            match catch_unwind(AssertUnwindSafe(|| w.step(undo, f))) {
                Ok(Ok(r)) => Some(Box::new(move |committed: &Result<(), String>| {
                    let out = committed
                        .clone()
                        .map(|()| r)
                        .map_err(|e| StoreError::Backend(e.into()));
                    let _ = reply.send(Ok(out));
                })
                    as Box<dyn FnOnce(&Result<(), String>) + Send>),
                failed => {
                    let _ = reply.send(failed);
                    None
                }
            }
        })
        .await
    }

    /// Run `f` on the writer's connection outside any transaction (the
    /// reads of an in-memory database, which has no other connection).
    pub(super) async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    ) -> StoreResult<R> {
        self.send(move |w, reply: oneshot::Sender<Outcome<R>>| {
            let _ = reply.send(catch_unwind(AssertUnwindSafe(|| f(&w.conn))));
            None
        })
        .await
    }

    /// Queue a job that answers on `reply`, and wait for the answer.
    async fn send<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Writer, oneshot::Sender<Outcome<R>>) -> Tell + Send + 'static,
    ) -> StoreResult<R> {
        let (reply, answer) = oneshot::channel();
        let deadline = Instant::now() + self.acquire_timeout;
        let job: Job = Box::new(move |w| {
            if Instant::now() > deadline {
                let _ = reply.send(Ok(Err(StoreError::Unavailable(
                    "timed out waiting for the SQLite writer".into(),
                ))));
                return None;
            }
            job(w, reply)
        });
        let gone = || StoreError::Unavailable("the SQLite writer stopped".into());
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(job)
            .map_err(|_| gone())?;
        match answer.await {
            Ok(Ok(out)) => out,
            Ok(Err(panic)) => resume_unwind(panic),
            Err(_) => Err(gone()),
        }
    }
}

impl Drop for WriterQueue {
    /// Stop the thread and wait for it, so that the file's lock is free
    /// once the store is gone.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
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
