//! The harness of the typed-client tests: an in-process checkoutd on a
//! random port with a fresh database, and the async-stripe SDK talking to it.
//!
//! # How strict the decode is
//!
//! async-stripe decodes responses with miniserde, and its generated decoders
//! are forgiving in three ways: an absent `Option` field becomes `None`, an
//! unknown enum value becomes `Unknown(..)` (with only a `tracing` warning),
//! and unknown keys are ignored. So every response the SDK decodes is also
//! checked here:
//!
//! 1. the SDK's own path (request builders → [`Sdk::execute`] → miniserde),
//!    which fails on a missing required field or a mistyped value;
//! 2. the same bytes through the types' serde impls with
//!    `serde_path_to_error`, which names the offending field when (1) fails;
//! 3. every warning the SDK's types log while decoding (an unknown enum
//!    value) is captured and fails the check;
//! 4. the decoded value is re-encoded (the types' `Serialize`, which writes
//!    every field, `null` included) and every key it has must be in the
//!    response — checkoutd promises every field of the schema, nullable ones
//!    as `null` — except those Stripe's schema lets it omit ([`MAY_OMIT`]:
//!    neither required nor nullable, such as the includable `line_items`);
//!    and every value must survive the round trip unchanged.

#![allow(dead_code)]

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::fmt::{self, Display};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use stripe_client_core::{
    CustomizedStripeRequest, StripeClient, StripeClientErr, StripeMethod, StripeRequest,
};
use tracing::instrument::WithSubscriber;

/// The secret key the server is provisioned with.
pub const API_KEY: &str = "sk_test_sdkrust_4242424242424242";

/// The `Stripe-Version` async-stripe 1.0.0-rc.10 pins and sends on every
/// request (`stripe_shared::version::VERSION`).
pub fn sdk_api_version() -> &'static str {
    stripe_client_core::VERSION.as_str()
}

/// The `User-Agent` async-stripe's hyper client sends.
const USER_AGENT: &str = "Stripe/v1 RustBindings/1.0.0-rc.10";

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

/// A checkoutd serving on 127.0.0.1 with its own fresh database.
pub struct Server {
    pub base: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), String>>>,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `postgres://user:pw@host:port/db?opts` with the database name replaced.
fn with_database(url: &str, db: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let base = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// A connection to the server `url` names, on its own database or, when
/// that does not exist (yet), on the `postgres` maintenance database; and
/// the URL that worked.
async fn admin_connection(url: &str) -> (sqlx::PgConnection, String) {
    use sqlx::Connection;
    match sqlx::PgConnection::connect(url).await {
        Ok(conn) => (conn, url.to_owned()),
        Err(first) => {
            let fallback = with_database(url, "postgres");
            match sqlx::PgConnection::connect(&fallback).await {
                Ok(conn) => (conn, fallback),
                Err(e) => panic!(
                    "connect to CHECKOUTD_TEST_DATABASE_URL: {first}; to its `postgres` database: {e}"
                ),
            }
        }
    }
}

impl Server {
    /// Start a server: SQLite in a temp dir, or a fresh database on the
    /// PostgreSQL that `CHECKOUTD_TEST_DATABASE_URL` names.
    pub async fn start() -> Server {
        use clap::Parser;
        use sqlx::Connection;

        let mut dir = None;
        let mut postgres = None;
        let database_url = match std::env::var("CHECKOUTD_TEST_DATABASE_URL") {
            Ok(admin) if admin.starts_with("postgres://") || admin.starts_with("postgresql://") => {
                let name = format!("checkoutd_sdk_rust_{}", unique_suffix());
                let (mut conn, admin) = admin_connection(&admin).await;
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .await
                    .expect("CREATE DATABASE");
                conn.close().await.ok();
                postgres = Some((admin.clone(), name.clone()));
                with_database(&admin, &name)
            }
            _ => {
                let tmp = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", tmp.path().join("checkoutd.db").display());
                dir = Some(tmp);
                url
            }
        };
        let cli = checkoutd::config::Cli::try_parse_from([
            "checkoutd",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            &database_url,
            "--api-keys",
            API_KEY,
        ])
        .expect("command line");
        let options = cli.options;
        let store = checkoutd::open_store(&options, true)
            .await
            .expect("open the store");
        checkoutd::provision_keys(store.as_ref(), &options)
            .await
            .expect("provision the API key");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            checkoutd::serve(listener, store, None, async move {
                let _ = rx.await;
            })
            .await
            .map_err(|e| format!("{e:#}"))
        });
        Server {
            base,
            shutdown: Some(tx),
            task: Some(task),
            _dir: dir,
            postgres,
        }
    }

    /// An SDK client for this server.
    pub fn sdk(&self) -> Sdk {
        Sdk::new(&self.base, API_KEY)
    }

    /// Stop serving (and drop the PostgreSQL database, if one was made).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let done = tokio::time::timeout(std::time::Duration::from_secs(10), task).await;
            if let Ok(Ok(Err(e))) = done {
                panic!("checkoutd::serve failed: {e}");
            }
        }
        if let Some((admin, name)) = self.postgres.take() {
            drop_database(&admin, &name).await;
        }
    }
}

