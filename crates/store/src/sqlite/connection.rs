//! Connections to the SQLite file and the settings of each role, and the
//! stack of idle read connections.
//!
//! The writer, the readers and the checkpoint thread each want different
//! settings (WAL mode and cache size on the writer, read-only readers, no
//! create for the checkpointer), so every connection is opened here by
//! role. Readers are kept for reuse because opening one parses the schema.

use super::checkpoint;
use crate::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a read waits for a lock held by another program before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Role {
    Writer,
    Reader,
    Checkpointer,
}

/// Open one connection to the file with the settings of its role.
pub(super) fn open(path: &Path, role: Role) -> StoreResult<Connection> {
    let flags = match role {
        Role::Reader => OpenFlags::SQLITE_OPEN_READ_ONLY,
        Role::Writer => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        Role::Checkpointer => OpenFlags::SQLITE_OPEN_READ_WRITE,
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
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

/// The file beside the database at `db` whose name adds `suffix`.
pub(super) fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The read-only connections, shared by the blocking tasks that read.
///
/// At most `limit` reads run at once: more would only queue for the same
/// cores and disk on threads of their own, and each connection keeps its
/// own page cache (a busy list endpoint would otherwise open one per
/// concurrent request). The others wait, parked, for a slot.
pub(super) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    slots: Arc<Semaphore>,
}

impl Readers {
    pub(super) fn new(path: PathBuf, limit: usize) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
            slots: Arc::new(Semaphore::new(limit.max(1))),
        }
    }

    /// A slot for one read; the read runs while it is held.
    pub(super) async fn slot(&self) -> StoreResult<OwnedSemaphorePermit> {
        self.slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Unavailable(e.into()))
    }

    /// Run `f` on an idle connection, opening one when none is idle (no
    /// more exist than slots).
    pub(super) fn with<R>(&self, f: impl FnOnce(&Connection) -> StoreResult<R>) -> StoreResult<R> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open(&self.path, Role::Reader)?,
        };
        let out = f(&conn);
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
        out
    }
}
