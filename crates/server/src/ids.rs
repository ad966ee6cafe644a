//! Random identifiers and secrets with Stripe's prefixes.
//!
//! Ids are prefixed by object type (`prod_`, `price_`, `cs_test_`, …) and
//! carry enough randomness (≥ 142 bits) that nodes need no coordination.

use rand::distributions::Alphanumeric;
use rand::Rng;

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

/// A checkout session id, `cs_test_…` or `cs_live_…`, as long as Stripe's.
pub fn session_id(livemode: bool) -> String {
    format!("cs_{}_{}", mode(livemode), random(58))
}

/// `req_…` for the `Request-Id` header.
pub fn request_id() -> String {
    format!("req_{}", random(14))
}

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