async fn drop_database(admin: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut conn)
            .await;
        conn.close().await.ok();
    }
}

/// A test that fails before [`Server::stop`] still drops its database
/// (on a thread of its own: `Drop` cannot await).
impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some((admin, name)) = self.postgres.take() {
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(drop_database(&admin, &name));
                }
            })
            .join();
        }
    }
}

// ---------------------------------------------------------------------------
// The SDK's transport: `StripeClient` over reqwest, plain http
// ---------------------------------------------------------------------------

/// One request/response as it went over the wire.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub body: Option<String>,
    pub status: u16,
    pub stripe_version: Option<String>,
    pub response: String,
}

/// async-stripe's `StripeClient`, implemented as its hyper client does
/// (same headers: `Authorization: Bearer`, `Stripe-Version`, `User-Agent`,
/// form body), over reqwest without TLS. The SDK's request builders build
/// the path, query and form; its `send` decodes the bytes with miniserde.
#[derive(Clone)]
pub struct Sdk {
    http: reqwest::Client,
    base: String,
    key: String,
    version: String,
    last: Arc<Mutex<Option<Exchange>>>,
}

/// The transport's error: an HTTP failure, a non-2xx answer (with its
/// body), or async-stripe's own decode error.
#[derive(Debug)]
pub struct SdkError(pub String);

impl Display for SdkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StripeClientErr for SdkError {
    fn deserialize_err(msg: impl Display) -> Self {
        SdkError(format!(
            "async-stripe (miniserde) could not decode the response: {msg}"
        ))
    }
}

impl StripeClient for Sdk {
    type Err = SdkError;

    fn execute(
        &self,
        req: CustomizedStripeRequest,
    ) -> impl Future<Output = Result<Bytes, SdkError>> + Send {
        let (req, _config) = req.into_pieces();
        let this = self.clone();
        async move {
            let mut url = format!("{}/v1{}", this.base, req.path);
            if let Some(q) = &req.query {
                url.push('?');
                url.push_str(q);
            }
            let method = match req.method {
                StripeMethod::Get => reqwest::Method::GET,
                StripeMethod::Post => reqwest::Method::POST,
                StripeMethod::Delete => reqwest::Method::DELETE,
            };
            let mut builder = this
                .http
                .request(method.clone(), &url)
                .header("authorization", format!("Bearer {}", this.key))
                .header("user-agent", USER_AGENT)
                .header("stripe-version", &this.version);
            if let Some(body) = &req.body {
                builder = builder
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body.clone());
            }
            let response = builder
                .send()
                .await
                .map_err(|e| SdkError(format!("{method} {url}: {e}")))?;
            let status = response.status().as_u16();
            let stripe_version = response
                .headers()
                .get("stripe-version")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let bytes = response
                .bytes()
                .await
                .map_err(|e| SdkError(format!("{method} {url}: reading the body: {e}")))?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            *this.last.lock().unwrap() = Some(Exchange {
                method: method.to_string(),
                url: url.clone(),
                body: req.body.clone(),
                status,
                stripe_version,
                response: text.clone(),
            });
            if !(200..300).contains(&status) {
                return Err(SdkError(format!(
                    "{method} {url} answered {status}: {text}\n(request body: {})",
                    req.body.as_deref().unwrap_or("")
                )));
            }
            Ok(bytes)
        }
    }
}

