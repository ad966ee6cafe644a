//! Gr4vy's API authentication: a JWT the merchant signs with the private
//! half of a P-521 key pair, verified here with the public half.
//!
//! The JOSE header names the key by `kid`, its RFC 7638 SHA-256 thumbprint
//! (`{"crv":"P-521","kty":"EC","x":…,"y":…}`, coordinates zero-padded to 66
//! bytes, base64url without padding), so the [`KeyRing`] stores the keys
//! of `--gr4vy-public-keys` by thumbprint, each tied to one of our
//! accounts. Only ES512 is accepted: the algorithm comes from the key, never
//! from the token, so `none` and HS* tokens fail. `exp` is required; `exp`,
//! `nbf` and `iat` are checked against a `now` the caller passes in (the
//! tests verify the captured, long-expired SDK tokens at their own time)
//! with [`LEEWAY`] seconds of skew, because the SDK sets `iat` and `nbf` to
//! the very second it signs.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use p521::ecdsa::signature::Verifier;
use p521::ecdsa::{Signature, VerifyingKey};
use p521::elliptic_curve::sec1::Coordinates;
use p521::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};
use std::fmt;

/// Seconds of clock skew allowed on `exp`, `nbf` and `iat`.
pub const LEEWAY: i64 = 60;
/// Longest token looked at.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// base64url that tolerates padding (PyJWT strips it; others may not).
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One accepted public key.
#[derive(Clone)]
struct Entry {
    kid: String,
    account: String,
    key: VerifyingKey,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("kid", &self.kid)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// The public keys Gr4vy JWTs may be signed with, by thumbprint.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: Vec<Entry>,
}

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The account the verifying key belongs to.
    pub account: String,
    pub kid: String,
    pub scopes: Vec<String>,
}

/// Why a token was refused (all answer 401).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    Malformed(&'static str),
    UnsupportedAlgorithm(String),
    UnknownKey,
    BadSignature,
    Expired,
    NotYetValid,
    IssuedInTheFuture,
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::Malformed(what) => write!(f, "the token is malformed: {what}"),
            JwtError::UnsupportedAlgorithm(alg) => {
                write!(f, "the token algorithm {alg:?} is not accepted (use ES512)")
            }
            JwtError::UnknownKey => f.write_str("the token was signed by an unknown key (kid)"),
            JwtError::BadSignature => f.write_str("the token signature is invalid"),
            JwtError::Expired => f.write_str("the token has expired"),
            JwtError::NotYetValid => f.write_str("the token is not valid yet (nbf)"),
            JwtError::IssuedInTheFuture => f.write_str("the token was issued in the future (iat)"),
        }
    }
}

impl std::error::Error for JwtError {}

/// RFC 7638 thumbprint of a P-521 public key.
pub fn thumbprint(key: &VerifyingKey) -> String {
    let point = key.to_encoded_point(false);
    let (x, y) = match point.coordinates() {
        Coordinates::Uncompressed { x, y } => (B64URL.encode(x), B64URL.encode(y)),
        // An uncompressed encoding was asked for; nothing else can come back.
        _ => (String::new(), String::new()),
    };
    let canonical = format!(r#"{{"crv":"P-521","kty":"EC","x":"{x}","y":"{y}"}}"#);
    B64URL.encode(Sha256::digest(canonical.as_bytes()))
}

/// Split `--gr4vy-public-keys` into (account, path) pairs: comma-separated
/// paths, each optionally `acct_ID:PATH`, else in `default_account`.
pub fn parse_spec(list: &str, default_account: &str) -> Vec<(String, String)> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| match entry.split_once(':') {
            Some((acct, path)) if acct.starts_with("acct_") && acct.len() > 5 => {
                (acct.to_owned(), path.trim().to_owned())
            }
            _ => (default_account.to_owned(), entry.to_owned()),
        })
        .collect()
}

impl KeyRing {
    /// Read every key `--gr4vy-public-keys` names. Fails with a message
    /// naming the file on an unreadable or unsuitable key.
    pub fn load(list: &str, default_account: &str) -> Result<KeyRing, String> {
        let mut ring = KeyRing::default();
        for (account, path) in parse_spec(list, default_account) {
            let pem = std::fs::read_to_string(&path).map_err(|e| {
                format!("cannot read Gr4vy public key file {path:?} (--gr4vy-public-keys): {e}")
            })?;
            ring.add_pem(&account, &pem)
                .map_err(|e| format!("Gr4vy public key file {path:?}: {e}"))?;
        }
        Ok(ring)
    }

    /// Accept JWTs verified by this SPKI PEM public key, in `account`;
    /// returns the key's thumbprint (`kid`).
    pub fn add_pem(&mut self, account: &str, pem: &str) -> Result<String, String> {
        let public = p521::PublicKey::from_public_key_pem(pem.trim()).map_err(|e| {
            format!("not a P-521 public key in SPKI PEM form (-----BEGIN PUBLIC KEY-----): {e}")
        })?;
        let key = VerifyingKey::from_affine(*public.as_affine())
            .map_err(|e| format!("unusable P-521 public key: {e}"))?;
        self.add_key(account, key)
    }

