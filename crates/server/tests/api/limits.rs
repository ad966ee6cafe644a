//! Limits against slow, numerous or greedy clients: the header and body
//! timeouts, the request-body cap, the connection limit and the per-key
//! rate limit, each with its flag, over real sockets.

use crate::helpers::{assert_error, TestApp, KEY, OTHER_KEY};
use crate::signing;
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Send `bytes` on a fresh connection, then read until the server closes
/// it or `wait` passes; returns what came back and how long it took.
fn exchange(addr: &str, bytes: &[u8], wait: Duration) -> (String, Duration) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(wait)).expect("timeout");
    stream.write_all(bytes).expect("write");
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("blocking task")
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    // Arrange
    let app = TestApp::spawn_with(&["--header-timeout-ms", "300"]).await;
    let addr = addr(&app);
    // Act: half a request line, then silence.
    let (reply, took) = blocking(move || {
        exchange(
            &addr,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
            Duration::from_secs(5),
        )
    })
    .await;
    // Assert: closed after about the timeout, with no 200.
    assert!(!reply.contains("200 OK"), "{reply}");
    assert!(took < Duration::from_secs(3), "closed after {took:?}");
    let (status, _) = app.get("/v1/products", &[]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_client_that_trickles_its_body_gets_a_408_in_the_dialect_of_the_route() {
    // Arrange
    let app = TestApp::spawn_with(&["--body-timeout-ms", "300"]).await;
    for (path, auth) in [
        ("/v1/products", format!("Bearer {KEY}")),
        ("/checkout/sessions", "Bearer x.y.z".to_owned()),
    ] {
        let addr = addr(&app);
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nname=slo"
        );
        // Act: 8 of the 100 bytes promised, then nothing.
        let (reply, took) =
            blocking(move || exchange(&addr, head.as_bytes(), Duration::from_secs(5))).await;
        // Assert
        assert!(reply.starts_with("HTTP/1.1 408"), "{path}: {reply}");
        assert!(
            took < Duration::from_secs(3),
            "{path}: answered after {took:?}"
        );
        let body: Value = serde_json::from_str(reply.split("\r\n\r\n").nth(1).unwrap_or(""))
            .unwrap_or(Value::Null);
        if path.starts_with("/v1") {
            assert_eq!(body["error"]["type"], "invalid_request_error", "{reply}");
        } else {
            assert_eq!(body["type"], "error", "{reply}");
            assert_eq!(body["status"], 408, "{reply}");
        }
    }
}

