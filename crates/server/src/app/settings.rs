//! What the operator set for the services and their workers: worker
//! pauses, webhook retries, the Gr4vy signing keys, and the limits the
//! front ends enforce.

use std::sync::Arc;

/// Tunables of the background workers.
#[derive(Debug, Clone)]
pub struct Settings {
    /// First retry delay of a failed webhook delivery; later ones double.
    pub webhook_retry_base_ms: i64,
    /// How long one delivery attempt may take.
    pub webhook_timeout_ms: i64,
    /// Pause of an idle worker (sweeper, deliveries) between passes.
    pub worker_poll_ms: i64,
    /// Public keys accepted for Gr4vy JWTs (`--gr4vy-public-keys`, read by
    /// [`crate::load_gr4vy_keys`]); none by default, so every token is 401.
    pub gr4vy_keys: Arc<super::jwt::KeyRing>,
    /// Connection, timeout and rate limits.
    pub limits: Limits,
    /// Where webhook endpoints may point (`--webhook-private-urls`).
    pub webhook_urls: crate::webhooks::url_policy::PrivateUrls,
}

/// Protections against slow, numerous or greedy clients. The defaults
/// leave tests and benchmarks unaffected: no rate limit, generous bounds.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Time a client has to send a request's headers (also how long an
    /// idle keep-alive connection stays open).
    pub header_timeout: std::time::Duration,
    /// Time a client has to send a request's body, once its headers are in.
    pub body_timeout: std::time::Duration,
    /// Requests per second per API key or Gr4vy signing key, with a burst
    /// of one second's worth; 0 turns rate limiting off.
    pub rate_limit: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_timeout: std::time::Duration::from_secs(30),
            body_timeout: std::time::Duration::from_secs(60),
            rate_limit: 0.0,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            webhook_retry_base_ms: 60_000,
            webhook_timeout_ms: 10_000,
            worker_poll_ms: 1_000,
            gr4vy_keys: Arc::default(),
            limits: Limits::default(),
            webhook_urls: Default::default(),
        }
    }
}
