//! JWT verification against what the official Python SDK (`gr4vy` 2.4.27)
//! really sent (`tests/fixtures/gr4vy/sdk-python-capture.json`, a copy of
//! `reference/gr4vy/`), and against tokens signed here to reach the paths
//! the capture cannot (expiry edges, missing claims, forged algorithms).

use super::*;
use p521::ecdsa::signature::RandomizedSigner;
use p521::ecdsa::SigningKey;
use serde_json::{json, Value};

const CAPTURE: &str = include_str!("../../tests/fixtures/gr4vy/sdk-python-capture.json");

fn capture() -> Value {
    serde_json::from_str(CAPTURE).expect("capture fixture is JSON")
}

fn captured_key_pem() -> String {
    capture()["signing_key_public"]["spki_pem"]
        .as_str()
        .expect("spki_pem")
        .to_owned()
}

/// (token, claims) of every captured exchange.
fn captured_tokens() -> Vec<(String, Value)> {
    capture()["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .map(|e| {
            let auth = &e["authorization_decoded"];
            (
                auth["token"].as_str().expect("token").to_owned(),
                auth["jwt_claims"].clone(),
            )
        })
        .collect()
}

fn captured_ring() -> KeyRing {
    let mut ring = KeyRing::default();
    ring.add_pem("acct_default", &captured_key_pem())
        .expect("captured key loads");
    ring
}

fn test_key(seed: u8) -> SigningKey {
    let mut bytes = [seed; 66];
    bytes[0] = 0; // below the group order
    SigningKey::from_slice(&bytes).expect("valid scalar")
}

/// A compact ES512 JWS over `header` and `claims`.
fn sign(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let head = B64URL.encode(header.to_string());
    let body = B64URL.encode(claims.to_string());
    let signing_input = format!("{head}.{body}");
    let signature: Signature = key.sign_with_rng(&mut rand::rngs::OsRng, signing_input.as_bytes());
    format!("{signing_input}.{}", B64URL.encode(signature.to_bytes()))
}

fn header_for(key: &SigningKey) -> Value {
    json!({"alg": "ES512", "kid": thumbprint(&VerifyingKey::from(key)), "typ": "JWT"})
}

fn ring_for(key: &SigningKey, account: &str) -> KeyRing {
    let mut ring = KeyRing::default();
    ring.add_key(account, VerifyingKey::from(key))
        .expect("add key");
    ring
}

const NOW: i64 = 1_800_000_000;

fn claims(scopes: &[&str]) -> Value {
    json!({"scopes": scopes, "iss": "test", "iat": NOW, "nbf": NOW, "exp": NOW + 3600, "jti": "x"})
}

#[test]
fn the_captured_key_has_the_captured_thumbprint() {
    // Arrange
    let cap = capture();
    let expected = cap["signing_key_public"]["rfc7638_thumbprint"]
        .as_str()
        .expect("thumbprint");
    // Act
    let kid = KeyRing::default()
        .add_pem("acct_default", &captured_key_pem())
        .expect("loads");
    // Assert
    assert_eq!(kid, expected);
    assert_eq!(kid, "gqrD37ENICjb1L2a2KgqZNEL5AHNfO_d3kD-riLm_l4");
    let jwk = &cap["signing_key_public"]["jwk"];
    let canonical = format!(
        r#"{{"crv":"P-521","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk["x"].as_str().expect("x"),
        jwk["y"].as_str().expect("y")
    );
    assert_eq!(B64URL.encode(Sha256::digest(canonical.as_bytes())), kid);
}

#[test]
fn every_captured_sdk_token_verifies_at_its_own_time() {
    let ring = captured_ring();
    let tokens = captured_tokens();
    assert_eq!(tokens.len(), 10);
    for (token, claims) in tokens {
        let iat = claims["iat"].as_i64().expect("iat");
        let verified = ring.verify(&token, iat).expect("captured token verifies");
        assert_eq!(verified.account, "acct_default");
        assert_eq!(verified.kid, "gqrD37ENICjb1L2a2KgqZNEL5AHNfO_d3kD-riLm_l4");
        let scopes: Vec<String> = serde_json::from_value(claims["scopes"].clone()).expect("scopes");
        assert_eq!(verified.scopes, scopes);
        // Still valid just before exp, within the leeway after it.
        let exp = claims["exp"].as_i64().expect("exp");
        assert!(ring.verify(&token, exp - 1).is_ok());
        assert!(ring.verify(&token, exp + LEEWAY - 1).is_ok());
    }
}

