//! The Gr4vy JWT parser and verifier on arbitrary bytes, against a fixed
//! key ring: it must refuse (with a `JwtError`), never panic. The input is
//! also tried behind a well-formed header naming the known key, and inputs
//! starting with `s` go to `check_claims` (what `verify` runs once the
//! signature holds), so the claim checks are fuzzed without signing.

#![no_main]

use base64::Engine;
use checkoutd::app::jwt::{check_claims, KeyRing};
use libfuzzer_sys::fuzz_target;
use p521::ecdsa::{SigningKey, VerifyingKey};
use std::sync::OnceLock;

const NOW: i64 = 1_700_000_000;

fn ring() -> &'static (KeyRing, String) {
    static RING: OnceLock<(KeyRing, String)> = OnceLock::new();
    RING.get_or_init(|| {
        let mut bytes = [7u8; 66];
        bytes[0] = 0;
        let key = SigningKey::from_slice(&bytes).expect("valid scalar");
        let mut ring = KeyRing::default();
        let kid = ring
            .add_key("acct_fuzz", VerifyingKey::from(&key))
            .expect("key added");
        (ring, kid)
    })
}

fuzz_target!(|data: &[u8]| {
    let (ring, kid) = ring();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(format!(r#"{{"alg":"ES512","kid":"{kid}","typ":"JWT"}}"#));
    if let Some(claims) = data.strip_prefix(b"s") {
        // Fuzzed claims, as `verify` checks them once a signature holds.
        let _ = check_claims(&b64.encode(claims), NOW);
        let _ = check_claims(&String::from_utf8_lossy(claims), NOW);
        return;
    }
    let token = String::from_utf8_lossy(data);
    let _ = ring.verify(&token, NOW);
    let _ = ring.verify(&token, i64::MAX);
    let _ = ring.verify(&token, i64::MIN);
    // With a known kid in a well-formed header, the signature path sees
    // the fuzzed parts.
    let _ = ring.verify(&format!("{header}.{token}"), NOW);
    let mut parts = token.splitn(2, '.');
    let claims = b64.encode(parts.next().unwrap_or_default());
    let sig = parts.next().unwrap_or_default();
    let _ = ring.verify(&format!("{header}.{claims}.{sig}"), NOW);
});
