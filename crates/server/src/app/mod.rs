//! The application layer: the services every front end shares (the Stripe
//! and Gr4vy dialects, the hosted page, the workers), between them and the
//! store. It knows no HTTP and no wire format: front ends parse a request
//! into the inputs of a service, call it, and render what it returns (or
//! its [`AppError`]) in their own terms.

pub mod call;
pub mod catalog;
pub mod error;
pub mod events;
pub mod gr4vy_sessions;
pub mod jwt;
pub mod keys;
pub mod rate_limit;
pub mod sessions;
pub mod settings;
pub mod sweeper;
pub mod test_clock;

pub use call::Call;
pub use error::{AppError, AppResult};
pub use settings::{Limits, Settings};

use checkout_store::Store;
use std::sync::Arc;

/// What the services share: the store, where the hosted pages live, the
/// operator's settings, and this node's memory of keys and rates.
pub struct App {
    pub store: Arc<dyn Store>,
    /// Base of hosted-page URLs, without a trailing slash.
    pub public_url: Arc<str>,
    pub settings: Arc<Settings>,
    /// Per-key token buckets (`--rate-limit`).
    pub limiter: rate_limit::RateLimiter,
    /// Secret keys this node looked up recently.
    pub keys: keys::KeyCache,
}

impl App {
    pub fn new(store: Arc<dyn Store>, public_url: &str, settings: Settings) -> Self {
        Self {
            store,
            public_url: public_url.trim_end_matches('/').into(),
            limiter: rate_limit::RateLimiter::new(settings.limits.rate_limit),
            settings: Arc::new(settings),
            keys: keys::KeyCache::default(),
        }
    }
}
