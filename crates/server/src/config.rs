//! The command line and its environment variables — a contract that tests
//! outside this repository rely on (DESIGN.md, "Command line and
//! configuration"). Every flag also reads a `CHECKOUTD_*` variable, and the
//! flags work before or after the `serve` subcommand.

use clap::{Parser, Subcommand, ValueEnum};

/// Self-hosted Checkout Sessions server speaking Stripe's and Gr4vy's APIs.
#[derive(Debug, Parser)]
#[command(name = "checkoutd", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub options: Options,
}

impl Cli {
    /// Parse an argument list (the tests build servers this way).
    pub fn from_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Cli::try_parse_from(args)
    }
}

/// What to do; `serve` when none is given.
#[derive(Debug, Clone, Copy, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Settings shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Listen address; port 0 picks a free port (the bound address is printed).
    #[arg(
        long,
        env = "CHECKOUTD_ADDR",
        default_value = "127.0.0.1:4242",
        global = true
    )]
    pub addr: String,

    /// `sqlite://PATH`, `sqlite::memory:` or `postgres://…`.
    #[arg(
        long,
        env = "CHECKOUTD_DATABASE_URL",
        default_value = "sqlite://checkoutd.db",
        global = true
    )]
    pub database_url: String,

    /// Comma-separated secret keys to provision (`sk_test_…`, `sk_live_…`,
    /// optionally `acct_ID:KEY`).
    #[arg(long, env = "CHECKOUTD_API_KEYS", global = true)]
    pub api_keys: Option<String>,

    /// Comma-separated PEM files of P-521 public keys accepted for Gr4vy
    /// JWTs, optionally `acct_ID:PATH`.
    #[arg(long, env = "CHECKOUTD_GR4VY_PUBLIC_KEYS", global = true)]
    pub gr4vy_public_keys: Option<String>,

    /// Base of hosted-page URLs (default `http://{bound addr}`).
    #[arg(long, env = "CHECKOUTD_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// `pretty` or `json`.
    #[arg(
        long,
        env = "CHECKOUTD_LOG_FORMAT",
        value_enum,
        default_value = "pretty",
        global = true
    )]
    pub log_format: LogFormat,

    /// Do not apply migrations when serving (run `checkoutd migrate` first).
    #[arg(long, env = "CHECKOUTD_NO_MIGRATE", global = true)]
    pub no_migrate: bool,

    /// First retry delay of a failed webhook delivery in milliseconds (later
    /// ones double, up to 12 h; shorten it in tests).
    #[arg(
        long,
        env = "CHECKOUTD_WEBHOOK_RETRY_BASE_MS",
        default_value_t = 60_000,
        global = true
    )]
    pub webhook_retry_base_ms: i64,

    /// Timeout of one webhook delivery attempt in milliseconds.
    #[arg(
        long,
        env = "CHECKOUTD_WEBHOOK_TIMEOUT_MS",
        default_value_t = 10_000,
        global = true
    )]
    pub webhook_timeout_ms: i64,

    /// Pause of an idle background worker in milliseconds.
    #[arg(
        long,
        env = "CHECKOUTD_WORKER_POLL_MS",
        default_value_t = 1_000,
        global = true
    )]
    pub worker_poll_ms: i64,

    /// Most database connections per node (SQLite: read connections, and
    /// so reads at once, at most twice the cores).
    #[arg(
        long,
        env = "CHECKOUTD_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: u32,

    /// How long a request waits for a database connection (SQLite: for the
    /// file's write lock) before a 503.
    #[arg(
        long,
        env = "CHECKOUTD_DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 5_000,
        global = true
    )]
    pub db_acquire_timeout_ms: u64,

    /// PostgreSQL `statement_timeout`; a statement running longer is a 503.
    #[arg(
        long,
        env = "CHECKOUTD_DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 10_000,
        global = true
    )]
    pub db_statement_timeout_ms: u64,

    /// SQLite: MiB of recently read or written objects kept in memory, so
    /// that reading or updating a hot session skips SQLite (0 turns it off).
    /// Valid because one checkoutd at a time serves a SQLite file.
    #[arg(
        long,
        env = "CHECKOUTD_DB_CACHE_MIB",
        default_value_t = 32,
        global = true
    )]
    pub db_cache_mib: usize,

    /// Requests per second allowed per API key (and per Gr4vy signing key)
    /// on this node, with a burst of one second's worth; more answer 429.
    /// 0 (the default) turns rate limiting off.
    #[arg(
        long,
        env = "CHECKOUTD_RATE_LIMIT",
        default_value_t = 0.0,
        global = true
    )]
    pub rate_limit: f64,

    /// Most client connections served at once; further ones wait in the
    /// listen backlog until one closes.
    #[arg(
        long,
        env = "CHECKOUTD_MAX_CONNECTIONS",
        default_value_t = 1024,
        global = true
    )]
    pub max_connections: usize,

    /// Time a client has to send a request's headers; a connection that
    /// does not (or stays idle between keep-alive requests) is closed.
    #[arg(
        long,
        env = "CHECKOUTD_HEADER_TIMEOUT_MS",
        default_value_t = 30_000,
        global = true
    )]
    pub header_timeout_ms: u64,

    /// Time a client has to send a request's body once its headers are in;
    /// a slower one gets a 408.
    #[arg(
        long,
        env = "CHECKOUTD_BODY_TIMEOUT_MS",
        default_value_t = 60_000,
        global = true
    )]
    pub body_timeout_ms: u64,

    /// Which webhook endpoints may point at loopback or private addresses
    /// (127/8, 10/8, 172.16/12, 192.168/16, fc00::/7, ::1, …): those of
    /// `test-only` mode keys (the default), `always`, or `never`.
    /// Link-local and cloud metadata addresses are always refused.
    #[arg(
        long,
        env = "CHECKOUTD_WEBHOOK_PRIVATE_URLS",
        value_enum,
        default_value = "test-only",
        global = true
    )]
    pub webhook_private_urls: crate::webhooks::url_policy::PrivateUrls,
}

