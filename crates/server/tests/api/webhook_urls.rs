//! Where webhook endpoints may point (`--webhook-private-urls`): link-local
//! and cloud metadata addresses never; loopback and private ranges from
//! test mode only by default. Checked on create and update (400 on `url`)
//! and again when a delivery is sent.

use crate::helpers::{assert_error, TestApp, KEY, LIVE_KEY};
use axum::http::StatusCode as AxumStatus;
use reqwest::StatusCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

async fn create(app: &TestApp, key: &str, url: &str) -> (StatusCode, serde_json::Value) {
    app.post_as(
        key,
        "/v1/webhook_endpoints",
        &[("url", url), ("enabled_events[]", "*")],
    )
    .await
}

const FORBIDDEN: &[&str] = &[
    "http://169.254.169.254/latest/meta-data/iam/",
    "http://[fe80::1]:8080/hook",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[::ffff:169.254.169.254]/",
    "http://2852039166/",
    "http://0.0.0.0:9/hook",
];

const PRIVATE: &[&str] = &[
    "http://127.0.0.1:9/hook",
    "http://localhost:9/hook",
    "http://10.0.0.5/hook",
    "http://192.168.1.20/hook",
    "http://[::1]:9/hook",
];

#[tokio::test]
async fn link_local_and_metadata_urls_are_refused_in_both_modes() {
    let app = TestApp::spawn().await;
    for url in FORBIDDEN {
        for key in [KEY, LIVE_KEY] {
            let (status, body) = create(&app, key, url).await;
            assert_error(status, &body, 400, Some("url"), "Invalid URL: it points at");
            assert_eq!(body["error"]["code"], "url_invalid");
        }
    }
}

#[tokio::test]
async fn private_urls_are_for_test_mode_only_by_default() {
    // Arrange
    let app = TestApp::spawn().await;
    for url in PRIVATE {
        // Act + Assert
        let (status, body) = create(&app, KEY, url).await;
        assert_eq!(status, StatusCode::OK, "test mode {url}: {body}");
        let (status, body) = create(&app, LIVE_KEY, url).await;
        assert_error(status, &body, 400, Some("url"), "Invalid URL: it points at a loopback or private address, which live-mode webhook endpoints may not target");
    }
    // An update is checked as a create, and a refused one changes nothing.
    let (_, endpoint) = create(&app, LIVE_KEY, "https://example.com/hook").await;
    let path = format!(
        "/v1/webhook_endpoints/{}",
        endpoint["id"].as_str().expect("id")
    );
    let (status, body) = app
        .post_as(LIVE_KEY, &path, &[("url", "http://169.254.169.254/")])
        .await;
    assert_error(status, &body, 400, Some("url"), "Invalid URL");
    let (status, body) = app
        .post_as(LIVE_KEY, &path, &[("url", "http://10.1.1.1/")])
        .await;
    assert_error(status, &body, 400, Some("url"), "Invalid URL");
    let (_, now) = app.get_as(LIVE_KEY, &path, &[]).await;
    assert_eq!(now["url"], "https://example.com/hook");
}

#[tokio::test]
async fn the_flag_allows_private_urls_always_or_never() {
    let always = TestApp::spawn_with(&["--webhook-private-urls", "always"]).await;
    let never = TestApp::spawn_with(&["--webhook-private-urls", "never"]).await;
    for url in PRIVATE {
        let (status, _) = create(&always, LIVE_KEY, url).await;
        assert_eq!(status, StatusCode::OK, "always, live {url}");
        let (status, _) = create(&never, KEY, url).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "never, test {url}");
    }
    for url in FORBIDDEN {
        let (status, _) = create(&always, LIVE_KEY, url).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "always, live {url}");
    }
}

/// A loopback receiver counting deliveries.
async fn counter() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
                AxumStatus::OK
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

#[tokio::test]
async fn deliveries_are_checked_again_when_sent() {
    // Arrange: a live endpoint on loopback, allowed by `always`; a test one.
    let mut app = TestApp::spawn_with(&["--webhook-private-urls", "always"]).await;
    let (live_url, live_hits) = counter().await;
    let (test_url, test_hits) = counter().await;
    let (status, _) = create(&app, LIVE_KEY, &live_url).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = create(&app, KEY, &test_url).await;
    assert_eq!(status, StatusCode::OK);
    // Act: the node restarts with the default policy; both modes emit.
    app.restart().await;
    let (status, _) = app
        .post_as(LIVE_KEY, "/v1/products", &[("name", "Live")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post_as(KEY, "/v1/products", &[("name", "Test")]).await;
    assert_eq!(status, StatusCode::OK);
    // Assert: the test endpoint gets its event; the live one never does.
    for _ in 0..100 {
        if test_hits.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(test_hits.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(live_hits.load(Ordering::SeqCst), 0);
}
