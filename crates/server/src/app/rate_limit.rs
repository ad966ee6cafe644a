//! The request rate per key: a token bucket per key, in this node's
//! memory, `--rate-limit` requests per second with a burst of one
//! second's worth. The Stripe dialect keys it by the secret key's hash, the
//! Gr4vy dialect by the signing key's `kid`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before full (idle) ones are dropped.
const MAX_BUCKETS: usize = 10_000;

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
}