    /// Accept JWTs verified by `key`, in `account`; returns its `kid`.
    pub fn add_key(&mut self, account: &str, key: VerifyingKey) -> Result<String, String> {
        let kid = thumbprint(&key);
        match self.keys.iter().find(|e| e.kid == kid) {
            Some(e) if e.account != account => Err(format!(
                "the key {kid} is given for two accounts ({} and {account})",
                e.account
            )),
            Some(_) => Ok(kid),
            None => {
                self.keys.push(Entry {
                    kid: kid.clone(),
                    account: account.to_owned(),
                    key,
                });
                Ok(kid)
            }
        }
    }

    /// Whether no key is configured (every token is then refused).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The accounts that own keys, each once.
    pub fn accounts(&self) -> Vec<String> {
        let mut accounts: Vec<String> = self.keys.iter().map(|e| e.account.clone()).collect();
        accounts.sort();
        accounts.dedup();
        accounts
    }

    /// Check a compact JWS: header, key, signature, then `exp`/`nbf`/`iat`
    /// at `now` (Unix seconds) and the shape of `scopes`.
    pub fn verify(&self, token: &str, now: i64) -> Result<Verified, JwtError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(JwtError::Malformed("too long"));
        }
        let mut parts = token.split('.');
        let (Some(head), Some(body), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed("not three dot-separated parts"));
        };
        let header = decode_json(head).ok_or(JwtError::Malformed("header"))?;
        let alg = header.get("alg").and_then(|a| a.as_str()).unwrap_or("");
        if alg != "ES512" {
            return Err(JwtError::UnsupportedAlgorithm(
                alg.chars().take(20).collect(),
            ));
        }
        if header.get("crit").is_some() {
            return Err(JwtError::Malformed("unsupported crit header"));
        }
        let kid = header
            .get("kid")
            .and_then(|k| k.as_str())
            .ok_or(JwtError::Malformed("no kid in the header"))?;
        let entry = self
            .keys
            .iter()
            .find(|e| e.kid == kid)
            .ok_or(JwtError::UnknownKey)?;
        let raw = B64URL.decode(sig).map_err(|_| JwtError::BadSignature)?;
        // JWS ES512 signatures are the raw 66-byte r and s, concatenated.
        if raw.len() != 132 {
            return Err(JwtError::BadSignature);
        }
        let signature = Signature::from_slice(&raw).map_err(|_| JwtError::BadSignature)?;
        let signed = &token[..head.len() + 1 + body.len()];
        entry
            .key
            .verify(signed.as_bytes(), &signature)
            .map_err(|_| JwtError::BadSignature)?;
        let scopes = check_claims(body, now)?;
        Ok(Verified {
            account: entry.account.clone(),
            kid: entry.kid.clone(),
            scopes,
        })
    }
}

/// Decode a token's claims part (base64url JSON) and check it at `now`:
/// `exp` (required), `nbf`, `iat`, and `scopes` (an array of strings,
/// returned). [`KeyRing::verify`] calls it once the signature holds; the
/// `gr4vy_jwt` fuzz target calls it directly, as signing every input would
/// cost more than the checks themselves.
pub fn check_claims(part: &str, now: i64) -> Result<Vec<String>, JwtError> {
    let claims = decode_json(part).ok_or(JwtError::Malformed("claims"))?;
    check_times(&claims, now)?;
    claims
        .get("scopes")
        .and_then(|s| s.as_array())
        .ok_or(JwtError::Malformed("no scopes claim"))?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect::<Option<Vec<_>>>()
        .ok_or(JwtError::Malformed("scopes must be strings"))
}

fn decode_json(part: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let bytes = B64URL.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

fn check_times(
    claims: &serde_json::Map<String, serde_json::Value>,
    now: i64,
) -> Result<(), JwtError> {
    // NumericDate may be fractional; compare in f64 (exact for any date
    // within 2^53 seconds).
    let time = |name: &'static str| -> Result<Option<f64>, JwtError> {
        match claims.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or(JwtError::Malformed("a time claim is not a number")),
        }
    };
    let now = now as f64;
    let leeway = LEEWAY as f64;
    let exp = time("exp")?.ok_or(JwtError::Malformed("no exp claim"))?;
    if exp <= now - leeway {
        return Err(JwtError::Expired);
    }
    if time("nbf")?.is_some_and(|nbf| nbf > now + leeway) {
        return Err(JwtError::NotYetValid);
    }
    if time("iat")?.is_some_and(|iat| iat > now + leeway) {
        return Err(JwtError::IssuedInTheFuture);
    }
    Ok(())
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