#[test]
fn captured_tokens_are_refused_once_expired_or_before_nbf() {
    let ring = captured_ring();
    let (token, claims) = &captured_tokens()[0];
    let exp = claims["exp"].as_i64().expect("exp");
    let nbf = claims["nbf"].as_i64().expect("nbf");
    assert_eq!(ring.verify(token, exp + LEEWAY), Err(JwtError::Expired));
    assert_eq!(
        ring.verify(token, crate::clock::real_now()),
        Err(JwtError::Expired)
    );
    assert_eq!(
        ring.verify(token, nbf - LEEWAY - 1),
        Err(JwtError::NotYetValid)
    );
    assert!(ring.verify(token, nbf - LEEWAY).is_ok());
}

#[test]
fn a_tampered_captured_token_is_refused() {
    let ring = captured_ring();
    let (token, claims) = &captured_tokens()[0];
    let iat = claims["iat"].as_i64().expect("iat");
    let parts: Vec<&str> = token.split('.').collect();
    // Claims widened to every scope, original signature kept.
    let mut forged = claims.clone();
    forged["scopes"] = json!(["*.read", "*.write"]);
    let forged_body = B64URL.encode(forged.to_string());
    let tampered = format!("{}.{forged_body}.{}", parts[0], parts[2]);
    assert_eq!(ring.verify(&tampered, iat), Err(JwtError::BadSignature));
    // Signature bit flipped.
    let mut sig = B64URL.decode(parts[2]).expect("b64");
    sig[70] ^= 1;
    let flipped = format!("{}.{}.{}", parts[0], parts[1], B64URL.encode(&sig));
    assert_eq!(ring.verify(&flipped, iat), Err(JwtError::BadSignature));
    // Truncated signature.
    let short = format!("{}.{}.{}", parts[0], parts[1], B64URL.encode(&sig[..64]));
    assert_eq!(ring.verify(&short, iat), Err(JwtError::BadSignature));
}

#[test]
fn a_token_from_an_unknown_key_is_refused() {
    let (token, claims) = &captured_tokens()[0];
    let iat = claims["iat"].as_i64().expect("iat");
    assert_eq!(
        KeyRing::default().verify(token, iat),
        Err(JwtError::UnknownKey)
    );
    let other = ring_for(&test_key(9), "acct_default");
    assert_eq!(other.verify(token, iat), Err(JwtError::UnknownKey));
}

#[test]
fn a_token_with_a_known_kid_but_another_keys_signature_is_refused() {
    let mine = test_key(1);
    let attacker = test_key(2);
    let ring = ring_for(&mine, "acct_default");
    let token = sign(&attacker, &header_for(&mine), &claims(&["*.write"]));
    assert_eq!(ring.verify(&token, NOW), Err(JwtError::BadSignature));
}

#[test]
fn tokens_signed_here_verify_and_carry_the_keys_account() {
    let key = test_key(3);
    let ring = ring_for(&key, "acct_other");
    let token = sign(
        &key,
        &header_for(&key),
        &claims(&["checkout-sessions.read"]),
    );
    let verified = ring.verify(&token, NOW).expect("verifies");
    assert_eq!(verified.account, "acct_other");
    assert_eq!(verified.scopes, vec!["checkout-sessions.read".to_owned()]);
    assert_eq!(ring.accounts(), vec!["acct_other".to_owned()]);
}

#[test]
fn other_algorithms_are_refused_whatever_they_claim() {
    let key = test_key(4);
    let ring = ring_for(&key, "acct_default");
    let kid = thumbprint(&VerifyingKey::from(&key));
    for alg in ["none", "HS512", "ES256", "RS512"] {
        let header = json!({"alg": alg, "kid": kid, "typ": "JWT"});
        let token = sign(&key, &header, &claims(&["*.read"]));
        assert_eq!(
            ring.verify(&token, NOW),
            Err(JwtError::UnsupportedAlgorithm(alg.into()))
        );
    }
    let unsigned = format!(
        "{}.{}.",
        B64URL.encode(json!({"alg": "none", "kid": kid}).to_string()),
        B64URL.encode(claims(&["*.read"]).to_string())
    );
    assert!(ring.verify(&unsigned, NOW).is_err());
}

