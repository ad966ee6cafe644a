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
//! round (50 ms).

use nix::fcntl::{posix_fadvise, PosixFadviseAdvice};
use std::fs::File;

/// Bytes read ahead of the writer: about half a second of the benchmark's
/// writes (130 MB/s of WAL at most), several checkpoint rounds.
const AHEAD: i64 = 64 << 20;
/// The WAL file's header, before its first frame (SQLite's file format).
const WAL_HEADER: i64 = 32;
/// Each frame's header, before its page.
const FRAME_HEADER: i64 = 24;

/// Ask for the WAL file's start and the bytes after frame `frames` (pages
/// of `page_size` bytes) to be read into the page cache.
pub(super) fn ahead(wal: &File, page_size: i64, frames: i64) {
    for (start, len) in ranges(page_size, frames) {
        if let Err(e) = posix_fadvise(wal, start, len, PosixFadviseAdvice::POSIX_FADV_WILLNEED) {
            tracing::debug!(error = %e, "WAL read-ahead refused");
        }
    }
}

/// The (offset, length) ranges to read: the file's start and the bytes
/// after frame `frames`, as one range when they overlap.
fn ranges(page_size: i64, frames: i64) -> Vec<(i64, i64)> {
    let next = WAL_HEADER + frames.max(0).saturating_mul(page_size + FRAME_HEADER);
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
