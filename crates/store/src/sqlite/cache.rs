//! Objects this store read or wrote lately, so that reading a hot session
//! (or updating it) skips SQLite's index walk, page copies and locks.
//!
//! The cache holds committed state only and is kept exact, not merely
//! fresh-ish:
//!
//! - this store's writes reach it when their `COMMIT` succeeded and before
//!   they are acknowledged ([`ObjectCache::apply`]);
//! - a read that missed fills it ([`ObjectCache::fill`]) only if nothing
//!   touched that part of the cache while the read ran (a [`Token`] taken
//!   before it), so a slow read never puts back a version older than one a
//!   write already stored, nor an object deleted meanwhile;
//! - nothing else writes the file: a store holds it alone ([`super::lock`]).
//!
//! Size is bounded by the bytes of the objects' JSON (`--db-cache-mib`,
//! 32 MiB by default: about 15,000 sessions of 2 KiB); when a shard is full
//! an arbitrary entry goes.

use crate::model::{Index, Record, Scope};
use foldhash::fast::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Shards, each with its own lock.
const SHARDS: usize = 16;
/// What an entry costs besides its JSON (keys, scope, index, map slot).
const OVERHEAD: usize = 160;

/// One stored object as the store needs it to read or update it.
#[derive(Debug, Clone)]
pub(super) struct Cached {
    pub scope: Scope,
    pub kind: String,
    /// The row's `seq` (its rowid).
    pub seq: i64,
    pub index: Index,
    pub record: Record,
}

impl Cached {
    fn cost(&self) -> usize {
        self.record.data.len() + self.record.id.len() + OVERHEAD
    }
}

/// A committed change, applied after its `COMMIT`.
#[derive(Debug)]
pub(super) enum Op {
    Put(Arc<Cached>),
    Remove(String),
}

impl Op {
    pub(super) fn id(&self) -> &str {
        match self {
            Op::Put(c) => &c.record.id,
            Op::Remove(id) => id,
        }
    }
}

#[derive(Default)]
struct Shard {
    /// foldhash, not SipHash: ids are long (66 bytes for a session) and
    /// every write hashes one four times. Keys are ids this server made, so
    /// an attacker cannot pick them to collide.
    map: HashMap<String, Arc<Cached>, RandomState>,
    bytes: usize,
    /// Bumped by every applied change.
    changes: u64,
}

/// What a read saw of the cache before it went to SQLite.
pub(super) struct Token {
    shard: usize,
    changes: u64,
}

pub(super) struct ObjectCache {
    shards: Box<[Mutex<Shard>]>,
    /// Bytes each shard keeps at most.
    shard_bytes: usize,
    hasher: RandomState,
    /// Reads and fills served (for tests and the debug log).
    hits: AtomicU64,
}

impl ObjectCache {
    /// A cache of `capacity` bytes (0: keeps nothing).
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            shard_bytes: capacity / SHARDS,
            hasher: RandomState::default(),
            hits: AtomicU64::new(0),
        }
    }

    fn index_of(&self, id: &str) -> usize {
        // The low bits of foldhash are as good as any.
        (self.hasher.hash_one(id) as usize) % SHARDS
    }

    fn shard(&self, i: usize) -> MutexGuard<'_, Shard> {
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached object with this id.
    pub(super) fn get(&self, id: &str) -> Option<Arc<Cached>> {
        let found = self.shard(self.index_of(id)).map.get(id).cloned();
        if found.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// Taken before reading `id` from SQLite, for [`Self::fill`].
    pub(super) fn token(&self, id: &str) -> Token {
        let shard = self.index_of(id);
        Token {
            shard,
            changes: self.shard(shard).changes,
        }
    }

    /// Keep what a read found, unless a change reached its shard since
    /// `token` (the read may predate it).
    pub(super) fn fill(&self, token: Token, found: Arc<Cached>) {
        let mut shard = self.shard(token.shard);
        if shard.changes == token.changes && !shard.map.contains_key(&found.record.id) {
            shard.insert(found, self.shard_bytes);
        }
    }

    /// Changes whose `COMMIT` succeeded, in commit order.
    pub(super) fn apply(&self, ops: impl IntoIterator<Item = Op>) {
        for op in ops {
            let mut shard = self.shard(self.index_of(op.id()));
            shard.changes += 1;
            match op {
                Op::Put(c) => shard.insert(c, self.shard_bytes),
                Op::Remove(id) => shard.remove(&id),
            }
        }
    }

    #[cfg(test)]
    pub(super) fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}

impl Shard {
    fn insert(&mut self, c: Arc<Cached>, capacity: usize) {
        let cost = c.cost();
        self.remove(&c.record.id);
        if cost > capacity {
            return;
        }
        while self.bytes + cost > capacity {
            let Some(victim) = self.map.keys().next().cloned() else {
                break;
            };
            self.remove(&victim);
        }
        self.bytes += cost;
        self.map.insert(c.record.id.clone(), c);
    }

    fn remove(&mut self, id: &str) {
        if let Some(old) = self.map.remove(id) {
            self.bytes -= old.cost();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(id: &str, version: i64) -> Cached {
        Cached {
            scope: Scope {
                account: "acct".into(),
                livemode: false,
            },
            kind: "thing".into(),
            seq: 1,
            index: Index::default(),
            record: Record {
                id: id.into(),
                created: 0,
                version,
                data: format!("{{\"v\":{version}}}"),
            },
        }
    }

    const CAPACITY: usize = 32 << 20;

    #[test]
    fn a_read_that_raced_a_write_does_not_put_back_the_older_version() {
        let cache = ObjectCache::new(CAPACITY);
        let token = cache.token("a");
        // A write commits version 2 while the read (which saw 1) runs...
        cache.apply([Op::Put(Arc::new(obj("a", 2)))]);
        // ...and is evicted before the read ends: still not refilled.
        cache.apply([Op::Remove("a".into())]);
        cache.fill(token, Arc::new(obj("a", 1)));
        assert!(cache.get("a").is_none());
        // A read with nothing in its way fills.
        let token = cache.token("a");
        cache.fill(token, Arc::new(obj("a", 3)));
        assert_eq!(cache.get("a").unwrap().record.version, 3);
    }

    #[test]
    fn size_stays_within_capacity() {
        let cache = ObjectCache::new(CAPACITY);
        let big = "x".repeat(64 << 10);
        for i in 0..2_000 {
            let mut o = obj(&format!("o{i}"), 1);
            o.record.data = big.clone();
            cache.apply([Op::Put(Arc::new(o))]);
        }
        let total: usize = (0..SHARDS).map(|i| cache.shard(i).bytes).sum();
        assert!(total <= CAPACITY, "{total} bytes kept");
        assert!(total > CAPACITY / 2, "the cache is used: {total} bytes");
        let none = ObjectCache::new(0);
        none.apply([Op::Put(Arc::new(obj("a", 1)))]);
        assert!(none.get("a").is_none(), "a cache of 0 bytes keeps nothing");
    }
}