#[test]
fn time_claims_are_checked_with_leeway() {
    let key = test_key(5);
    let ring = ring_for(&key, "acct_default");
    let header = header_for(&key);
    let at = |exp: i64, nbf: i64, iat: i64| json!({"scopes": ["*.read"], "exp": exp, "nbf": nbf, "iat": iat});
    let ok = sign(&key, &header, &at(NOW + 30, NOW, NOW));
    assert!(ring.verify(&ok, NOW).is_ok());
    let expired = sign(&key, &header, &at(NOW - LEEWAY, NOW - 100, NOW - 100));
    assert_eq!(ring.verify(&expired, NOW), Err(JwtError::Expired));
    let skewed = sign(&key, &header, &at(NOW + 3600, NOW + 30, NOW + 30));
    assert!(ring.verify(&skewed, NOW).is_ok());
    let early = sign(&key, &header, &at(NOW + 3600, NOW + LEEWAY + 1, NOW));
    assert_eq!(ring.verify(&early, NOW), Err(JwtError::NotYetValid));
    let future = sign(&key, &header, &at(NOW + 3600, NOW, NOW + LEEWAY + 1));
    assert_eq!(ring.verify(&future, NOW), Err(JwtError::IssuedInTheFuture));
    let fractional = sign(
        &key,
        &header,
        &json!({"scopes": [], "exp": (NOW as f64) + 0.5}),
    );
    assert!(ring.verify(&fractional, NOW).is_ok());
}

#[test]
fn required_claims_must_be_present_and_well_typed() {
    let key = test_key(6);
    let ring = ring_for(&key, "acct_default");
    let header = header_for(&key);
    for (claims, what) in [
        (json!({"scopes": ["*.read"]}), "no exp claim"),
        (json!({"exp": NOW + 60}), "no scopes claim"),
        (
            json!({"exp": NOW + 60, "scopes": "*.read"}),
            "no scopes claim",
        ),
        (
            json!({"exp": NOW + 60, "scopes": [1]}),
            "scopes must be strings",
        ),
        (
            json!({"exp": "tomorrow", "scopes": []}),
            "a time claim is not a number",
        ),
    ] {
        let token = sign(&key, &header, &claims);
        assert_eq!(ring.verify(&token, NOW), Err(JwtError::Malformed(what)));
    }
}

#[test]
fn garbage_is_malformed_and_never_panics() {
    let ring = captured_ring();
    for token in [
        "",
        ".",
        "..",
        "a.b.c",
        "a.b.c.d",
        "eyJhbGciOiJFUzUxMiJ9..",
        "%%%.%%%.%%%",
        "eyJhbGciOiJFUzUxMiIsImtpZCI6W119.e30.AAAA",
    ] {
        assert!(ring.verify(token, NOW).is_err(), "{token:?}");
    }
    assert_eq!(
        ring.verify(&"a".repeat(MAX_TOKEN_BYTES + 1), NOW),
        Err(JwtError::Malformed("too long"))
    );
}

#[test]
fn the_key_list_names_accounts_and_paths() {
    assert_eq!(
        parse_spec("a.pem, acct_x:/k/b.pem,,acct_:c.pem", "acct_default"),
        vec![
            ("acct_default".to_owned(), "a.pem".to_owned()),
            ("acct_x".to_owned(), "/k/b.pem".to_owned()),
            ("acct_default".to_owned(), "acct_:c.pem".to_owned()),
        ]
    );
}

#[test]
fn unreadable_or_unsuitable_key_files_fail_with_their_name() {
    let err = KeyRing::load("/nonexistent/gr4vy.pem", "acct_default").expect_err("missing");
    assert!(err.contains("/nonexistent/gr4vy.pem"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("junk.pem");
    std::fs::write(&path, "not a key").expect("write");
    let err = KeyRing::load(path.to_str().expect("utf-8"), "acct_default").expect_err("junk");
    assert!(err.contains("junk.pem") && err.contains("P-521"), "{err}");
    let good = dir.path().join("good.pem");
    std::fs::write(&good, captured_key_pem()).expect("write");
    let spec = format!("acct_a:{}", good.display());
    let ring = KeyRing::load(&spec, "acct_default").expect("loads");
    assert_eq!(ring.accounts(), vec!["acct_a".to_owned()]);
    let twice = format!("acct_a:{0},acct_b:{0}", good.display());
    assert!(KeyRing::load(&twice, "acct_default")
        .expect_err("two accounts")
        .contains("two accounts"));
}
