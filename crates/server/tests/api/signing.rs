//! Gr4vy credentials for black-box tests: P-521 key pairs, their public
//! halves as SPKI PEM files for `--gr4vy-public-keys`, and ES512 JWTs as
//! the Gr4vy SDK signs them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use p521::ecdsa::signature::RandomizedSigner;
use p521::ecdsa::{Signature, SigningKey, VerifyingKey};
use p521::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::json;
use std::path::{Path, PathBuf};

/// A deterministic P-521 key (any seed gives a valid scalar).
pub fn key(seed: u8) -> SigningKey {
    let mut bytes = [seed; 66];
    bytes[0] = 0;
    SigningKey::from_slice(&bytes).expect("valid scalar")
}

/// Write `key`'s public half as `dir/name.pem`; returns the path.
pub fn write_public_pem(dir: &Path, name: &str, key: &SigningKey) -> PathBuf {
    let point = VerifyingKey::from(key).to_encoded_point(false);
    let pem = p521::PublicKey::from_sec1_bytes(point.as_bytes())
        .expect("public key")
        .to_public_key_pem(LineEnding::LF)
        .expect("SPKI PEM");
    let path = dir.join(format!("{name}.pem"));
    std::fs::write(&path, pem).expect("write PEM");
    path
}

/// An ES512 JWT with `scopes`, valid for an hour from now.
pub fn token(key: &SigningKey, scopes: &[&str]) -> String {
    let kid = checkoutd::app::jwt::thumbprint(&VerifyingKey::from(key));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let header = json!({"alg": "ES512", "kid": kid, "typ": "JWT"});
    let claims = json!({
        "scopes": scopes,
        "iss": "checkoutd-tests",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": checkoutd::ids::random(16),
    });
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let signature: Signature = key.sign_with_rng(&mut rand::rngs::OsRng, input.as_bytes());
    format!("{input}.{}", B64.encode(signature.to_bytes()))
}

/// A token that may read and write checkout sessions.
pub fn read_write(key: &SigningKey) -> String {
    token(key, &["*.read", "*.write"])
}