#[tokio::test]
async fn bodies_over_a_mebibyte_get_a_413_in_the_dialect_of_the_route() {
    // Arrange
    let app = TestApp::spawn().await;
    let big = "a".repeat(1024 * 1024 + 1);
    // Act
    let stripe = app
        .client
        .post(format!("{}/v1/products", app.base))
        .bearer_auth(KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("name={big}"))
        .send()
        .await
        .expect("request");
    let gr4vy = app
        .client
        .post(format!("{}/checkout/sessions", app.base))
        .bearer_auth("x.y.z")
        .header("content-type", "application/json")
        .body(format!("{{\"metadata\":{{\"a\":\"{big}\"}}}}"))
        .send()
        .await
        .expect("request");
    // Assert
    assert_eq!(stripe.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = stripe.json().await.expect("json");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(gr4vy.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = gr4vy.json().await.expect("json");
    assert_eq!(body["code"], "payload_too_large");
}

#[tokio::test]
async fn connections_over_the_limit_wait_until_one_closes() {
    // Arrange: both slots taken by idle connections.
    let app = TestApp::spawn_with(&["--max-connections", "2"]).await;
    let addr = addr(&app);
    let first = TcpStream::connect(&addr).expect("connect");
    let second = TcpStream::connect(&addr).expect("connect");
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Act: a third connection sends a request.
    let mut third = TcpStream::connect(&addr).expect("connect");
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    third
        .set_read_timeout(Some(Duration::from_millis(700)))
        .expect("timeout");
    let (mut third, waited) = blocking(move || {
        let mut buf = [0u8; 256];
        let n = third.read(&mut buf).unwrap_or(0);
        (third, n)
    })
    .await;
    // Assert: no answer while both slots are held; one closing frees one.
    assert_eq!(waited, 0, "served past the connection limit");
    drop(first);
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let reply = blocking(move || {
        let mut got = String::new();
        let _ = third.read_to_string(&mut got);
        got
    })
    .await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    drop(second);
}

#[tokio::test]
async fn a_stripe_key_over_its_rate_gets_stripes_429_and_other_keys_do_not() {
    // Arrange
    let app = TestApp::spawn_with(&["--rate-limit", "3"]).await;
    // Act: ten requests at once on one key.
    let replies = futures::future::join_all((0..10).map(|_| app.get("/v1/products", &[]))).await;
    let statuses: Vec<StatusCode> = replies.iter().map(|(s, _)| *s).collect();
    let limited = replies
        .iter()
        .find(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .map(|(_, body)| body.clone())
        .unwrap_or(Value::Null);
    // Assert: the burst (3, plus what refills on a slow machine) passes,
    // the rest is refused with Stripe's error.
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!((3..10).contains(&ok), "{statuses:?}");
    assert_error(
        StatusCode::TOO_MANY_REQUESTS,
        &limited,
        429,
        None,
        "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
    );
    assert_eq!(limited["error"]["code"], "rate_limit");
    let (status, _) = app.get_as(OTHER_KEY, "/v1/products", &[]).await;
    assert_eq!(status, StatusCode::OK, "another key has its own bucket");
    // A second later the key has tokens again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = app.get("/v1/products", &[]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_keys_are_401_not_429_and_do_not_spend_a_real_keys_tokens() {
    // Arrange
    let app = TestApp::spawn_with(&["--rate-limit", "1"]).await;
    // Act
    for _ in 0..5 {
        let (status, _) = app
            .get_as("sk_test_not_a_real_key_0000", "/v1/products", &[])
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Assert
    let (status, _) = app.get("/v1/products", &[]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_gr4vy_key_over_its_rate_gets_gr4vys_429() {
    // Arrange
    let dir = tempfile::tempdir().expect("dir");
    let key = signing::key(11);
    let pem = signing::write_public_pem(dir.path(), "merchant", &key);
    let pem = pem.to_str().expect("utf-8 path");
    let app = TestApp::spawn_with(&["--rate-limit", "2", "--gr4vy-public-keys", pem]).await;
    let token = signing::read_write(&key);
    // Act: eight creates at once.
    let sends = (0..8).map(|_| async {
        let resp = app
            .client
            .post(format!("{}/checkout/sessions", app.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({"amount": 1000}))
            .send()
            .await
            .expect("request");
        (
            resp.status(),
            resp.json::<Value>().await.unwrap_or(Value::Null),
        )
    });
    let replies = futures::future::join_all(sends).await;
    let last = replies
        .iter()
        .find(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .cloned()
        .unwrap_or((StatusCode::OK, Value::Null));
    assert!(replies.iter().any(|(s, _)| *s == StatusCode::CREATED));
    // Assert
    assert_eq!(last.0, StatusCode::TOO_MANY_REQUESTS, "{}", last.1);
    assert_eq!(
        last.1,
        serde_json::json!({
            "type": "error",
            "code": "too_many_requests",
            "status": 429,
            "message": "Too many requests, slow down",
            "details": [],
        })
    );
}

#[tokio::test]
async fn without_the_flag_there_is_no_rate_limit() {
    let app = TestApp::spawn().await;
    for _ in 0..50 {
        let (status, _) = app.get("/v1/products", &[]).await;
        assert_eq!(status, StatusCode::OK);
    }
}