impl Sdk {
    pub fn new(base: &str, key: &str) -> Sdk {
        Sdk {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
            version: sdk_api_version().to_owned(),
            last: Arc::default(),
        }
    }

    /// The last exchange on the wire.
    pub fn last(&self) -> Exchange {
        self.last
            .lock()
            .unwrap()
            .clone()
            .expect("no request was made")
    }

    /// The same client pinned to another `Stripe-Version`.
    pub fn with_version(&self, version: &str) -> Sdk {
        Sdk {
            version: version.to_owned(),
            last: Arc::default(),
            ..self.clone()
        }
    }

    /// Send an SDK request, decode the answer as the SDK does, and check it
    /// strictly (see the module docs). Panics with every problem found.
    pub async fn send<R, T>(&self, req: &R) -> T
    where
        R: StripeRequest<Output = T>,
        T: miniserde::Deserialize + DeserializeOwned + Serialize,
    {
        match self.try_send(req).await {
            Ok(v) => v,
            Err(problems) => {
                let exchange = self.last();
                let label = format!("{} {}", exchange.method, exchange.url);
                fail_if_any(&label, &exchange.response, &problems);
                unreachable!()
            }
        }
    }

    /// [`Sdk::send`] without the panic: the decoded value, or every
    /// problem found.
    pub async fn try_send<R, T>(&self, req: &R) -> Result<T, Vec<String>>
    where
        R: StripeRequest<Output = T>,
        T: miniserde::Deserialize + DeserializeOwned + Serialize,
    {
        let warnings = Warnings::default();
        // The SDK's own decode runs inside `send`: capture its warnings.
        let result = req
            .customize()
            .send(self)
            .with_subscriber(warnings.dispatch())
            .await;
        let exchange = self.last();
        match result {
            Ok(typed) => {
                let problems = strict_problems::<T>(&typed, &exchange.response, &warnings);
                if problems.is_empty() {
                    Ok(typed)
                } else {
                    Err(problems)
                }
            }
            Err(e) => {
                let mut problems = vec![e.0];
                if (200..300).contains(&exchange.status) {
                    problems.extend(serde_diagnosis::<T>(&exchange.response));
                }
                Err(problems)
            }
        }
    }

    /// A raw form request (for what the SDK has no builder for, such as
    /// checkoutd's test helpers); returns the status and the body.
    pub async fn raw(&self, method: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let url = format!("{}{}", self.base, path);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", form_escape(k), form_escape(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut builder = self
            .http
            .request(method.clone(), &url)
            .header("authorization", format!("Bearer {}", self.key))
            .header("stripe-version", &self.version);
        if method == reqwest::Method::GET {
            if !body.is_empty() {
                builder = self
                    .http
                    .request(method.clone(), format!("{url}?{body}"))
                    .header("authorization", format!("Bearer {}", self.key))
                    .header("stripe-version", &self.version);
            }
        } else {
            builder = builder
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
        }
        let response = builder.send().await.expect("raw request");
        let status = response.status().as_u16();
        (status, response.text().await.expect("raw body"))
    }

    /// A raw request whose 2xx answer is decoded into `T` as strictly as
    /// [`Sdk::send`] does.
    pub async fn raw_typed<T>(&self, method: &str, path: &str, form: &[(&str, &str)]) -> T
    where
        T: miniserde::Deserialize + DeserializeOwned + Serialize,
    {
        let (status, body) = self.raw(method, path, form).await;
        let label = format!("{method} {path}");
        assert!(
            (200..300).contains(&status),
            "{label} answered {status}: {body}"
        );
        decode_strict::<T>(&label, &body)
    }
}

fn form_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Strict checks
// ---------------------------------------------------------------------------

