//! `TestApp`: a running checkoutd and a small client for its Stripe API.

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection;
use std::time::Duration;

pub const KEY: &str = "sk_test_default_account_key_0001";
pub const LIVE_KEY: &str = "sk_live_default_account_key_0001";
pub const OTHER_KEY: &str = "sk_test_other_account_key_00001";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub database_url: String,
    pub _dir: Option<tempfile::TempDir>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A fresh database: a temp SQLite file, or a new PostgreSQL database.
pub async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    match std::env::var("CHECKOUTD_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let name = format!(
                "checkoutd_test_{}",
                checkoutd::ids::random(12).to_lowercase()
            );
            let mut conn = sqlx::PgConnection::connect(&url)
                .await
                .expect("connect to CHECKOUTD_TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&url);
            (format!("{base}/{name}"), None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("checkoutd.db").display());
            (url, Some(dir))
        }
    }
}

/// Whether the suite runs on PostgreSQL, which tests of several nodes on
/// one database need (SQLite serves one process). Without it they print
/// that they skipped and pass.
pub fn several_nodes_or_skip(test: &str) -> bool {
    let on_postgres =
        std::env::var("CHECKOUTD_TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"));
    if !on_postgres {
        eprintln!(
            "skipped {test}: several nodes on one database need PostgreSQL \
             (set CHECKOUTD_TEST_DATABASE_URL)"
        );
    }
    on_postgres
}

/// Worker settings that make retries and polling fast enough for tests.
pub fn fast_settings() -> checkoutd::app::Settings {
    checkoutd::app::Settings {
        webhook_retry_base_ms: 100,
        webhook_timeout_ms: 2_000,
        worker_poll_ms: 25,
        ..Default::default()
    }
}

/// Another node over the same database; it stops when dropped.
pub struct Node {
    pub base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Start one more checkoutd node over `database_url`.
pub async fn start_node(database_url: &str) -> Node {
    let (base, stop) = start(database_url).await;
    Node { base, _stop: stop }
}

/// Start checkoutd on 127.0.0.1:0 over `database_url` with three keys.
async fn start(database_url: &str) -> (String, tokio::sync::oneshot::Sender<()>) {
    start_with(database_url, &[]).await
}

/// [`start`] with extra command-line flags.
pub async fn start_with(
    database_url: &str,
    extra: &[&str],
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let keys = format!("{KEY},{LIVE_KEY},acct_other:{OTHER_KEY}");
    let mut args = vec![
        "checkoutd",
        "--addr",
        "127.0.0.1:0",
        "--database-url",
        database_url,
        "--api-keys",
        &keys,
    ];
    args.extend_from_slice(extra);
    let cli = checkoutd::config::Cli::from_args(args).expect("valid flags");
    // The flags' limits, webhook URL policy and Gr4vy keys; fast workers.
    let flagged = cli.options.settings();
    let settings = checkoutd::app::Settings {
        limits: flagged.limits,
        webhook_urls: flagged.webhook_urls,
        gr4vy_keys: std::sync::Arc::new(
            checkoutd::load_gr4vy_keys(&cli.options).expect("--gr4vy-public-keys"),
        ),
        ..fast_settings()
    };
    let store = checkoutd::open_store(&cli.options, true)
        .await
        .expect("open store");
    checkoutd::provision_keys(store.as_ref(), &cli.options)
        .await
        .expect("provision keys");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(checkoutd::serve_with(
        listener,
        store,
        None,
        settings,
        async move {
            let _ = stopped.await;
        },
    ));
    (base, stop)
}

impl TestApp {
    /// Start checkoutd on 127.0.0.1:0 with three keys provisioned.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(&[]).await
    }

    /// [`TestApp::spawn`] with extra command-line flags.
    pub async fn spawn_with(extra: &[&str]) -> TestApp {
        let (database_url, dir) = fresh_database().await;
        let (base, stop) = start_with(&database_url, extra).await;
        TestApp {
            base,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            database_url,
            _dir: dir,
            stop: Some(stop),
        }
    }

    /// Stop the server (finishing in-flight requests) and start a new one
    /// on the same database, on a new port.
    pub async fn restart(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (base, stop) = start(&self.database_url).await;
        self.base = base;
        self.stop = Some(stop);
    }

    /// POST a form with `key`.
    pub async fn post_as(
        &self,
        key: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(key)
            .form(form)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// POST a form with the default test key.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        self.post_as(KEY, path, form).await
    }

    /// GET with query parameters and `key`.
    pub async fn get_as(
        &self,
        key: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(key)
            .query(query)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// GET with the default test key.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
        self.get_as(KEY, path, query).await
    }

    /// POST expecting 200, returning the object.
    pub async fn ok(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let (status, body) = self.post(path, form).await;
        assert_eq!(status, StatusCode::OK, "POST {path} {form:?} -> {body}");
        body
    }

    pub async fn product(&self, name: &str) -> String {
        self.ok("/v1/products", &[("name", name)]).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn price(&self, amount: i64, currency: &str) -> String {
        let product = self.product("Thing").await;
        let amount = amount.to_string();
        self.ok(
            "/v1/prices",
            &[
                ("currency", currency),
                ("unit_amount", &amount),
                ("product", &product),
            ],
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn tax_rate(&self, percentage: &str, inclusive: bool) -> String {
        let inclusive = if inclusive { "true" } else { "false" };
        self.ok(
            "/v1/tax_rates",
            &[
                ("display_name", "Tax"),
                ("percentage", percentage),
                ("inclusive", inclusive),
            ],
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn shipping_rate(&self, amount: i64, currency: &str) -> String {
        let amount = amount.to_string();
        self.ok(
            "/v1/shipping_rates",
            &[
                ("display_name", "Ground"),
                ("fixed_amount[amount]", &amount),
                ("fixed_amount[currency]", currency),
            ],
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A hosted payment session with one line of `price` × `qty`, plus `extra`.
    pub async fn session(&self, price: &str, qty: &str, extra: &[(&str, &str)]) -> Value {
        let (status, body) = self.create_session(price, qty, extra).await;
        assert_eq!(status, StatusCode::OK, "creating a session -> {body}");
        body
    }

    /// [`Self::session`]'s request, with whatever it answers.
    pub async fn create_session(
        &self,
        price: &str,
        qty: &str,
        extra: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut form = vec![
            ("mode", "payment"),
            ("success_url", "https://example.com/ok"),
            ("line_items[0][price]", price),
            ("line_items[0][quantity]", qty),
        ];
        form.extend_from_slice(extra);
        self.post("/v1/checkout/sessions", &form).await
    }
}

/// Assert a Stripe error envelope: status, type, param and message start.
pub fn assert_error(
    status: StatusCode,
    body: &Value,
    want_status: u16,
    param: Option<&str>,
    message_start: &str,
) {
    assert_eq!(status.as_u16(), want_status, "status of {body}");
    let error = &body["error"];
    assert!(error.is_object(), "no error envelope in {body}");
    assert!(error["type"].is_string(), "no error type in {body}");
    assert_eq!(error["param"].as_str(), param, "param of {body}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(message_start),
        "message {message:?} does not start with {message_start:?}"
    );
}
