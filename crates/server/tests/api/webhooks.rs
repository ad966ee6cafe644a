//! Events, webhook endpoints and signed deliveries with retries.

use crate::helpers::{assert_error, TestApp};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// A webhook receiver on a loopback port that fails its first `fail_first`
/// requests with a 500 and passes every request body and signature on.
struct Receiver {
    url: String,
    rx: mpsc::UnboundedReceiver<(String, Value)>,
    hits: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct ReceiverState {
    tx: mpsc::UnboundedSender<(String, Value)>,
    hits: Arc<AtomicUsize>,
    fail_first: usize,
}

async fn receive(State(s): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = s.hits.fetch_add(1, Ordering::SeqCst);
    if n < s.fail_first {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let raw = String::from_utf8_lossy(&body).into_owned();
    let _ = s.tx.send((signature, Value::String(raw)));
    StatusCode::OK
}

async fn receiver_on(listener: tokio::net::TcpListener, fail_first: usize) -> Receiver {
    let (tx, rx) = mpsc::unbounded_channel();
    let hits = Arc::new(AtomicUsize::new(0));
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(ReceiverState {
            tx,
            hits: hits.clone(),
            fail_first,
        });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, rx, hits }
}

async fn receiver(fail_first: usize) -> Receiver {
    receiver_on(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        fail_first,
    )
    .await
}

impl Receiver {
    /// The next delivery: its signature header and raw body.
    async fn next(&mut self) -> (String, String) {
        let (sig, body) = tokio::time::timeout(Duration::from_secs(15), self.rx.recv())
            .await
            .expect("a delivery within 15 s")
            .expect("receiver open");
        (sig, body.as_str().unwrap().to_owned())
    }
}

/// Check `t=…,v1=…` with an HMAC computed here, independently of checkoutd.
fn assert_signed(header: &str, body: &str, secret: &str) {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = Some(v.to_owned()),
            Some(("v1", v)) => v1 = Some(v.to_owned()),
            _ => {}
        }
    }
    let (t, v1) = (t.expect("t="), v1.expect("v1="));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    assert_eq!(
        v1,
        hex::encode(mac.finalize().into_bytes()),
        "signature of {body}"
    );
    let age = checkoutd::clock::real_now() - t.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "timestamp is now");
}

async fn endpoint(app: &TestApp, url: &str, events: &[&str]) -> Value {
    let mut form = vec![("url", url)];
    let names: Vec<String> = (0..events.len())
        .map(|i| format!("enabled_events[{i}]"))
        .collect();
    for (name, e) in names.iter().zip(events) {
        form.push((name.as_str(), e));
    }
    app.ok("/v1/webhook_endpoints", &form).await
}

#[tokio::test]
async fn completing_a_session_delivers_a_signed_completed_event() {
    let app = TestApp::spawn().await;
    let mut hook = receiver(0).await;
    let we = endpoint(&app, &hook.url, &["checkout.session.completed"]).await;
    let secret = we["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let price = app.price(500, "usd").await;
    let s = app.session(&price, "1", &[]).await;
    let id = s["id"].as_str().unwrap();
    app.ok(
        &format!("/v1/test_helpers/checkout/sessions/{id}/complete"),
        &[],
    )
    .await;
    let (sig, body) = hook.next().await;
    assert_signed(&sig, &body, &secret);
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["type"], "checkout.session.completed");
    assert_eq!(event["object"], "event");
    assert_eq!(event["data"]["object"]["id"], id);
    assert_eq!(event["data"]["object"]["status"], "complete");
    assert_eq!(event["api_version"], "2026-10-28.endive");
    assert!(event["request"]["id"].as_str().unwrap().starts_with("req_"));
    // The event is in the API, and nothing is left pending once delivered.
    let event_id = event["id"].as_str().unwrap();
    let (_, stored) = app.get(&format!("/v1/events/{event_id}"), &[]).await;
    assert_eq!(stored["data"]["object"]["id"], id);
    let mut pending = stored["pending_webhooks"].as_i64().unwrap();
    for _ in 0..50 {
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        pending = app.get(&format!("/v1/events/{event_id}"), &[]).await.1["pending_webhooks"]
            .as_i64()
            .unwrap();
    }
    assert_eq!(pending, 0);
    // Product events were not subscribed to and never arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(hook.rx.try_recv().is_err());
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt() {
    let app = TestApp::spawn().await;
    let mut hook = receiver(2).await;
    let we = endpoint(&app, &hook.url, &["*"]).await;
    app.product("Hat").await;
    let (sig, body) = hook.next().await;
    assert_signed(&sig, &body, we["secret"].as_str().unwrap());
    assert_eq!(hook.hits.load(Ordering::SeqCst), 3);
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["type"], "product.created");
}

