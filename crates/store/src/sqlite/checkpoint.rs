//! The WAL's checkpoints, on a thread of their own, so that no request
//! waits for a checkpoint's disk writes.
//!
//! Every [`EVERY`] the thread runs `wal_checkpoint(PASSIVE)`, which never
//! waits for readers or the writer: it copies to the database file what it
//! can. It then flushes the database file's data (`fdatasync`), so that the
//! pages it copied reach the disk a few at a time, in the background.
//!
//! When writes pause, a PASSIVE checkpoint copies the whole WAL, and the
//! next write starts the WAL over from its beginning (SQLite does that on
//! its own once every frame is copied and no reader still reads from the
//! WAL). Under writes that never pause it cannot: some reader always still
//! reads from the newest frames (SQLite's "checkpoint starvation"), and the
//! WAL would grow without bound. Only a RESTART can then, and a RESTART
//! keeps writers out while it copies the rest, syncs the database file and
//! waits for readers to leave the WAL. So once the WAL reaches
//! [`RESTART_CAP`], the writer pauses between two transactions and asks for
//! one ([`Checkpointer::after_commit`]): the WAL stays bounded, and a
//! burst shorter than that pays no pause at all. The cap is large because
//! each pause shows in the writes' tail latency.
//!
//! Why the flush after each PASSIVE: SQLite syncs the database file only
//! when a checkpoint copied the whole WAL, which under steady writes only a
//! RESTART does. Its sync would then write out every page copied since the
//! last one while the writer waits. With the flush, a RESTART's sync has
//! only the last few milliseconds' pages left. `fdatasync`, not `fsync`:
//! the database file's pages are overwritten in place, so there is no
//! metadata to journal, and a journal commit would stall the writer's own
//! appends to the WAL.

use super::connection::{open, Role};
use crate::{StoreError, StoreResult};
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the thread checkpoints the WAL.
const EVERY: Duration = Duration::from_millis(50);
/// WAL size (4 KiB pages) at which the writer pauses for a RESTART: 1 GiB.
#[cfg(not(test))]
const RESTART_CAP: i64 = 262_144;
#[cfg(test)]
const RESTART_CAP: i64 = 32;
/// Bytes of WAL file kept when the WAL starts over (`journal_size_limit`):
/// the cap's size, so a WAL that filled up is reused, not cut back: cutting
/// it back makes the file system free the blocks, and the next burst
/// allocate them again, while the writer waits.
pub(super) const WAL_KEPT: i64 = RESTART_CAP * 4096 + (1 << 20);
/// Longest pause of the writer for a RESTART; past it writes go on (the
/// checkpoint then finishes or fails on its own).
const RESTART_WAIT: Duration = Duration::from_secs(2);

/// The writer's line to the checkpoint thread; dropping it stops the thread.
pub(super) struct Checkpointer {
    requests: mpsc::Sender<mpsc::SyncSender<()>>,
    /// Frames in the WAL at the last PASSIVE checkpoint (the thread's
    /// count; the writer zeroes it once it asked for a RESTART).
    frames: Arc<AtomicI64>,
}

impl Checkpointer {
    /// Start the checkpoint thread of the database at `path`.
    pub(super) fn start(path: &Path) -> StoreResult<Self> {
        let (requests, received) = mpsc::channel();
        let frames = Arc::new(AtomicI64::new(0));
        let (owned, theirs) = (path.to_owned(), frames.clone());
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(owned, received, theirs))
            .map_err(|e| StoreError::Config(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Self { requests, frames })
    }

    /// Called after each commit, between two transactions: if the WAL
    /// reached [`RESTART_CAP`], wait for a RESTART (on the writer thread:
    /// other writes wait in its queue).
    pub(super) fn after_commit(&self) {
        if self.frames.load(Ordering::Relaxed) < RESTART_CAP {
            return;
        }
        let (reply, done) = mpsc::sync_channel(1);
        if self.requests.send(reply).is_ok() {
            let _ = done.recv_timeout(RESTART_WAIT);
        }
        // Whether or not it succeeded: the next PASSIVE counts again.
        self.frames.store(0, Ordering::Relaxed);
    }
}

