//! Secret keys: how they are stored (hashed) and shown (redacted), and
//! what a key grants, remembered by this node so that most requests
//! authenticate without a database round trip.
//!
//! A key's account and mode never change (keys are only ever added), so
//! that part could be kept forever. The test clock's offset does change,
//! through `POST /v1/test_helpers/clock/advance`: this node forgets the
//! account's entries at once, and an entry is trusted for at most
//! [`TTL`], so other nodes (on PostgreSQL) see an advanced clock within that
//! time. Unknown keys are never cached, so a
//! key added by another node works at once.

use super::{App, AppResult};
use checkout_store::KeyRecord;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// SHA-256 of a secret key, hex: how keys are stored and looked up.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// `sk_test_********abcd`, for error messages and logs.
pub fn redact_key(key: &str) -> String {
    let prefix: String = key.chars().take(8).collect();
    let tail: Vec<char> = key.chars().rev().take(4).collect();
    let last4: String = tail.into_iter().rev().collect();
    format!("{prefix}********{last4}")
}

/// What the key with this hash grants, from this node's memory or else
/// the store; `None` for a key nobody provisioned (never remembered, so a
/// key another node adds works at once).
pub async fn lookup(app: &App, key_hash: &str) -> AppResult<Option<KeyRecord>> {
    if let Some(record) = app.keys.get(key_hash) {
        return Ok(Some(record));
    }
    let found = app.store.find_key(key_hash).await?;
    if let Some(record) = &found {
        app.keys.put(key_hash, record);
    }
    Ok(found)
}

/// How long a looked-up key (and its account's clock offset) is trusted.
pub const TTL: Duration = Duration::from_secs(1);
/// Entries kept at most; the cache is emptied when full (keys are few).
const CAPACITY: usize = 10_000;

/// Key hash → what it grants, with the time it was looked up.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (KeyRecord, Instant)>>,
}

impl KeyCache {
    /// The fresh entry of a key hash, if any.
    pub fn get(&self, key_hash: &str) -> Option<KeyRecord> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key_hash)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(record, _)| record.clone())
    }

    /// Remember what a key grants, as just read from the store.
    pub fn put(&self, key_hash: &str, record: &KeyRecord) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key_hash.to_owned(), (record.clone(), Instant::now()));
    }

    /// Forget every key of an account (its clock moved).
    pub fn forget_account(&self, account: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (record, _)| record.account != account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(account: &str) -> KeyRecord {
        KeyRecord {
            account: account.into(),
            livemode: false,
            clock_offset: 5,
        }
    }

    #[test]
    fn entries_are_served_until_their_account_is_forgotten() {
        let cache = KeyCache::default();
        assert_eq!(cache.get("h1"), None);
        cache.put("h1", &record("acct_a"));
        cache.put("h2", &record("acct_b"));
        assert_eq!(cache.get("h1"), Some(record("acct_a")));
        cache.forget_account("acct_a");
        assert_eq!(cache.get("h1"), None);
        assert_eq!(cache.get("h2"), Some(record("acct_b")));
    }

    #[test]
    fn key_hashes_are_lowercase_hex_sha256() {
        assert_eq!(
            hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn entries_expire() {
        let cache = KeyCache::default();
        cache.put("h1", &record("acct_a"));
        cache.entries.lock().unwrap().get_mut("h1").unwrap().1 -= TTL;
        assert_eq!(cache.get("h1"), None);
    }
}