#[tokio::test]
async fn advancing_the_clock_emits_and_delivers_one_expired_event() {
    let app = TestApp::spawn().await;
    let mut hook = receiver(0).await;
    endpoint(&app, &hook.url, &["checkout.session.expired"]).await;
    let price = app.price(500, "usd").await;
    let s = app.session(&price, "1", &[]).await;
    app.ok("/v1/test_helpers/clock/advance", &[("seconds", "90000")])
        .await;
    let (_, body) = hook.next().await;
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["type"], "checkout.session.expired");
    assert_eq!(event["data"]["object"]["id"], s["id"]);
    assert_eq!(event["request"]["id"], Value::Null);
    let (_, listed) = app
        .get("/v1/events", &[("type", "checkout.session.expired")])
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(hook.rx.try_recv().is_err(), "delivered once");
}

#[tokio::test]
async fn a_receiver_down_across_a_restart_gets_the_event_afterwards() {
    let mut app = TestApp::spawn().await;
    // Reserve a port, then close it: the receiver is down.
    let reserved = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = reserved.local_addr().unwrap();
    drop(reserved);
    endpoint(&app, &format!("http://{addr}/hook"), &["product.created"]).await;
    let product = app.product("Scarf").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.restart().await;
    let mut hook = receiver_on(tokio::net::TcpListener::bind(addr).await.unwrap(), 0).await;
    let (_, body) = hook.next().await;
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["data"]["object"]["id"], product.as_str());
}

#[tokio::test]
async fn events_list_filters_by_type_prefix_and_pages() {
    let app = TestApp::spawn().await;
    app.product("a").await;
    app.product("b").await;
    app.tax_rate("5", false).await;
    let (_, all) = app.get("/v1/events", &[]).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 3);
    assert_eq!(all["data"][0]["type"], "tax_rate.created");
    let (_, products) = app.get("/v1/events", &[("type", "product.*")]).await;
    assert_eq!(products["data"].as_array().unwrap().len(), 2);
    let (_, both) = app
        .get(
            "/v1/events",
            &[
                ("types[0]", "product.created"),
                ("types[1]", "tax_rate.created"),
                ("limit", "2"),
            ],
        )
        .await;
    assert_eq!(both["data"].as_array().unwrap().len(), 2);
    assert_eq!(both["has_more"], true);
    let (status, body) = app.get("/v1/events/evt_nope", &[]).await;
    assert_error(status, &body, 404, None, "No such event: 'evt_nope'");
}

#[tokio::test]
async fn webhook_endpoints_show_their_secret_only_on_create() {
    let app = TestApp::spawn().await;
    let we = endpoint(
        &app,
        "https://example.com/hook",
        &["checkout.session.completed"],
    )
    .await;
    let id = we["id"].as_str().unwrap();
    assert!(id.starts_with("we_"));
    assert_eq!(we["status"], "enabled");
    let (_, got) = app.get(&format!("/v1/webhook_endpoints/{id}"), &[]).await;
    assert!(got.get("secret").is_none());
    let updated = app
        .ok(
            &format!("/v1/webhook_endpoints/{id}"),
            &[("disabled", "true"), ("metadata[team]", "pay")],
        )
        .await;
    assert_eq!(updated["status"], "disabled");
    assert_eq!(updated["metadata"]["team"], "pay");
    let (_, listed) = app.get("/v1/webhook_endpoints", &[]).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let resp = app
        .client
        .delete(format!("{}/v1/webhook_endpoints/{id}", app.base))
        .bearer_auth(crate::helpers::KEY)
        .send()
        .await
        .unwrap();
    let deleted: Value = resp.json().await.unwrap();
    assert_eq!(deleted["deleted"], true);
    let (status, _) = app.get(&format!("/v1/webhook_endpoints/{id}"), &[]).await;
    assert_eq!(status, 404);
    let (status, body) = app
        .post(
            "/v1/webhook_endpoints",
            &[("url", "ftp://x"), ("enabled_events[0]", "*")],
        )
        .await;
    assert_error(status, &body, 400, Some("url"), "Invalid URL");
    let (status, body) = app
        .post("/v1/webhook_endpoints", &[("url", "https://x.example")])
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("enabled_events"),
        "Missing required param: enabled_events.",
    );
}

#[tokio::test]
async fn two_nodes_deliver_each_event_exactly_once() {
    if !crate::helpers::several_nodes_or_skip("two_nodes_deliver_each_event_exactly_once") {
        return;
    }
    let app = TestApp::spawn().await;
    let _second = crate::helpers::start_node(&app.database_url).await;
    let mut hook = receiver(0).await;
    endpoint(&app, &hook.url, &["product.created"]).await;
    let mut created = std::collections::HashSet::new();
    for i in 0..40 {
        created.insert(app.product(&format!("p{i}")).await);
    }
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    while seen.len() < created.len() {
        let (_, body) = hook.next().await;
        let event: Value = serde_json::from_str(&body).unwrap();
        *seen
            .entry(event["data"]["object"]["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    // Give a duplicate time to show up before concluding there is none.
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Ok((_, body)) = hook.rx.try_recv() {
        let event: Value = serde_json::from_str(body.as_str().unwrap()).unwrap();
        *seen
            .entry(event["data"]["object"]["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(
        seen.keys()
            .cloned()
            .collect::<std::collections::HashSet<_>>(),
        created
    );
    assert!(seen.values().all(|n| *n == 1), "duplicates: {seen:?}");
    assert_eq!(hook.hits.load(Ordering::SeqCst), 40);
}