/// The thread: checkpoint every [`EVERY`], restart when asked, until the
/// [`Checkpointer`] is dropped.
fn run(path: PathBuf, requests: mpsc::Receiver<mpsc::SyncSender<()>>, frames: Arc<AtomicI64>) {
    let mut conn = None;
    let mut db = None;
    loop {
        let asked = match requests.recv_timeout(EVERY) {
            Ok(reply) => Some(reply),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        if conn.is_none() {
            conn = open(&path, Role::Checkpointer).ok();
        }
        if db.is_none() {
            db = kept_file(&path);
        }
        if let Some(c) = &conn {
            if asked.is_some() {
                checkpoint(c, "RESTART");
            } else if let Some(count) = checkpoint(c, "PASSIVE") {
                if let Some(file) = db {
                    flush(file);
                }
                // After the flush: a RESTART asked for now finds little
                // left to sync.
                frames.store(count, Ordering::Relaxed);
            }
        }
        if let Some(reply) = asked {
            let _ = reply.send(());
        }
    }
}

/// Run one checkpoint; the frames in the WAL, `None` if it failed.
fn checkpoint(conn: &rusqlite::Connection, mode: &str) -> Option<i64> {
    let started = Instant::now();
    // (busy, frames in the WAL, frames copied); -1 when not WAL.
    let done = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        r.get::<_, i64>(1)
    });
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    match done {
        Ok(frames) => {
            tracing::debug!(mode, micros, frames, "WAL checkpoint");
            Some(frames)
        }
        Err(e) => {
            tracing::debug!(error = %e, mode, micros, "WAL checkpoint failed");
            None
        }
    }
}

/// `fdatasync` the database file (see the module's docs).
fn flush(file: &File) {
    let started = Instant::now();
    let done = file.sync_data();
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    match done {
        Ok(()) => tracing::debug!(micros, "database file flushed"),
        Err(e) => tracing::debug!(error = %e, micros, "database file flush failed"),
    }
}

/// A read-only descriptor of the database file at `path`, opened once per
/// file and process and never closed: closing any descriptor of a file drops every POSIX lock the process holds on it,
/// SQLite's own included (SQLite's VFS guards its own descriptors against
/// that, not this one). A file replaced at the same path (a new inode) gets
/// a descriptor of its own.
fn kept_file(path: &Path) -> Option<&'static File> {
    static OPEN: Mutex<Vec<(u64, u64, &'static File)>> = Mutex::new(Vec::new());
    let meta = std::fs::metadata(path).ok()?;
    let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((.., file)) = open
        .iter()
        .find(|(dev, ino, _)| *dev == meta.dev() && *ino == meta.ino())
    {
        return Some(file);
    }
    let file: &'static File = Box::leak(Box::new(File::open(path).ok()?));
    open.push((meta.dev(), meta.ino(), file));
    Some(file)
}

#[cfg(test)]
mod tests {
    use crate::model::*;
    use crate::{AccountStore, ObjectStore};

    /// Frames in the WAL of the database at `path`: `mxFrame` of the
    /// wal-index header, at byte 16 of the `-shm` file (SQLite's file
    /// format, "WAL-index format"). Read from the file, since asking SQLite
    /// (`PRAGMA wal_checkpoint`) would itself checkpoint.
    fn frames(path: &std::path::Path) -> u32 {
        shm_u32(path, 16)
    }

    /// Frames of the WAL already copied into the database: `nBackfill`,
    /// the first field of the checkpoint info after the two 48-byte
    /// headers.
    fn backfilled(path: &std::path::Path) -> u32 {
        shm_u32(path, 96)
    }

    fn shm_u32(path: &std::path::Path, at: usize) -> u32 {
        let shm = std::fs::read(format!("{}-shm", path.display())).unwrap();
        u32::from_ne_bytes(shm[at..at + 4].try_into().unwrap())
    }

    /// The checkpoints let the WAL start over once writes pause: the next
    /// write is then the only one in it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_starts_over_once_writes_pause() {
        let (_dir, path, store, scope) = super::super::tests::migrated().await;
        store.ensure_account(&scope.account, 0).await.unwrap();
        let insert = |n: i64| {
            let id = format!("t_{n}");
            let store = &store;
            let scope = &scope;
            async move {
                let obj = NewObject {
                    id: &id,
                    kind: "thing",
                    created: n,
                    data: "x".repeat(3000),
                    index: Index::default(),
                };
                store.insert(scope, obj, Vec::new()).await.unwrap();
            }
        };
        for n in 0..200 {
            insert(n).await;
        }
        assert!(frames(&path) > 100, "the WAL grew");
        // A pause, until a checkpoint round has copied the whole WAL. On an
        // idle machine that is the first round (50 ms); on a loaded one
        // (a CI box flushing gigabytes) its flush can take much longer, so
        // the wait is bounded by 20 s rather than a count of rounds.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while backfilled(&path) < frames(&path) && std::time::Instant::now() < deadline {
            tokio::time::sleep(super::EVERY).await;
        }
        insert(200).await;
        let after = frames(&path);
        assert!(after < 10, "{after} frames: the WAL did not start over");
    }
}
