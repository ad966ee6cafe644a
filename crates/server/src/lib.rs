//! checkoutd as a library: the server the binary runs and the tests start
//! on a random port.
//!
//! Layout follows the architecture: the pure core is the `checkout-domain`
//! crate, storage the `checkout-store` crate; here live the HTTP dialects
//! ([`http`]), start-up ([`run`]) and configuration ([`config`]).

// The session object is one large `json!` literal.
#![recursion_limit = "256"]

pub mod app;
pub mod clock;
pub mod config;
pub mod http;
pub mod ids;
pub mod listen;
pub mod webhooks;

use app::keys::{hash_key, redact_key};
use app::{App, Settings};
use checkout_store::{NewKey, PoolOptions, Store};
use config::{parse_keys, Options};
use std::sync::Arc;
use tokio::net::TcpListener;

/// Open the store named by the options, migrating unless told not to.
pub async fn open_store(options: &Options, migrate: bool) -> anyhow::Result<Arc<dyn Store>> {
    let pool = PoolOptions {
        max_connections: options.db_max_connections,
        acquire_timeout: std::time::Duration::from_millis(options.db_acquire_timeout_ms),
        statement_timeout: std::time::Duration::from_millis(options.db_statement_timeout_ms),
        cache_bytes: options.db_cache_mib.saturating_mul(1 << 20),
    };
    let store = checkout_store::connect(&options.database_url, &pool).await?;
    if migrate {
        store.migrate().await?;
    }
    Ok(store)
}

/// Read the P-521 public keys `--gr4vy-public-keys` names (none without
/// the flag); an unreadable or unsuitable file fails start-up, naming it.
pub fn load_gr4vy_keys(options: &Options) -> anyhow::Result<app::jwt::KeyRing> {
    match &options.gr4vy_public_keys {
        None => Ok(app::jwt::KeyRing::default()),
        Some(list) => {
            app::jwt::KeyRing::load(list, config::DEFAULT_ACCOUNT).map_err(anyhow::Error::msg)
        }
    }
}

/// Provision `--api-keys`, or on a first start with none, create an account
/// and a test key and print it once.
pub async fn provision_keys(store: &dyn Store, options: &Options) -> anyhow::Result<()> {
    let now = clock::real_now();
    let specs = match &options.api_keys {
        Some(list) => parse_keys(list).map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    };
    for spec in &specs {
        let hash = hash_key(&spec.key);
        let redacted = redact_key(&spec.key);
        let key = NewKey {
            key_hash: &hash,
            account: &spec.account,
            livemode: spec.livemode,
            redacted: &redacted,
        };
        store.add_key(&key, now).await?;
    }
    if specs.is_empty() && !store.any_key().await? {
        let account = ids::object_id("acct");
        let secret = ids::secret_key(false);
        let hash = hash_key(&secret);
        let redacted = redact_key(&secret);
        let key = NewKey {
            key_hash: &hash,
            account: &account,
            livemode: false,
            redacted: &redacted,
        };
        store.add_key(&key, now).await?;
        println!("created account {account} with test secret key {secret} (shown once; keep it)");
    }
    Ok(())
}

/// Serve on `listener` until `shutdown` resolves, finishing in-flight
/// requests before returning; default worker settings.
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    public_url: Option<String>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with(listener, store, public_url, Settings::default(), shutdown).await
}

/// [`serve`] with explicit worker settings. The expiry sweeper and the
/// webhook worker run beside the HTTP server and stop with it.
pub async fn serve_with(
    listener: TcpListener,
    store: Arc<dyn Store>,
    public_url: Option<String>,
    settings: Settings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let public_url = public_url
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{addr}"));
    // Gr4vy sessions live in the accounts owning the keys; the account row
    // carries their test clock and lets the sweeper find them.
    for account in settings.gr4vy_keys.accounts() {
        store.ensure_account(&account, clock::real_now()).await?;
    }
    let limits = settings.limits.clone();
    let core = Arc::new(App::new(store, &public_url, settings));
    let stop = tokio_util::sync::CancellationToken::new();
    let workers = [
        tokio::spawn(app::sweeper::run(core.clone(), stop.clone())),
        tokio::spawn(webhooks::deliver::run(core.clone(), stop.clone())),
    ];
    let app = http::app(http::AppState::new(core));
    println!("checkoutd listening on http://{addr}");
    tracing::info!(%addr, "listening");
    let served = listen::serve(listener, app, &limits, shutdown).await;
    stop.cancel();
    for worker in workers {
        let _ = worker.await;
    }
    served?;
    Ok(())
}