impl Options {
    /// The worker settings these options name.
    pub fn settings(&self) -> crate::app::Settings {
        crate::app::Settings {
            webhook_retry_base_ms: self.webhook_retry_base_ms.max(1),
            webhook_timeout_ms: self.webhook_timeout_ms.max(1),
            worker_poll_ms: self.worker_poll_ms.max(1),
            // Reading the key files can fail: `crate::load_gr4vy_keys`.
            gr4vy_keys: std::sync::Arc::default(),
            limits: crate::app::Limits {
                max_connections: self.max_connections.max(1),
                header_timeout: std::time::Duration::from_millis(self.header_timeout_ms.max(1)),
                body_timeout: std::time::Duration::from_millis(self.body_timeout_ms.max(1)),
                rate_limit: if self.rate_limit.is_finite() {
                    self.rate_limit.max(0.0)
                } else {
                    0.0
                },
            },
            webhook_urls: self.webhook_private_urls,
        }
    }
}

/// The account a key without `acct_ID:` belongs to.
pub const DEFAULT_ACCOUNT: &str = "acct_default";

/// One entry of `--api-keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    pub account: String,
    pub key: String,
    pub livemode: bool,
}

/// Parse `--api-keys`.
pub fn parse_keys(list: &str) -> Result<Vec<KeySpec>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            let (account, key) = match entry.split_once(':') {
                Some((acct, key)) if acct.starts_with("acct_") => (acct.to_owned(), key.to_owned()),
                Some(_) => return Err(format!("invalid --api-keys entry {entry:?}: use KEY or acct_ID:KEY")),
                None => (DEFAULT_ACCOUNT.to_owned(), entry.to_owned()),
            };
            let livemode = if key.starts_with("sk_live_") {
                true
            } else if key.starts_with("sk_test_") {
                false
            } else {
                return Err(format!("invalid key in --api-keys: keys start with sk_test_ or sk_live_ (got {entry:?})"));
            };
            if key.len() < 12 {
                return Err("keys in --api-keys must be at least 12 characters".into());
            }
            Ok(KeySpec { account, key, livemode })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_work_before_and_after_serve() {
        let a = Cli::try_parse_from(["checkoutd", "serve", "--addr", "127.0.0.1:0"]).unwrap();
        let b = Cli::try_parse_from(["checkoutd", "--addr", "127.0.0.1:0"]).unwrap();
        assert_eq!(a.options.addr, "127.0.0.1:0");
        assert_eq!(b.options.addr, "127.0.0.1:0");
        assert_eq!(a.command, Some(Command::Serve));
        assert_eq!(b.command, None);
    }

    #[test]
    fn keys_parse_with_and_without_account() {
        let keys = parse_keys("sk_test_abcdefgh,acct_x:sk_live_abcdefgh").unwrap();
        assert_eq!(keys[0].account, DEFAULT_ACCOUNT);
        assert!(!keys[0].livemode);
        assert_eq!(keys[1].account, "acct_x");
        assert!(keys[1].livemode);
        assert!(parse_keys("pk_test_abcdefgh").is_err());
    }
}
