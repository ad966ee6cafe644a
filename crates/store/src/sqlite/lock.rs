//! One process per SQLite file.
//!
//! SQLite serves one checkoutd: the object cache answers reads and the
//! writer works out updates from it, which is only right while no other
//! process writes the file. A second checkoutd on the same file (or a
//! `checkoutd migrate` while a server runs) therefore refuses to start
//! instead of serving stale objects; several nodes need PostgreSQL.
//!
//! The store holds an exclusive advisory lock on a file beside the
//! database (`<db>-lock`) for as long as its writer lives. The kernel
//! releases it when the file is closed or the process dies, so a crashed
//! checkoutd never leaves the database locked. The lock is taken on an
//! open file description of its own, so two stores of one process conflict
//! just as two processes do.

use super::connection::sibling;
use crate::{StoreError, StoreResult};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

/// The lock on a database's sidecar file; dropping it releases the file.
pub(super) struct ProcessLock {
    _file: File,
}

impl ProcessLock {
    /// Take the lock of the database at `db`, or fail if another store holds it.
    pub(super) fn take(db: &Path) -> StoreResult<Self> {
        let path = sibling(db, "-lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| {
                StoreError::Config(format!("cannot open the lock file {}: {e}", path.display()))
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(StoreError::Config(format!(
                "another checkoutd is using the SQLite database {}; SQLite serves one process \
                 (use PostgreSQL for several nodes)",
                db.display()
            ))),
            Err(TryLockError::Error(e)) => Err(StoreError::Config(format!(
                "cannot lock {}: {e}",
                path.display()
            ))),
        }
    }
}