/// Decode `body` into `T` as async-stripe does (miniserde) and check it
/// strictly; panics with every problem found.
pub fn decode_strict<T>(label: &str, body: &str) -> T
where
    T: miniserde::Deserialize + DeserializeOwned + Serialize,
{
    match try_decode_strict::<T>(body) {
        Ok(v) => v,
        Err(problems) => {
            fail_if_any(label, body, &problems);
            unreachable!()
        }
    }
}

/// [`decode_strict`] without the panic: the problems, if any.
pub fn try_decode_strict<T>(body: &str) -> Result<T, Vec<String>>
where
    T: miniserde::Deserialize + DeserializeOwned + Serialize,
{
    let warnings = Warnings::default();
    let decoded = tracing::subscriber::with_default(warnings.clone(), || {
        miniserde::json::from_str::<T>(body)
    });
    match decoded {
        Ok(typed) => {
            let problems = strict_problems(&typed, body, &warnings);
            if problems.is_empty() {
                Ok(typed)
            } else {
                Err(problems)
            }
        }
        Err(_) => {
            let mut problems =
                vec!["async-stripe (miniserde) could not decode the response".to_owned()];
            problems.extend(serde_diagnosis::<T>(body));
            Err(problems)
        }
    }
}

fn fail_if_any(label: &str, body: &str, problems: &[String]) {
    if problems.is_empty() {
        return;
    }
    let pretty = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_owned());
    let shown: String = pretty.chars().take(12_000).collect();
    panic!(
        "strict typed decode of `{label}` failed:\n  - {}\n--- response ---\n{shown}",
        problems.join("\n  - ")
    );
}

/// The serde decode of the same bytes, with the path of the field it
/// stopped at: `Some(problem)` when it fails.
fn serde_diagnosis<T: DeserializeOwned>(body: &str) -> Option<String> {
    let de = &mut serde_json::Deserializer::from_str(body);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(_) => None,
        Err(e) => Some(format!("serde: at `{}`: {}", e.path(), e.inner())),
    }
}

/// Checks 2–4 of the module docs on an object miniserde already decoded.
fn strict_problems<T>(typed: &T, body: &str, warnings: &Warnings) -> Vec<String>
where
    T: DeserializeOwned + Serialize,
{
    let mut problems = Vec::new();
    problems.extend(serde_diagnosis::<T>(body));
    // The serde decode logs its own warnings into the same capture.
    tracing::subscriber::with_default(warnings.clone(), || {
        let _ = serde_json::from_str::<T>(body);
    });
    let mut seen = std::collections::BTreeSet::new();
    for w in warnings.take() {
        if seen.insert(w.clone()) {
            problems.push(format!("async-stripe logged: {w}"));
        }
    }
    let sent: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("not JSON: {e}"));
            return problems;
        }
    };
    match serde_json::to_value(typed) {
        Ok(typed) => compare(&sent, &typed, "", None, "", &mut problems),
        Err(e) => problems.push(format!("re-encoding the decoded value failed: {e}")),
    }
    problems
}

/// Fields a response may leave out: those Stripe's schema marks neither
/// `required` nor `nullable`, so Stripe omits them when they don't apply
/// (includables such as `line_items` and item `taxes` among them), keyed
/// by the `object` they belong to, with paths relative to that object
/// (`[]` for array items, `.*` for any key below). Derived from
/// `reference/stripe/checkout_session.schema.json` (2026-05-27.dahlia).
/// Anything else the SDK's type has must be in the response, `null` if
/// it has no value (DESIGN.md: "Every response object has every field of
/// the spec's schema").
const MAY_OMIT: &[(&str, &[&str])] = &[
    (
        "checkout.session",
        &[
            "automatic_tax.liability.account",
            "branding_settings",
            "branding_settings.icon.file",
            "branding_settings.icon.url",
            "branding_settings.logo.file",
            "branding_settings.logo.url",
            "custom_fields[].dropdown",
            "custom_fields[].numeric",
            "custom_fields[].text",
            "excluded_payment_method_types",
            "invoice_creation.invoice_data.issuer.account",
            "line_items",
            "name_collection",
            "name_collection.business",
            "name_collection.individual",
            "payment_method_options.*",
            "phone_number_collection",
            "presentment_details",
            "redirect_on_completion",
            "return_url",
            "shipping_cost.taxes",
            "tax_id_collection",
            "total_details.breakdown",
            "wallet_options.link",
            "wallet_options.link.display",
        ],
    ),
    ("item", &["discounts", "taxes"]),
    ("price", &["currency_options", "tiers"]),
    ("shipping_rate", &["fixed_amount"]),
];

