//! What every handler shares: the store, the public URL and the metrics.

use checkout_store::Store;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Handed to every handler by axum, which clones it several times per
/// request (once per stateful middleware and extractor): one reference
/// count to bump, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    pub store: Arc<dyn Store>,
    /// Base of hosted-page URLs, without a trailing slash.
    pub public_url: Arc<str>,
    pub metrics: Arc<Metrics>,
    pub settings: Arc<Settings>,
    /// Per-key token buckets (`--rate-limit`), in this node's memory.
    pub limiter: Arc<crate::http::limits::RateLimiter>,
    /// Secret keys this node looked up recently.
    pub keys: crate::http::stripe::key_cache::KeyCache,
}

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
    pub gr4vy_keys: Arc<crate::http::gr4vy::KeyRing>,
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

/// Counters served at `/metrics` in Prometheus text format.
#[derive(Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub responses_2xx: AtomicU64,
    pub responses_4xx: AtomicU64,
    pub responses_5xx: AtomicU64,
    pub idempotent_replays: AtomicU64,
}

impl Metrics {
    /// Count one finished response by status class.
    pub fn observe(&self, status: u16) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let class = match status {
            200..=399 => &self.responses_2xx,
            400..=499 => &self.responses_4xx,
            _ => &self.responses_5xx,
        };
        class.fetch_add(1, Ordering::Relaxed);
    }

    /// Prometheus exposition text.
    pub fn render(&self, backend: &str) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "# HELP checkoutd_requests_total HTTP requests answered.\n\
             # TYPE checkoutd_requests_total counter\n\
             checkoutd_requests_total {}\n\
             # HELP checkoutd_responses_total HTTP responses by status class.\n\
             # TYPE checkoutd_responses_total counter\n\
             checkoutd_responses_total{{class=\"2xx\"}} {}\n\
             checkoutd_responses_total{{class=\"4xx\"}} {}\n\
             checkoutd_responses_total{{class=\"5xx\"}} {}\n\
             # HELP checkoutd_idempotent_replays_total Responses replayed for a reused Idempotency-Key.\n\
             # TYPE checkoutd_idempotent_replays_total counter\n\
             checkoutd_idempotent_replays_total {}\n\
             # HELP checkoutd_info Build and backend.\n\
             # TYPE checkoutd_info gauge\n\
             checkoutd_info{{version=\"{}\",backend=\"{backend}\"}} 1\n",
            get(&self.requests),
            get(&self.responses_2xx),
            get(&self.responses_4xx),
            get(&self.responses_5xx),
            get(&self.idempotent_replays),
            env!("CARGO_PKG_VERSION"),
        )
    }
}
