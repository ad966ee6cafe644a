//! The last state of each object this node read or wrote, used as a guess
//! of its current state, so that an update whose guess is right takes one
//! round trip (`UPDATE … WHERE version = guessed`) instead of two.
//!
//! A guess is never trusted: the write names the version it was computed
//! from and changes nothing if the row moved on (another node wrote it),
//! and then the update reads the row and runs again. Bounded by bytes
//! ([`CAPACITY`]); eviction is `quick_cache`'s.

use crate::model::{Record, Scope};
use quick_cache::sync::Cache;
use quick_cache::Weighter;
use std::sync::Arc;

/// Bytes of object JSON kept at most: about 7,000 sessions of 2 KiB.
const CAPACITY: u64 = 16 << 20;
/// Objects kept at most (an estimate `quick_cache` sizes itself by).
const ITEMS: usize = 8_192;

struct Hint {
    scope: Scope,
    kind: String,
    record: Record,
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<String, Arc<Hint>> for ByBytes {
    fn weight(&self, id: &String, hint: &Arc<Hint>) -> u64 {
        (id.len() + hint.record.data.len() + 64) as u64
    }
}

/// Object id → its last known state.
pub(super) struct Hints(Cache<String, Arc<Hint>, ByBytes>);

impl Default for Hints {
    fn default() -> Self {
        Self(Cache::with_weighter(ITEMS, CAPACITY, ByBytes))
    }
}

impl Hints {
    /// The last known state of object `id` of `kind` in `scope`.
    pub(super) fn guess(&self, scope: &Scope, kind: &str, id: &str) -> Option<Record> {
        self.0
            .get(id)
            .filter(|h| h.kind == kind && h.scope == *scope)
            .map(|h| h.record.clone())
    }

    /// Remember an object as just read or written.
    pub(super) fn remember(&self, scope: &Scope, kind: &str, record: &Record) {
        let hint = Hint {
            scope: scope.clone(),
            kind: kind.to_owned(),
            record: record.clone(),
        };
        self.0.insert(record.id.clone(), Arc::new(hint));
    }

    pub(super) fn forget(&self, id: &str) {
        self.0.remove(id);
    }
}