fn may_omit(object: Option<&str>, rel: &str) -> bool {
    let Some(object) = object else {
        return false;
    };
    MAY_OMIT
        .iter()
        .filter(|(o, _)| *o == object)
        .flat_map(|(_, paths)| paths.iter())
        .any(|p| match p.strip_suffix(".*") {
            Some(prefix) => rel
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.')),
            None => *p == rel,
        })
}

/// Walk the response (`sent`) and the decoded value re-encoded (`typed`)
/// together. `object`/`rel`: the innermost enclosing Stripe object and the
/// path relative to it.
fn compare(
    sent: &Value,
    typed: &Value,
    path: &str,
    object: Option<&str>,
    rel: &str,
    problems: &mut Vec<String>,
) {
    let join = |base: &str, key: &str| {
        if base.is_empty() {
            key.to_owned()
        } else {
            format!("{base}.{key}")
        }
    };
    match (sent, typed) {
        (Value::Object(s), Value::Object(t)) => {
            let (object, rel) = match s.get("object").and_then(Value::as_str) {
                Some(o) => (Some(o), ""),
                None => (object, rel),
            };
            for (key, tv) in t {
                let here = join(path, key);
                let here_rel = join(rel, key);
                match s.get(key) {
                    Some(sv) => compare(sv, tv, &here, object, &here_rel, problems),
                    None if may_omit(object, &here_rel) => {}
                    None => problems.push(format!(
                        "missing field `{here}`: async-stripe's type has it (it would re-encode as {}), the response omits it",
                        short(tv)
                    )),
                }
            }
        }
        (Value::Array(s), Value::Array(t)) if s.len() == t.len() => {
            for (i, (sv, tv)) in s.iter().zip(t).enumerate() {
                compare(
                    sv,
                    tv,
                    &format!("{path}[{i}]"),
                    object,
                    &format!("{rel}[]"),
                    problems,
                );
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            if a.as_f64() != b.as_f64() {
                problems.push(format!("`{path}`: sent {a}, decoded as {b}"));
            }
        }
        (a, b) => {
            if a != b {
                problems.push(format!(
                    "`{path}`: sent {}, decoded and re-encoded as {}",
                    short(a),
                    short(b)
                ));
            }
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(120).collect::<String>())
    } else {
        s
    }
}

// ---------------------------------------------------------------------------
// Capturing the SDK's warnings (unknown enum values)
// ---------------------------------------------------------------------------

/// A `tracing` subscriber that keeps the WARN/ERROR events of the SDK's
/// crates (`stripe_*` targets), such as
/// `Unknown value 'hosted' for enum 'CheckoutSessionUiMode'`.
#[derive(Clone, Default)]
pub struct Warnings(Arc<Mutex<Vec<String>>>);

impl Warnings {
    pub fn dispatch(&self) -> tracing::Dispatch {
        tracing::Dispatch::new(self.clone())
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            self.0.push_str(&format!("{value:?}"));
        } else {
            self.0.push_str(&format!("{}={value:?}", field.name()));
        }
    }
}

impl tracing::Subscriber for Warnings {
    fn register_callsite(
        &self,
        metadata: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        // Decided per event by `enabled`: never cache a "never" that would
        // outlive this (scoped) subscriber.
        let _ = metadata;
        tracing::subscriber::Interest::sometimes()
    }

    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.is_event()
            && *metadata.level() <= tracing::Level::WARN
            && metadata.target().starts_with("stripe")
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        self.0
            .lock()
            .unwrap()
            .push(format!("{}: {}", event.metadata().target(), message.0));
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}
