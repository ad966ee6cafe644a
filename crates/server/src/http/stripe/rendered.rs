//! Sessions as last rendered for the wire, so that retrieving a session that
//! did not change since is a lookup: no JSON decode of the stored session
//! and no rendering (together about a quarter of a retrieve's CPU in the
//! benchmark's profile once the store answers from memory).
//!
//! An entry is the response body of one session at one stored `version`
//! for one API version, unexpanded; it is used only when the store reports
//! that same version, so a stale entry is never served: any change to a
//! session bumps its version (on every node, on both backends). Bounded by
//! bytes ([`CAPACITY`]); eviction is `quick_cache`'s.

use axum::body::Bytes;
use quick_cache::sync::Cache;
use quick_cache::Weighter;
use std::sync::Arc;

/// Bytes of rendered sessions kept at most: about 12,000 sessions of
/// 2.6 KiB, as many as the SQLite cache's default 32 MiB holds.
const CAPACITY: u64 = 32 << 20;
/// Sessions kept at most (an estimate `quick_cache` sizes itself by).
const ITEMS: usize = 12_288;

struct Entry {
    version: i64,
    api_version: Box<str>,
    body: Bytes,
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<String, Arc<Entry>> for ByBytes {
    fn weight(&self, id: &String, entry: &Arc<Entry>) -> u64 {
        (id.len() + entry.api_version.len() + entry.body.len()) as u64
    }
}

/// Session id → its last rendering.
pub struct Rendered(Cache<String, Arc<Entry>, ByBytes>);

impl Default for Rendered {
    fn default() -> Self {
        Self(Cache::with_weighter(ITEMS, CAPACITY, ByBytes))
    }
}

impl Rendered {
    /// The body of session `id` at `version` for `api_version`, if kept.
    pub fn get(&self, id: &str, version: i64, api_version: &str) -> Option<Bytes> {
        self.0
            .get(id)
            .filter(|e| e.version == version && &*e.api_version == api_version)
            .map(|e| e.body.clone())
    }

    /// Keep the body of session `id` at `version` for `api_version`.
    pub fn put(&self, id: &str, version: i64, api_version: &str, body: Bytes) {
        let entry = Entry {
            version,
            api_version: api_version.into(),
            body,
        };
        self.0.insert(id.to_owned(), Arc::new(entry));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_version_and_api_version_is_served() {
        let r = Rendered::default();
        r.put("cs_1", 2, "2026-10-28.endive", Bytes::from_static(b"{}"));
        assert_eq!(
            r.get("cs_1", 2, "2026-10-28.endive").as_deref(),
            Some(&b"{}"[..])
        );
        assert!(r.get("cs_1", 3, "2026-10-28.endive").is_none());
        assert!(r.get("cs_1", 2, "2025-03-31.basil").is_none());
        assert!(r.get("cs_2", 2, "2026-10-28.endive").is_none());
    }
}
