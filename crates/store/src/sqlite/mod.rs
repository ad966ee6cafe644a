//! The embedded default: SQLite in WAL mode, called in-process, serving one
//! checkoutd process.
//!
//! SQLite answers a primary-key read in microseconds, so the cost of a call
//! is whatever surrounds it. Statements therefore run through `rusqlite`
//! with cached prepared statements, not through an async driver's
//! connection thread. Reads run on tokio's blocking pool and writes on the
//! writer's thread, never on the runtime's worker threads, so a long list
//! or a slow disk does not stall other requests. Each write's statements
//! run there as one synchronous step in a savepoint, so a write is never
//! left half-done by a cancelled future.
//!
//! - **One process** ([`lock`]): a store on a file holds an exclusive lock
//!   on a file beside it for as long as it lives, and a second store (in
//!   this process or another) refuses to open. Several nodes need
//!   PostgreSQL. Being alone makes the object cache exact.
//! - **Writes** are jobs for the one writer connection's thread
//!   ([`writer`]): group commit, savepoints, and the transaction view a
//!   write sees.
//! - **Reads** take a read-only connection from a bounded set
//!   ([`connection`]), at most twice the cores at once, and run
//!   concurrently with the writer under WAL.
//! - **Checkpoints** run on a background thread instead of inside whichever
//!   commit crosses the WAL's size threshold ([`checkpoint`]).
//! - **Objects** lately read or written are kept in memory ([`cache`]), so
//!   a read or update of a hot session skips SQLite's lookup; the cache
//!   takes writes once committed, and nothing else writes the file.
//!
//! Durability: `synchronous = NORMAL` in WAL mode. A commit is in the WAL
//! (the operating system's page cache) before the request is acknowledged,
//! so a killed process (`kill -9`) loses nothing; only an operating-system
//! crash or power loss can drop the last transactions. `synchronous = FULL`
//! would also cover that, at one fsync per commit.

mod accounts;
mod cache;
mod checkpoint;
mod connection;
mod events;
mod idempotency;
mod lock;
mod objects;
#[cfg(test)]
mod tests;
mod writer;

use crate::model::PoolOptions;
use crate::{Store, StoreError, StoreResult};
use async_trait::async_trait;
use cache::ObjectCache;
use checkpoint::Checkpointer;
use connection::{open, Readers, Role};
use lock::ProcessLock;
use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::Arc;
use writer::{Undo, Writer, WriterQueue};

/// The schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

/// SQLite-backed [`Store`].
pub struct SqliteStore {
    writer: WriterQueue,
    /// `None` for an in-memory database, which lives in its one connection.
    readers: Option<Arc<Readers>>,
    /// Committed objects.
    cache: Arc<ObjectCache>,
    /// Taken by an update that lost several races for one object, so that
    /// such updates retry one at a time instead of starving each other.
    contended: tokio::sync::Mutex<()>,
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
    /// Open (creating if missing) the database at `url`. Fails with
    /// [`StoreError::Config`] while another store has the file open.
    pub async fn connect(url: &str, options: &PoolOptions) -> StoreResult<Self> {
        let cache = Arc::new(ObjectCache::new(options.cache_bytes));
        let Some(path) = file_of(url) else {
            let conn = Connection::open_in_memory()?;
            conn.set_prepared_statement_cache_capacity(64);
            conn.pragma_update(None, "foreign_keys", true)?;
            // Readers share the writer's connection, so they must not see
            // a batch before its commit: no group commit.
            let writer = Writer::new(conn, cache.clone(), false);
            return Ok(Self {
                writer: WriterQueue::new(writer, options.acquire_timeout)?,
                readers: None,
                cache,
                contended: Default::default(),
            });
        };
        let opened = {
            let path = path.clone();
            let acquire_timeout = options.acquire_timeout;
            let cache = cache.clone();
            blocking(move || {
                let lock = ProcessLock::take(&path)?;
                let conn = open(&path, Role::Writer)?;
                // The writer waits for a lock held by a program other than
                // checkoutd on a blocking thread, up to the acquire timeout.
                conn.busy_timeout(acquire_timeout)?;
                let mut writer = Writer::new(conn, cache, true);
                writer.checkpointer = Some(Arc::new(Checkpointer::start(&path)?));
                writer.lock = Some(lock);
                Ok(writer)
            })
            .await?
        };
        Ok(Self {
            writer: WriterQueue::new(opened, options.acquire_timeout)?,
            readers: Some(Arc::new(Readers::new(path, read_slots(options)))),
            cache,
            contended: Default::default(),
        })
    }

    /// Run `f` on a read connection, off the runtime's threads.
    async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    ) -> StoreResult<R> {
        match &self.readers {
            Some(readers) => {
                let slot = readers.slot().await?;
                let readers = readers.clone();
                blocking(move || {
                    let _slot = slot;
                    readers.with(f)
                })
                .await
            }
            None => self.writer.read(f).await,
        }
    }

    /// Run `f` atomically on the writer, in a savepoint, and return once it
    /// is committed ([`WriterQueue::write`]).
    async fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut writer::Tx<'_>) -> StoreResult<R> + Send + 'static,
    ) -> StoreResult<R> {
        self.writer.write(Undo::Savepoint, f).await
    }
}

/// Reads at once: the pool's bound, and at most twice the cores.
fn read_slots(options: &PoolOptions) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    usize::try_from(options.max_connections)
        .unwrap_or(usize::MAX)
        .clamp(1, 2 * cores)
}

/// Run synchronous SQLite work on tokio's blocking pool; a panic in it
/// goes on in the caller, as if `f` had run there.
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> StoreResult<R> + Send + 'static,
) -> StoreResult<R> {
    match tokio::task::spawn_blocking(f).await {
        Ok(out) => out,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(StoreError::Unavailable(e.into())),
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
                tx.execute_batch(include_str!("../../migrations/sqlite/0001_init.sql"))?;
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
