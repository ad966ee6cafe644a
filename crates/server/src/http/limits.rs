//! Limits on what one client can take: the request body (size and the time
//! to send it) and the request rate per key.
//!
//! - [`read_body`] reads every request body up front, at most
//!   [`MAX_BODY_BYTES`] (413) within `--body-timeout-ms` (408), answering in
//!   the dialect of the route (Stripe's envelope under `/v1`, Gr4vy's under
//!   `/checkout`, plain text elsewhere). A client trickling its body byte
//!   by byte holds a connection for at most that long.
//! - [`RateLimiter`] is a token bucket per key, in this node's memory:
//!   `--rate-limit` requests per second with a burst of one second's
//!   worth. The Stripe dialect keys it by the secret key's hash, the Gr4vy
//!   dialect by the signing key's `kid`; each answers its own 429.
//!
//! Header timeouts and the connection limit live in the accept loop
//! ([`crate::listen`]).

use super::gr4vy::error::Gr4vyError;
use super::stripe::error::StripeError;
use crate::state::AppState;
use axum::body::{to_bytes, Body, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Largest request body accepted on any route.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Buckets kept before full (idle) ones are dropped.
const MAX_BUCKETS: usize = 10_000;

/// Which error envelope a path answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Stripe,
    Gr4vy,
    Plain,
}

fn dialect(path: &str) -> Dialect {
    if path.starts_with("/v1/") || path == "/v1" {
        Dialect::Stripe
    } else if path.starts_with("/checkout/") || path == "/checkout" {
        Dialect::Gr4vy
    } else {
        Dialect::Plain
    }
}

fn too_large(path: &str) -> Response {
    match dialect(path) {
        Dialect::Stripe => StripeError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            ..StripeError::invalid_request(
                format!("The request body is larger than the limit of {MAX_BODY_BYTES} bytes."),
                None,
            )
        }
        .into_response(),
        Dialect::Gr4vy => Gr4vyError::payload_too_large(MAX_BODY_BYTES).into_response(),
        Dialect::Plain => {
            (StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n").into_response()
        }
    }
}

fn body_timeout(path: &str, limit: Duration) -> Response {
    let message = format!(
        "The request body was not received within {} ms.",
        limit.as_millis()
    );
    let mut response = match dialect(path) {
        Dialect::Stripe => StripeError::request_timeout(message).into_response(),
        Dialect::Gr4vy => Gr4vyError::request_timeout(message).into_response(),
        Dialect::Plain => (StatusCode::REQUEST_TIMEOUT, format!("{message}\n")).into_response(),
    };
    // The rest of the body may still be on its way: don't reuse the
    // connection.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Read the whole body of `req` within the size and time limits: the
/// request again, with the bytes, or the dialect's refusal (413, 408).
/// Called by the front-door middleware ([`super::front_door`]).
pub async fn read_body(state: &AppState, req: Request) -> Result<Request, Response> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large(req.uri().path()));
    }
    // Most reads have no body at all: nothing to wait for or to buffer
    // (and no timer to arm).
    if req.body().size_hint().exact() == Some(0) {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    let limit = state.settings.limits.body_timeout;
    match tokio::time::timeout(limit, to_bytes(body, MAX_BODY_BYTES)).await {
        Err(_) => Err(body_timeout(parts.uri.path(), limit)),
        // Over the cap (or the client went away: then nobody reads this).
        Ok(Err(_)) => Err(too_large(parts.uri.path())),
        Ok(Ok(bytes)) => Ok(Request::from_parts(parts, Body::from(bytes))),
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets by key: `rate` tokens a second, at most `rate` (and at
/// least one) saved up.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// `rate` requests per second per key; 0 (or less) allows everything.
    pub fn new(rate: f64) -> RateLimiter {
        RateLimiter {
            rate,
            burst: rate.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether limiting is on.
    pub fn enabled(&self) -> bool {
        self.rate > 0.0
    }

    /// Take one token for `key` at `now`: `Err` holds how long until the
    /// next one.
    pub fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if !self.enabled() {
            return Ok(());
        }
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let refill = now.saturating_duration_since(bucket.at).as_secs_f64() * self.rate;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }

    /// [`RateLimiter::check_at`] now.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_the_rate() {
        let limiter = RateLimiter::new(2.0);
        let t0 = Instant::now();
        assert!(limiter.check_at("k", t0).is_ok());
        assert!(limiter.check_at("k", t0).is_ok());
        let wait = limiter.check_at("k", t0).expect_err("burst spent");
        assert!(wait <= Duration::from_millis(500), "{wait:?}");
        // Another key has its own bucket.
        assert!(limiter.check_at("other", t0).is_ok());
        // Half a second later one token is back, not two.
        let t1 = t0 + Duration::from_millis(500);
        assert!(limiter.check_at("k", t1).is_ok());
        assert!(limiter.check_at("k", t1).is_err());
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = RateLimiter::new(0.0);
        let t0 = Instant::now();
        assert!((0..10_000).all(|_| limiter.check_at("k", t0).is_ok()));
    }

    #[test]
    fn a_fractional_rate_still_allows_one_request() {
        let limiter = RateLimiter::new(0.5);
        let t0 = Instant::now();
        assert!(limiter.check_at("k", t0).is_ok());
        let wait = limiter.check_at("k", t0).expect_err("spent");
        assert_eq!(wait, Duration::from_secs(2));
        assert!(limiter.check_at("k", t0 + Duration::from_secs(2)).is_ok());
    }

    #[test]
    fn idle_buckets_are_dropped_when_there_are_too_many() {
        let limiter = RateLimiter::new(1.0);
        let t0 = Instant::now();
        for i in 0..MAX_BUCKETS {
            limiter.check_at(&format!("k{i}"), t0).expect("first");
        }
        limiter
            .check_at("new", t0 + Duration::from_secs(5))
            .expect("first");
        let kept = limiter.buckets.lock().expect("lock").len();
        assert_eq!(kept, 1);
    }

    #[test]
    fn routes_answer_in_their_dialect() {
        assert_eq!(dialect("/v1/checkout/sessions"), Dialect::Stripe);
        assert_eq!(dialect("/checkout/sessions/x"), Dialect::Gr4vy);
        assert_eq!(dialect("/c/pay/cs_test_1"), Dialect::Plain);
    }
}
