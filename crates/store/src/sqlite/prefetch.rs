//! Keeps the part of the WAL file that the writer is about to overwrite in
//! the operating system's page cache, so that a `COMMIT` never waits for a
//! disk read.
//!
//! A WAL frame is a 24-byte header and a page (4,120 bytes), so frames do
//! not line up with the kernel's 4 KiB pages: nearly every frame the writer
//! appends covers part of a page. The WAL file is not cut back when the WAL
//! starts over (see `WAL_KEPT` in [`super::checkpoint`]), so those frames
//! overwrite old ones. If the page they land on has left the page cache,
//! the kernel must first read it from disk to merge the partial write, and
//! the writer waits for that read inside `COMMIT`, holding the write lock.
//! Pages leave the cache on any host short of memory, and on the
//! benchmark's host after a minute unused (its kernel pages out file pages
//! idle that long). Measured there with 1,000 sessions stored: 12,300 such
//! waits in 4 s of metadata updates at c64; reading the WAL file into the
//! page cache beforehand left 300, and the same run did 42 % more updates.
//!
//! So while the WAL moves, every checkpoint round asks the kernel to read
//! ahead of the writer (`posix_fadvise(WILLNEED)`, asynchronous): the
//! first [`AHEAD`] bytes of the WAL file, where the WAL starts over, and
//! the [`AHEAD`] bytes after its last frame. For pages already cached that
//! is a lookup (0.1–0.4 ms for 64 MiB). Reading never changes the file, so
//! a stale frame count costs at worst a useless read. Writes that resume
//! after a long pause may still meet a cold page or two before the next
//! look of the thread below (5 ms).
//!
//! That is not enough where pages leave the cache while the WAL moves. The
//! benchmark's host runs DAMON's `pageout` scheme, which evicts file pages
//! in physical regions that look idle, pages just read ahead among them. A
//! round is 50 ms apart at best, and 80–130 ms once its PASSIVE and its
//! flush take their time, so the writer met evicted pages between rounds:
//! 2,500 waits for a disk read in 6 s of metadata updates with 1,000,000
//! sessions stored at c64 (off-CPU profile). So a thread of its own
//! ([`follow`]) also reads ahead [`NEAR`] bytes after the WAL's last frame
//! every [`NEAR_EVERY`], taking the frame count from the wal-index header
//! in the `-shm` file: 40 waits in the same run, and a p99 of 7.2 ms
//! against 12.8 ms (single runs; in three interleaved pairs after 15 s of
//! retrieves, with 16 MiB read ahead, p99 6.3–6.7 ms against 7.1–8.3 ms).

use nix::fcntl::{posix_fadvise, PosixFadviseAdvice};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Weak;
use std::time::Duration;

/// Bytes read ahead of the writer: about half a second of the benchmark's
/// writes (130 MB/s of WAL at most), several checkpoint rounds.
const AHEAD: i64 = 64 << 20;
/// The WAL file's header, before its first frame (SQLite's file format).
const WAL_HEADER: i64 = 32;
/// Each frame's header, before its page.
const FRAME_HEADER: i64 = 24;

/// Bytes [`follow`] reads ahead of the WAL's last frame: about 60 ms of
/// the benchmark's writes at their fastest, ten times the pause between
/// two looks. Kept short because every look asks for all of it again,
/// which is a page-cache lookup per page already there.
const NEAR: i64 = 8 << 20;
/// How often [`follow`] looks at the WAL's last frame.
const NEAR_EVERY: Duration = Duration::from_millis(5);

/// Read ahead of the WAL's last frame every [`NEAR_EVERY`], for as long as
/// `alive` can be upgraded (the thread's owner holds the `Arc`).
pub(super) fn follow<T: Send + Sync + 'static>(
    db: &Path,
    alive: Weak<T>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let wal_path = super::checkpoint::sibling(db, "-wal");
    let shm_path = super::checkpoint::sibling(db, "-shm");
    std::thread::Builder::new()
        .name("sqlite-readahead".into())
        .spawn(move || {
            let (mut wal, mut shm) = (None, None);
            let mut last = None;
            while alive.upgrade().is_some() {
                std::thread::sleep(NEAR_EVERY);
                // Both files exist from the first write on.
                if wal.is_none() {
                    wal = super::checkpoint::kept_file(&wal_path);
                }
                if shm.is_none() {
                    shm = super::checkpoint::kept_file(&shm_path);
                }
                let (Some(wal), Some(shm)) = (wal, shm) else {
                    continue;
                };
                let mut header = [0u8; 20];
                if shm.read_exact_at(&mut header, 0).is_err() {
                    continue;
                }
                let Some(end) = wal_end(&header) else {
                    continue;
                };
                if last != Some(end) {
                    last = Some(end);
                    will_need(wal, end, NEAR);
                }
            }
        })
}

