//! What every handler shares: the application (its services' state) and
//! this node's HTTP counters.

use crate::app::App;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Handed to every handler by axum, which clones it several times per
/// request (once per stateful middleware and extractor): one reference
/// count to bump, not one per field. It dereferences to the [`App`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds.
pub struct Shared {
    pub app: Arc<App>,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(app: Arc<App>) -> Self {
        Self(Arc::new(Shared {
            app,
            metrics: Metrics::default(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::ops::Deref for Shared {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
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
