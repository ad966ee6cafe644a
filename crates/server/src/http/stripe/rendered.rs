//! Sessions as last rendered for the wire, so that retrieving a session that
//! did not change since is a lookup: no JSON decode of the stored session
//! and no rendering (together about a quarter of a retrieve's CPU in the
//! benchmark's profile once the store answers from memory).
//!
//! An entry is the response body of one session at one stored `version`
//! for one API version, unexpanded; it is used only when the store reports
//! that same version, so a stale entry is never served: any change to a
//! session bumps its version (on every node, on both backends); see
//! [`super::memo`]. Bounded by bytes ([`CAPACITY`]).

use super::memo::Memo;
use axum::body::Bytes;
use std::sync::Arc;

/// Bytes of rendered sessions kept at most: about 12,000 sessions of
/// 2.6 KiB, as many as the SQLite cache's default 32 MiB holds.
const CAPACITY: u64 = 32 << 20;
/// Sessions kept at most (an estimate `quick_cache` sizes itself by).
const ITEMS: usize = 12_288;

/// Session id → its last rendering: the API version and the body.
pub struct Rendered(Memo<(Arc<str>, Bytes)>);

impl Default for Rendered {
    fn default() -> Self {
        Self(Memo::new(ITEMS, CAPACITY))
    }
}

impl Rendered {
    /// The body of session `id` at `version` for `api_version`, if kept.
    pub fn get(&self, id: &str, version: i64, api_version: &str) -> Option<Bytes> {
        self.0
            .get(id, version)
            .filter(|(kept, _)| **kept == *api_version)
            .map(|(_, body)| body)
    }

    /// Keep the body of session `id` at `version` for `api_version`.
    pub fn put(&self, id: &str, version: i64, api_version: &str, body: Bytes) {
        let weight = api_version.len() + body.len();
        self.0.put(id, version, weight, (api_version.into(), body));
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