/// Where the WAL's next frame goes, from the first 20 bytes of the
/// wal-index header (SQLite's file format, "WAL-index format": the page
/// size at byte 14, a `u16` where 1 means 65,536; the last valid frame at
/// byte 16, a `u32`; both in the host's byte order). Read without SQLite's
/// locks, the header may be torn or stale: a wrong position costs at worst
/// a useless read. `None` before the header is set.
fn wal_end(header: &[u8; 20]) -> Option<i64> {
    let page = match u16::from_ne_bytes([header[14], header[15]]) {
        0 => return None,
        1 => 65_536,
        n => i64::from(n),
    };
    let frames = i64::from(u32::from_ne_bytes([
        header[16], header[17], header[18], header[19],
    ]));
    Some(after_frame(page, frames))
}

/// Byte offset in the WAL file just after frame `frames` (pages of
/// `page_size` bytes): where the next frame goes.
fn after_frame(page_size: i64, frames: i64) -> i64 {
    WAL_HEADER + frames.max(0).saturating_mul(page_size + FRAME_HEADER)
}

/// Ask the kernel to read `len` bytes of the WAL from `start` into the page
/// cache (asynchronously; a refusal only loses the read-ahead).
fn will_need(wal: &File, start: i64, len: i64) {
    if let Err(e) = posix_fadvise(wal, start, len, PosixFadviseAdvice::POSIX_FADV_WILLNEED) {
        tracing::debug!(error = %e, "WAL read-ahead refused");
    }
}

/// Ask for the WAL file's start and the bytes after frame `frames` (pages
/// of `page_size` bytes) to be read into the page cache.
pub(super) fn ahead(wal: &File, page_size: i64, frames: i64) {
    for (start, len) in ranges(page_size, frames) {
        will_need(wal, start, len);
    }
}

/// The (offset, length) ranges to read: the file's start and the bytes
/// after frame `frames`, as one range when they overlap.
fn ranges(page_size: i64, frames: i64) -> Vec<(i64, i64)> {
    let next = after_frame(page_size, frames);
    if next <= AHEAD {
        vec![(0, next + AHEAD)]
    } else {
        vec![(0, AHEAD), (next, AHEAD)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_start_and_what_follows_the_last_frame() {
        // Frame 10 ends at 32 + 10 × 4,120 bytes: within the first range.
        assert_eq!(ranges(4096, 10), vec![(0, 41_232 + AHEAD)]);
        assert_eq!(ranges(4096, -1), vec![(0, 32 + AHEAD)]);
        // Frame 100,000 ends past it: two ranges.
        assert_eq!(
            ranges(4096, 100_000),
            vec![(0, AHEAD), (412_000_032, AHEAD)]
        );
        assert_eq!(
            ranges(1024, 100_000),
            vec![(0, AHEAD), (104_800_032, AHEAD)]
        );
    }

    #[test]
    fn the_next_frame_follows_the_last_one() {
        let header = |page: u16, frames: u32| {
            let mut h = [0u8; 20];
            h[14..16].copy_from_slice(&page.to_ne_bytes());
            h[16..20].copy_from_slice(&frames.to_ne_bytes());
            h
        };
        assert_eq!(wal_end(&header(0, 5)), None, "header not set yet");
        assert_eq!(wal_end(&header(4096, 0)), Some(32));
        assert_eq!(wal_end(&header(4096, 10)), Some(41_232));
        assert_eq!(wal_end(&header(1, 2)), Some(32 + 2 * 65_560));
    }

    /// The thread reads ahead of a real WAL without error, and ends once
    /// its owner is gone.
    #[test]
    fn following_ends_with_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        let owner = std::sync::Arc::new(());
        let thread = follow(&db, std::sync::Arc::downgrade(&owner)).unwrap();
        std::thread::sleep(NEAR_EVERY * 4);
        assert!(!thread.is_finished(), "stopped while its owner lives");
        drop(owner);
        thread.join().unwrap();
    }

    /// The advice is taken for any frame count, on a WAL file shorter than
    /// the ranges (the kernel reads what exists), and changes nothing.
    #[test]
    fn read_ahead_is_accepted_for_any_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db-wal");
        std::fs::write(&path, vec![7u8; 100_000]).unwrap();
        let wal = File::open(&path).unwrap();
        for frames in [-1, 0, 10, 100_000, 10_000_000] {
            ahead(&wal, 4096, frames);
        }
        assert_eq!(std::fs::read(&path).unwrap(), vec![7u8; 100_000]);
    }
}
