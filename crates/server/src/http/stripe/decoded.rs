//! Sessions as this node last wrote them, decoded, so that the next update
//! of the same session starts from the value instead of decoding its JSON
//! (a tenth of an update's CPU in the benchmark's profile).
//!
//! An entry is one session at one stored `version`; it is used only when
//! the store hands the update that same version, so it is never stale (any
//! change, on any node, bumps the version). An update *takes* the entry
//! out rather than copying it, and puts the result back once stored. Kept
//! small ([`CAPACITY`]): it pays off for sessions updated again and again,
//! and a memo the size of a million sessions would not fit the memory
//! target.

use quick_cache::sync::Cache;
use quick_cache::Weighter;

/// Estimated bytes of decoded sessions kept at most.
const CAPACITY: u64 = 8 << 20;
/// Sessions kept at most (an estimate `quick_cache` sizes itself by).
const ITEMS: usize = 2_048;

#[derive(Clone)]
struct Entry<T> {
    version: i64,
    /// Estimated heap bytes: twice the stored JSON's length.
    weight: u64,
    value: T,
}

#[derive(Clone)]
struct ByWeight;

impl<T> Weighter<String, Entry<T>> for ByWeight {
    fn weight(&self, id: &String, entry: &Entry<T>) -> u64 {
        id.len() as u64 + entry.weight
    }
}

/// Object id → the object as last written by this node (sessions, in
/// [`crate::state::Shared::decoded`]).
pub struct Decoded<T: Clone>(Cache<String, Entry<T>, ByWeight>);

impl<T: Clone> Default for Decoded<T> {
    fn default() -> Self {
        Self(Cache::with_weighter(ITEMS, CAPACITY, ByWeight))
    }
}

impl<T: Clone> Decoded<T> {
    /// Object `id` at `version`, taken out of the memo, if kept.
    pub fn take(&self, id: &str, version: i64) -> Option<T> {
        let (_, entry) = self.0.remove_if(id, |e| e.version == version)?;
        Some(entry.value)
    }

    /// Keep object `id` as stored at `version` (`stored_len`: the length
    /// of its JSON, to weigh it).
    pub fn put(&self, id: &str, version: i64, stored_len: usize, value: T) {
        let entry = Entry {
            version,
            weight: 2 * stored_len as u64,
            value,
        };
        self.0.insert(id.to_owned(), entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_version_is_taken_and_only_once() {
        let d = Decoded::default();
        d.put("cs_1", 2, 2000, "session".to_owned());
        assert!(d.take("cs_1", 3).is_none(), "another version");
        assert!(d.take("cs_2", 2).is_none(), "another session");
        assert_eq!(d.take("cs_1", 2).as_deref(), Some("session"));
        assert!(d.take("cs_1", 2).is_none(), "taken already");
    }
}
