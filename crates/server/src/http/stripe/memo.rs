//! Per-node memos of objects by id, each entry valid for one stored
//! `version` only, so that work already done for that version (a decode, a
//! rendering) is not done again.
//!
//! An entry is used only when the store reports that same version, so a
//! stale entry is never served: any change to an object bumps its version
//! (on every node, on both backends). Bounded by estimated bytes; eviction
//! is `quick_cache`'s. Two uses: [`super::rendered`] (response bodies, for
//! retrieves) and [`crate::state::Shared::decoded`] (sessions as this node
//! last wrote them, decoded and with their lines' JSON, for its next update
//! of them, see [`super::hot`]: decoding was about a quarter of an update's
//! instructions, encoding the lines a tenth; kept small, since a memo of a
//! million sessions would not fit the memory target).

use quick_cache::sync::Cache;
use quick_cache::Weighter;

#[derive(Clone)]
struct Entry<T> {
    version: i64,
    /// Estimated bytes of the value.
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

/// Object id → a value for one stored version of it.
pub struct Memo<T: Clone>(Cache<String, Entry<T>, ByWeight>);

impl<T: Clone> Memo<T> {
    /// A memo of about `items` entries and `bytes` estimated bytes at most.
    pub fn new(items: usize, bytes: u64) -> Self {
        Self(Cache::with_weighter(items, bytes, ByWeight))
    }

    /// The value kept for object `id` at `version`, if any.
    pub fn get(&self, id: &str, version: i64) -> Option<T> {
        self.0
            .get(id)
            .filter(|e| e.version == version)
            .map(|e| e.value)
    }

    /// The value kept for object `id` at `version`, taken out of the memo
    /// (no copy; the caller puts back what it makes of it).
    pub fn take(&self, id: &str, version: i64) -> Option<T> {
        let (_, entry) = self.0.remove_if(id, |e| e.version == version)?;
        Some(entry.value)
    }

    /// Keep `value` for object `id` at `version`; `weight`: its estimated
    /// bytes.
    pub fn put(&self, id: &str, version: i64, weight: usize, value: T) {
        let entry = Entry {
            version,
            weight: weight as u64,
            value,
        };
        self.0.insert(id.to_owned(), entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_version_is_served_and_taken_only_once() {
        let d = Memo::new(16, 1 << 20);
        d.put("cs_1", 2, 2000, "session".to_owned());
        assert!(d.get("cs_1", 3).is_none(), "another version");
        assert!(d.take("cs_1", 3).is_none(), "another version");
        assert!(d.take("cs_2", 2).is_none(), "another session");
        assert_eq!(d.get("cs_1", 2).as_deref(), Some("session"));
        assert_eq!(d.take("cs_1", 2).as_deref(), Some("session"));
        assert!(d.take("cs_1", 2).is_none(), "taken already");
    }
}
