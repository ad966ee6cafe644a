//! Random identifiers and secrets with Stripe's prefixes.
//!
//! Ids are prefixed by object type (`prod_`, `price_`, `cs_test_`, …) and
//! carry enough randomness (≥ 142 bits) that nodes need no coordination.

use rand::distributions::Alphanumeric;
use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;

/// `n` random base-62 characters.
pub fn random(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// `{prefix}_{24 random}`.
pub fn object_id(prefix: &str) -> String {
    format!("{prefix}_{}", random(24))
}

/// A checkout session id, `cs_test_…` or `cs_live_…`, as long as Stripe's:
/// 8 base-62 digits of the creation time in milliseconds, then 50 random
/// characters (297 bits).
///
/// Why the time first: SQLite keeps sessions in a unique index on `id`.
/// With random ids every create inserts at a random place of that index,
/// so with many sessions stored it reads and rewrites a page nobody else
/// touched lately (and the checkpoint copies it again). Ids that sort by
/// creation time all go to the same few pages. The time is no secret
/// (every session shows `created`); the 50 random characters keep ids
/// unguessable. Digits in ASCII order, so ids sort as their times do
/// until the year 8900 (62⁸ ms).
pub fn session_id(livemode: bool) -> String {
    let millis = u64::try_from(crate::clock::real_now_ms()).unwrap_or(0);
    let mut id = String::with_capacity(66);
    id.push_str("cs_");
    id.push_str(mode(livemode));
    id.push('_');
    push_base62(&mut id, millis);
    id.push_str(&random(50));
    id
}

/// Append `n` as 8 base-62 digits (its lowest 8), most significant first.
fn push_base62(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 8];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.extend(digits.iter().map(|&b| char::from(b)));
}

/// `req_…` for the `Request-Id` header, 14 base-62 characters like
/// Stripe's: 6 random ones drawn once per process, then a counter of 8
/// digits (62⁸ ≈ 2·10¹⁴ before it wraps). A request id only has to tell
/// requests apart, in logs and support questions; it is no secret, so it
/// needs no fresh randomness per request.
pub fn request_id() -> String {
    static NODE: LazyLock<String> = LazyLock::new(|| random(6));
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut id = String::with_capacity(18);
    id.push_str("req_");
    id.push_str(&NODE);
    push_base62(&mut id, n);
    id
}

/// Base-62 digits in ASCII order, so that numbers of the same width sort
/// as their digits do.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A new secret key.
pub fn secret_key(livemode: bool) -> String {
    format!("sk_{}_{}", mode(livemode), random(48))
}

fn mode(livemode: bool) -> &'static str {
    if livemode {
        "live"
    } else {
        "test"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn request_ids_look_like_stripes_and_never_repeat() {
        let ids: Vec<String> = (0..10_000).map(|_| request_id()).collect();
        for id in &ids {
            let rest = id.strip_prefix("req_").expect("req_ prefix");
            assert_eq!(rest.len(), 14, "{id}");
            assert!(rest.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        }
        let distinct: HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        // The counter's last digit moves with every id.
        assert_ne!(ids[0][17..], ids[1][17..]);
    }

    #[test]
    fn session_ids_are_as_long_as_stripes_and_sort_by_creation_time() {
        let first = session_id(false);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let ids: Vec<String> = (0..1_000).map(|_| session_id(false)).collect();
        for id in ids.iter().chain([&first]) {
            let rest = id.strip_prefix("cs_test_").expect("cs_test_ prefix");
            assert_eq!(rest.len(), 58, "{id}");
            assert!(rest.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        }
        // Two milliseconds later, every id sorts after the first.
        assert!(ids.iter().all(|id| id.as_str() > first.as_str()));
        let distinct: HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        assert!(session_id(true).starts_with("cs_live_"));
    }

    #[test]
    fn base62_digits_sort_as_their_numbers() {
        let text = |n: u64| {
            let mut s = String::new();
            push_base62(&mut s, n);
            s
        };
        assert_eq!(text(0), "00000000");
        assert_eq!(text(61), "0000000z");
        assert_eq!(text(62), "00000010");
        let mut last = text(0);
        let steps = [9, 10, 35, 36, 61, 62, 3_843, 3_844, 1 << 40, 1 << 41];
        for n in steps {
            let next = text(n);
            assert!(next > last, "{n}: {next} after {last}");
            last = next;
        }
    }
}
