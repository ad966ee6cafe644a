//! No secret reaches the logs: the real binary runs with `--log-format
//! json` and `RUST_LOG=debug` (every crate's debug output, SQL included)
//! while a request mix passes secret keys (Bearer and Basic, valid and
//! not), Gr4vy JWTs (valid and forged), webhook secrets (created, then used
//! to sign deliveries) and card numbers (the hosted page's pay form); then
//! its stderr is searched for each of them.

use crate::helpers::{fresh_database, KEY, LIVE_KEY, OTHER_KEY};
use crate::signing;
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Server {
    child: Child,
    base: String,
    logs: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(database_url: &str, gr4vy_pem: &str) -> Server {
    let keys = format!("{KEY},{LIVE_KEY},acct_other:{OTHER_KEY}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_checkoutd"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            database_url,
            "--api-keys",
            &keys,
            "--gr4vy-public-keys",
            gr4vy_pem,
            "--log-format",
            "json",
            "--worker-poll-ms",
            "50",
            "--webhook-retry-base-ms",
            "100",
        ])
        .env("RUST_LOG", "debug")
        .env_remove("CHECKOUTD_API_KEYS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start checkoutd");
    let logs = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().expect("stderr");
    let sink = logs.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            sink.lock().expect("logs").push_str(&text);
        }
    });
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on ") {
                let _ = tx.send(line[at + "listening on ".len()..].trim().to_owned());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("checkoutd prints its address");
    Server { child, base, logs }
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden input") + marker.len();
    let end = html[start..].find('"').expect("end of value") + start;
    html[start..end].to_owned()
}

/// Open a session's hosted page and pay it with `card`.
async fn pay(http: &reqwest::Client, url: &str, card: &str) -> StatusCode {
    let page = http.get(url).send().await.expect("page");
    let html = page.text().await.expect("html");
    let form = [
        ("csrf_token", hidden(&html, "csrf_token")),
        ("order", hidden(&html, "order")),
        ("action", "pay".into()),
        ("email", "jenny@example.com".into()),
        ("name", "Jenny Rosen".into()),
        ("card_number", card.into()),
        ("card_expiry", "12 / 40".into()),
        ("card_cvc", "123".into()),
    ];
    http.post(url)
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .expect("pay")
        .status()
}

#[tokio::test]
async fn no_key_token_webhook_secret_or_card_number_is_ever_logged() {
    // Arrange
    let (database_url, _dir) = fresh_database().await;
    let dir = tempfile::tempdir().expect("dir");
    let gr4vy = signing::key(31);
    let pem = signing::write_public_pem(dir.path(), "gr4vy", &gr4vy);
    let server = start(&database_url, pem.to_str().expect("path"));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let base = &server.base;
    let api = |path: &str| format!("{base}{path}");
    let bad_key = "sk_test_wrong_but_well_formed_key_9876";
    let token = signing::read_write(&gr4vy);
    let mut forged = token.clone();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    // A receiver that is down, so deliveries are signed, fail and retry.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hook = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);

    // Act: the request mix.
    let endpoint: Value = http
        .post(api("/v1/webhook_endpoints"))
        .bearer_auth(KEY)
        .form(&[("url", hook.as_str()), ("enabled_events[]", "*")])
        .send()
        .await
        .expect("endpoint")
        .json()
        .await
        .expect("json");
    let secret = endpoint["secret"].as_str().expect("whsec").to_owned();
    let price: Value = http
        .post(api("/v1/prices"))
        .basic_auth(KEY, Some(""))
        .header("idempotency-key", "logs-price-1")
        .form(&[
            ("currency", "usd"),
            ("unit_amount", "1099"),
            ("product_data[name]", "Shirt"),
        ])
        .send()
        .await
        .expect("price")
        .json()
        .await
        .expect("json");
    let price = price["id"].as_str().expect("price id").to_owned();
    let mut urls = Vec::new();
    for _ in 0..2 {
        let session: Value = http
            .post(api("/v1/checkout/sessions"))
            .bearer_auth(KEY)
            .form(&[
                ("mode", "payment"),
                ("success_url", "https://example.com/ok"),
                ("line_items[0][price]", price.as_str()),
                ("line_items[0][quantity]", "1"),
            ])
            .send()
            .await
            .expect("session")
            .json()
            .await
            .expect("json");
        urls.push(session["url"].as_str().expect("url").to_owned());
    }
    assert_eq!(
        pay(&http, &urls[0], "4000 0000 0000 0002").await,
        StatusCode::PAYMENT_REQUIRED
    );
    assert_eq!(
        pay(&http, &urls[0], "4242 4242 4242 4242").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        pay(&http, &urls[1], "4242424242424242").await,
        StatusCode::SEE_OTHER
    );
    for key in [bad_key, LIVE_KEY, OTHER_KEY] {
        let _ = http
            .get(api("/v1/checkout/sessions"))
            .bearer_auth(key)
            .send()
            .await;
    }
    let _ = http
        .get(api("/v1/products"))
        .basic_auth(bad_key, Some(""))
        .send()
        .await;
    let created = http
        .post(api("/checkout/sessions"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"amount": 1299, "currency": "USD"}))
        .send()
        .await
        .expect("gr4vy");
    assert_eq!(created.status(), StatusCode::CREATED);
    let refused = http
        .post(api("/checkout/sessions"))
        .bearer_auth(&forged)
        .send()
        .await
        .expect("gr4vy");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    // Let the worker sign and attempt the deliveries (and retry once).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Assert: logs were captured at debug level ...
    let logs = server.logs.lock().expect("logs").clone();
    assert!(
        logs.contains("\"level\":\"DEBUG\""),
        "no debug logs captured"
    );
    assert!(
        logs.contains("webhook delivery failed"),
        "no delivery was attempted"
    );
    assert!(
        logs.contains("/c/pay/"),
        "the hosted page was not logged at all"
    );
    // ... and none of the secrets is in them.
    let signature = token.rsplit('.').next().expect("signature").to_owned();
    let secrets = [
        ("test key", KEY.to_owned()),
        ("live key", LIVE_KEY.to_owned()),
        ("other key", OTHER_KEY.to_owned()),
        ("unknown key", bad_key.to_owned()),
        ("webhook secret", secret.clone()),
        (
            "webhook secret body",
            secret.trim_start_matches("whsec_").to_owned(),
        ),
        ("JWT", token.clone()),
        ("forged JWT", forged.clone()),
        ("JWT signature", signature),
        ("card number", "4242424242424242".to_owned()),
        ("card number with spaces", "4242 4242 4242 4242".to_owned()),
        ("decline card", "4000000000000002".to_owned()),
        ("decline card with spaces", "4000 0000 0000 0002".to_owned()),
    ];
    for (what, secret) in secrets {
        assert!(!logs.contains(&secret), "the {what} appears in the logs");
    }
}
