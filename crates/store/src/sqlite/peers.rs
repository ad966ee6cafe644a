//! Whether any other checkoutd shares this SQLite file, so that the object
//! cache (see [`super::cache`]) may answer reads without asking SQLite.
//!
//! Several checkoutd processes (or several stores in one test process) may
//! serve one file; SQLite keeps their writes consistent, but a cache in one
//! of them would go stale behind the others' writes. So every store opens a
//! sidecar file next to the database (`<db>-nodes`) and:
//!
//! - holds an open-file-description read lock on its first byte for as long
//!   as it lives (released by the kernel when the process dies);
//! - bumps a join counter kept in the file's first 8 bytes once it holds
//!   that lock, before its first write.
//!
//! A store is *sole* when, at its last probe, no other open file held a lock
//! on the sidecar (`F_OFD_GETLK`), and the join counter has not moved since
//! the value read before that probe. A store that joins later bumps the
//! counter before it can write anything, so one 8-byte read per call tells
//! whether the cache may still answer; a store that joined and left between
//! two reads is caught by the counter too. Once not sole, a store probes
//! again at most every [`PROBE_EVERY`], and on becoming sole again clears its
//! cache before using it.
//!
//! That read is a `pread` system call, and a cached read or update asked
//! once or twice per request (3 % of an update's CPU in the benchmark). So
//! a counter read that found the store alone is trusted for [`TRUST`]
//! after it began, and a joining store waits [`JOIN_WAIT`] (longer) after
//! bumping the counter before it may write ([`Peers::join`]). Any write of
//! the newcomer therefore comes after every trust window that began before
//! its bump had ended: a decision taken in such a window cannot miss it.
//! Both are measured on the host's monotonic clock, which every process of
//! the host shares (SQLite's locking assumes one host anyway).
//!
//! Open-file-description locks (not classic POSIX `fcntl` locks) because
//! they conflict between two stores of one process as between processes,
//! and closing some other descriptor of the file does not drop them.
//! Programs other than checkoutd that write the database while a node runs
//! are not seen (README: "the SQLite file").

use nix::fcntl::{fcntl, FcntlArg};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a store that shares its file checks whether it is alone again.
const PROBE_EVERY: Duration = Duration::from_millis(100);
/// How long a counter read that found the store alone is trusted.
const TRUST: Duration = Duration::from_millis(1);
/// How long a store waits after joining before its first write: more than
/// [`TRUST`], so the trust of every read before its join has run out.
pub(super) const JOIN_WAIT: Duration = Duration::from_millis(20);
const _: () = assert!(JOIN_WAIT.as_nanos() > 2 * TRUST.as_nanos());

/// This store's membership in the sidecar file.
pub(super) struct Peers {
    file: File,
    /// The join counter when this store last found itself alone.
    mine: AtomicU64,
    /// Whether it was alone at its last probe and nobody joined since.
    alone: AtomicBool,
    /// When the last counter read that found it alone began (nanoseconds
    /// since `epoch`; 0: none since it last settled).
    trusted_from: AtomicU64,
    epoch: Instant,
    /// When the last probe ran; also serialises probes.
    probed: Mutex<Instant>,
}

/// The sidecar of a database file.
fn sidecar(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-nodes");
    PathBuf::from(name)
}

/// A whole-byte lock request on `[start, start + len)`.
fn lock(kind: libc::c_int, start: i64, len: i64) -> libc::flock {
    libc::flock {
        l_type: kind as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: start,
        l_len: len,
        l_pid: 0,
    }
}

/// The counter's bytes; a byte after it serialises joins.
const COUNTER: i64 = 8;

