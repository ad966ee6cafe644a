//! Pure pieces of webhook delivery: the `Stripe-Signature` header and the
//! retry schedule.
//!
//! The signature is Stripe's v1 scheme: `t=<unix seconds>,v1=<hex>` where
//! `hex = HMAC-SHA256(key = the whole "whsec_…" secret as UTF-8,
//! message = "<t>.<raw body>")`, which the official SDKs'
//! `Webhook.construct_event` verify.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The `Stripe-Signature` header for `body` signed at `t`.
pub fn signature_header(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Attempts made before a delivery is given up (about three days with the
/// default one-minute base: 1, 2, 4 … 512 minutes, then every 12 hours).
pub const MAX_ATTEMPTS: i64 = 16;

/// Longest pause between two attempts.
const MAX_DELAY_MS: i64 = 12 * 3600 * 1000;

/// Milliseconds to wait after failed attempt number `attempt` (1-based):
/// `base × 2^(attempt-1)`, capped at 12 h, scaled by `jitter` (a factor
/// the caller draws from 0.9..1.1 so that many failed deliveries don't
/// retry in lockstep).
pub fn retry_delay_ms(attempt: i64, base_ms: i64, jitter: f64) -> i64 {
    let exp = u32::try_from((attempt - 1).clamp(0, 40)).unwrap_or(40);
    let raw = base_ms
        .saturating_mul(2i64.saturating_pow(exp))
        .min(MAX_DELAY_MS);
    // Rounding a product of a bounded i64 and a factor near 1 stays in range.
    ((raw as f64) * jitter).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_hmac() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        let header = signature_header("whsec_test", 1_700_000_000, br#"{"a":1}"#);
        assert_eq!(
            header,
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn delays_double_then_cap() {
        assert_eq!(retry_delay_ms(1, 60_000, 1.0), 60_000);
        assert_eq!(retry_delay_ms(2, 60_000, 1.0), 120_000);
        assert_eq!(retry_delay_ms(11, 60_000, 1.0), MAX_DELAY_MS);
        assert_eq!(retry_delay_ms(40, 60_000, 1.0), MAX_DELAY_MS);
        assert_eq!(retry_delay_ms(1, 100, 1.1), 110);
    }

    #[test]
    fn the_schedule_spans_about_three_days() {
        let total: i64 = (1..MAX_ATTEMPTS)
            .map(|a| retry_delay_ms(a, 60_000, 1.0))
            .sum();
        let days = total as f64 / 86_400_000.0;
        assert!((2.5..=3.5).contains(&days), "{days} days");
    }
}