impl Peers {
    /// Join the stores of the database at `db`. The caller waits
    /// [`JOIN_WAIT`] before its first write.
    pub(super) fn join(db: &Path) -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(sidecar(db))?;
        // Held until this file is closed: what other stores' probes see.
        fcntl(&file, FcntlArg::F_OFD_SETLKW(&lock(libc::F_RDLCK, 0, 1)))?;
        // Bump the counter under a write lock of the byte after it, so two
        // stores joining at once both count.
        let joins = lock(libc::F_WRLCK, COUNTER, 1);
        fcntl(&file, FcntlArg::F_OFD_SETLKW(&joins))?;
        let bumped = read_counter(&file).and_then(|n| {
            file.write_all_at(&(n + 1).to_le_bytes(), 0)?;
            Ok(n + 1)
        });
        fcntl(
            &file,
            FcntlArg::F_OFD_SETLK(&lock(libc::F_UNLCK, COUNTER, 1)),
        )?;
        let peers = Self {
            file,
            mine: AtomicU64::new(bumped?),
            alone: AtomicBool::new(false),
            trusted_from: AtomicU64::new(0),
            epoch: Instant::now(),
            probed: Mutex::new(Instant::now() - PROBE_EVERY),
        };
        if let Some(count) = peers.probe()? {
            peers.settle(count);
        }
        Ok(peers)
    }

    /// Whether no other store can have written the database since this one
    /// last found itself alone. `regained` runs (to clear the cache) when a
    /// probe finds it alone again after a time in company.
    pub(super) fn sole(&self, regained: impl FnOnce()) -> bool {
        if self.alone.load(Ordering::Acquire) {
            // Taken before the read: the trust runs from the read's start.
            let now = self.nanos();
            let trusted = self.trusted_from.load(Ordering::Acquire);
            if trusted != 0 && now.saturating_sub(trusted) < nanos(TRUST) {
                return true;
            }
            match read_counter(&self.file) {
                Ok(n) if n == self.mine.load(Ordering::Acquire) => {
                    self.trusted_from.fetch_max(now, Ordering::AcqRel);
                    return true;
                }
                _ => self.alone.store(false, Ordering::Release),
            }
        }
        let mut probed = self.probed.lock().unwrap_or_else(|e| e.into_inner());
        if self.alone.load(Ordering::Acquire) || probed.elapsed() < PROBE_EVERY {
            return self.alone.load(Ordering::Acquire);
        }
        *probed = Instant::now();
        drop(probed);
        match self.probe() {
            Ok(Some(count)) => {
                // Cleared before anyone may use it again.
                regained();
                self.settle(count);
                true
            }
            _ => false,
        }
    }

    /// Look for other stores: the join counter to keep seeing if this one
    /// is alone now, `None` if it is not.
    fn probe(&self) -> io::Result<Option<u64>> {
        // Read first: a store joining after this read bumps it later.
        let before = read_counter(&self.file)?;
        let mut test = lock(libc::F_WRLCK, 0, 1);
        fcntl(&self.file, FcntlArg::F_OFD_GETLK(&mut test))?;
        Ok((i32::from(test.l_type) == libc::F_UNLCK).then_some(before))
    }

    /// Alone from now on, as long as the counter stays at `count`.
    fn settle(&self, count: u64) {
        self.mine.store(count, Ordering::Release);
        // No trust until the next counter read: the probe's read may be
        // older than the caller thinks.
        self.trusted_from.store(0, Ordering::Release);
        self.alone.store(true, Ordering::Release);
    }

    /// Nanoseconds since this store's epoch, at least 1 (0 means none).
    fn nanos(&self) -> u64 {
        nanos(self.epoch.elapsed()).max(1)
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn read_counter(file: &File) -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    match file.read_exact_at(&mut bytes, 0) {
        Ok(()) => Ok(u64::from_le_bytes(bytes)),
        // A fresh sidecar has no counter yet.
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_is_sole_until_another_joins_and_again_after_it_left() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let first = Peers::join(&db).unwrap();
        let mut cleared = 0;
        assert!(first.sole(|| cleared += 1));
        let second = Peers::join(&db).unwrap();
        assert!(!second.sole(|| ()), "the second sees the first");
        // The second writes only after `JOIN_WAIT`: until the trust in the
        // first's last read runs out, the first may still answer alone.
        std::thread::sleep(TRUST);
        assert!(!first.sole(|| cleared += 1), "the first sees the second");
        drop(second);
        // Not before the next probe is due.
        assert!(!first.sole(|| cleared += 1));
        std::thread::sleep(PROBE_EVERY);
        assert!(first.sole(|| cleared += 1), "alone again");
        assert_eq!(cleared, 1, "the cache is cleared once, on regaining");
        // A store that joins and leaves between two reads is seen too.
        drop(Peers::join(&db).unwrap());
        std::thread::sleep(TRUST);
        assert!(!first.sole(|| ()));
    }
}
