//! `seed`: load N checkout sessions straight into checkoutd's database, fast,
//! for the benchmark's "1,000,000 stored sessions" runs.
//!
//! The documents are real: two template sessions are built once with the
//! domain (`Session::create`, then `Session::complete` for the paid one),
//! with the account's stored prices when it has some, and every row is a
//! clone with its own ids, times, metadata and e-mail, serialised with
//! serde_json exactly as the server stores it. The index columns are filled
//! as `crates/server/src/http/stripe/sessions.rs::index` does. Rows go in as
//! prepared `INSERT`s (SQLite) or `INSERT … SELECT FROM UNNEST` (PostgreSQL)
//! in large transactions.
//!
//! Every `--complete-every`-th session is complete (paid), with one of
//! N/`--complete-every` customer e-mails, so the e-mail index has realistic
//! content; the rest are open and expire 24 h after creation (all created in
//! the last ten minutes, so the sweeper has nothing to do during a run).
//!
//! The account must exist: start checkoutd once with `--api-keys sk_test_…`
//! (account `acct_default`) and stop it before seeding a SQLite file.
//! `--sample-out FILE` writes ids of open seeded sessions, spread evenly
//! over the load order, one per line, for the benchmark's requests.

use checkout_domain::catalog::Price;
use checkout_domain::session::{
    Mode, NewLineItem, NewSession, Payment, Session, UiMode, MAX_LIFETIME,
};
use checkout_domain::Currency;
use clap::Parser;
use rand::distributions::Alphanumeric;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::io::Write;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

const KIND: &str = "checkout.session";

#[derive(Parser, Clone)]
#[command(about = "Bulk-load checkout sessions into checkoutd's database")]
struct Args {
    /// `sqlite://PATH` or `postgres://…` (the database checkoutd uses).
    #[arg(long)]
    database_url: String,
    /// Sessions to insert.
    #[arg(long)]
    count: u64,
    /// Account that owns them.
    #[arg(long, default_value = "acct_default")]
    account: String,
    /// Live-mode sessions (default: test mode).
    #[arg(long)]
    live: bool,
    /// Every Nth session is complete (paid, with a customer e-mail).
    #[arg(long, default_value_t = 4)]
    complete_every: u64,
    /// Rows per INSERT statement.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Rows per transaction (SQLite).
    #[arg(long, default_value_t = 50_000)]
    tx_rows: usize,
    /// Connections inserting at once (PostgreSQL).
    #[arg(long, default_value_t = 2)]
    jobs: u32,
    /// Write ids of open seeded sessions here (one per line).
    #[arg(long)]
    sample_out: Option<std::path::PathBuf>,
    /// How many ids `--sample-out` gets at most.
    #[arg(long, default_value_t = 10_000)]
    sample: u64,
    /// Seed of the random ids (runs with the same seed make the same ids).
    #[arg(long, default_value_t = 1)]
    rng_seed: u64,
}

/// One row of `objects`, as the server writes a session.
struct Row {
    id: String,
    created: i64,
    status: String,
    email: Option<String>,
    payment_intent: Option<String>,
    expires_at: i64,
    data: String,
}

fn random(rng: &mut StdRng, n: usize) -> String {
    rng.sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A price like the API makes for `product_data[name]=…`.
fn fabricated_price(rng: &mut StdRng, livemode: bool, now: i64, name: &str, amount: i64) -> Price {
    Price {
        id: format!("price_{}", random(rng, 24)),
        livemode,
        created: now,
        active: true,
        currency: Currency::parse("usd").expect("usd"),
        product: format!("prod_{}", random(rng, 14)),
        product_name: name.to_owned(),
        unit_amount_decimal: rust_decimal::Decimal::from(amount),
        recurring: None,
        tax_behavior: None,
        lookup_key: None,
        nickname: None,
        metadata: Default::default(),
    }
}

/// The open and the complete template.
fn templates(
    prices: &[Price],
    livemode: bool,
    now: i64,
    rng: &mut StdRng,
) -> anyhow::Result<(Session, Session)> {
    let mut metadata = checkout_domain::metadata::Metadata::new();
    metadata.insert("order_id".into(), "000000".into());
    let input = NewSession {
        id: format!(
            "cs_{}_{}",
            if livemode { "live" } else { "test" },
            random(rng, 58)
        ),
        livemode,
        mode: Mode::Payment,
        ui_mode: UiMode::HostedPage,
        currency: None,
        line_items: prices
            .iter()
            .take(2)
            .enumerate()
            .map(|(i, p)| NewLineItem {
                price: p.clone(),
                quantity: Some(i as i64 + 1),
                tax_rates: vec![],
                adjustable_quantity: None,
                metadata: Default::default(),
            })
            .collect(),
        shipping_options: vec![],
        shipping_allowed_countries: None,
        success_url: Some("https://example.com/success?session_id={CHECKOUT_SESSION_ID}".into()),
        cancel_url: Some("https://example.com/cancel".into()),
        return_url: None,
        redirect_on_completion: None,
        expires_at: None,
        customer_email: None,
        client_reference_id: None,
        metadata,
        locale: None,
        update_shipping_details: None,
        payment_intent_data: Default::default(),
        payment_method_types: vec![],
        billing_address_collection: None,
        submit_type: None,
        client_secret: None,
    };
    let mut line_id = || format!("li_{}", random(&mut StdRng::from_entropy(), 24));
    let open = Session::create(input, now, &mut line_id).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let complete = open
        .clone()
        .complete(Payment {
            email: Some("customer@example.com".into()),
            intent_id: format!("pi_{}", random(rng, 24)),
            ..Default::default()
        })
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok((open, complete))
}

/// Produce the rows on a thread of their own, in batches.
fn generate(
    args: &Args,
    open: Session,
    complete: Session,
    now: i64,
    tx: mpsc::SyncSender<Vec<Row>>,
    sample: Arc<Mutex<Vec<String>>>,
) {
    let mut rng = StdRng::seed_from_u64(args.rng_seed);
    let n = args.count;
    let every = args.complete_every.max(1);
    let customers = (n / every).max(1);
    let opens = n - n / every;
    let step = (opens / args.sample.max(1)).max(1);
    let prefix = if args.live { "live" } else { "test" };
    let mut open_seen = 0u64;
    let mut batch = Vec::with_capacity(args.batch);
    for i in 0..n {
        let is_complete = i % every == every - 1;
        let mut s = if is_complete {
            complete.clone()
        } else {
            open.clone()
        };
        s.id = format!("cs_{prefix}_{}", random(&mut rng, 58));
        // Created over the last ten minutes, in load order.
        s.created = now - 600 + (i * 600 / n.max(1)) as i64;
        s.expires_at = s.created + MAX_LIFETIME;
        for line in &mut s.line_items {
            line.id = format!("li_{}", random(&mut rng, 24));
        }
        s.metadata.insert("order_id".into(), format!("{i:06}"));
        if is_complete {
            let k = rng.gen_range(0..customers);
            if let Some(c) = s.customer_details.as_mut() {
                c.email = Some(format!("customer{k}@example.com"));
            }
            s.payment_intent = Some(format!("pi_{}", random(&mut rng, 24)));
        } else {
            // (`u64::is_multiple_of` is newer than the workspace's MSRV.)
            if open_seen.checked_rem(step) == Some(0) {
                let mut v = sample.lock().expect("sample");
                if (v.len() as u64) < args.sample {
                    v.push(s.id.clone());
                }
            }
            open_seen += 1;
        }
        // As sessions.rs::index: status, customer_details.email,
        // payment_intent, subscription (none in payment mode), expires_at.
        let row = Row {
            status: s.status.as_str().to_owned(),
            email: s.customer_details.as_ref().and_then(|c| c.email.clone()),
            payment_intent: s.payment_intent.clone(),
            expires_at: s.expires_at,
            created: s.created,
            data: serde_json::to_string(&s).expect("a session serialises"),
            id: s.id,
        };
        batch.push(row);
        if batch.len() == args.batch
            && tx
                .send(std::mem::replace(
                    &mut batch,
                    Vec::with_capacity(args.batch),
                ))
                .is_err()
        {
            return;
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
}

type Batches = Arc<Mutex<mpsc::Receiver<Vec<Row>>>>;

/// The next batch from the generator thread (`None` when it is done).
async fn next_batch(rx: &Batches) -> anyhow::Result<Option<Vec<Row>>> {
    let rx = rx.clone();
    Ok(tokio::task::spawn_blocking(move || rx.lock().expect("rx").recv().ok()).await?)
}

async fn pg_insert(
    pool: &PgPool,
    account: &str,
    livemode: bool,
    rows: &[Row],
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO objects (id, account_id, livemode, kind, created, version, status, email, payment_intent, expires_at, data) \
         SELECT id, $1, $2, $3, created, 1, status, email, payment_intent, expires_at, data \
         FROM UNNEST($4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[]) \
         AS t (id, created, status, email, payment_intent, expires_at, data)",
    )
    .bind(account)
    .bind(livemode)
    .bind(KIND)
    .bind(rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.created).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.email.as_deref()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.payment_intent.as_deref()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.expires_at).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.data.as_str()).collect::<Vec<_>>())
    .execute(pool)
    .await?;
    Ok(())
}

enum Db {
    Sqlite(rusqlite::Connection),
    Postgres(PgPool),
}

impl Db {
    async fn open(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres") {
            // The loader need not wait for each commit to reach the disk.
            let opts = PgConnectOptions::from_str(url)?.options([("synchronous_commit", "off")]);
            let pool = PgPoolOptions::new()
                .max_connections(4)
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            // The loader's own connection: WAL stays (the file keeps it), but
            // it need not wait for the disk; checkoutd reopens the file with
            // its documented settings.
            let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
            let conn = rusqlite::Connection::open(path)?;
            conn.busy_timeout(std::time::Duration::from_secs(30))?;
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
            conn.pragma_update(None, "synchronous", "OFF")?;
            conn.pragma_update(None, "cache_size", -1_048_576)?;
            conn.pragma_update(None, "temp_store", "memory")?;
            Ok(Db::Sqlite(conn))
        }
    }

    async fn account_exists(&mut self, account: &str) -> anyhow::Result<bool> {
        let n: i64 = match self {
            Db::Sqlite(c) => c.query_row(
                "SELECT COUNT(*) FROM accounts WHERE id = ?1",
                [account],
                |r| r.get(0),
            )?,
            Db::Postgres(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE id = $1")
                    .bind(account)
                    .fetch_one(&*p)
                    .await?
            }
        };
        Ok(n > 0)
    }

    /// Up to two stored prices of the account, oldest first.
    async fn prices(&mut self, account: &str, livemode: bool) -> anyhow::Result<Vec<Price>> {
        const Q: &str = "SELECT data FROM objects WHERE account_id = $1 AND livemode = $2 AND kind = 'price' ORDER BY seq LIMIT 2";
        let docs: Vec<String> = match self {
            Db::Sqlite(c) => c
                .prepare(&Q.replace('$', "?"))?
                .query_map(rusqlite::params![account, livemode], |r| r.get(0))?
                .collect::<Result<_, _>>()?,
            Db::Postgres(p) => {
                sqlx::query_scalar(Q)
                    .bind(account)
                    .bind(livemode)
                    .fetch_all(&*p)
                    .await?
            }
        };
        docs.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
    }

    async fn insert(&mut self, account: &str, livemode: bool, rows: &[Row]) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(c) => {
                let mut insert = c.prepare_cached(
                    "INSERT INTO objects (id, account_id, livemode, kind, created, version, status, email, payment_intent, expires_at, data) \
                     VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?10)",
                )?;
                for r in rows {
                    insert.execute(rusqlite::params![
                        r.id,
                        account,
                        livemode,
                        KIND,
                        r.created,
                        r.status,
                        r.email,
                        r.payment_intent,
                        r.expires_at,
                        r.data
                    ])?;
                }
            }
            Db::Postgres(p) => pg_insert(p, account, livemode, rows).await?,
        }
        Ok(())
    }

    async fn begin(&mut self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Db::Postgres(_) => {}
        }
        Ok(())
    }

    async fn commit(&mut self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(c) => c.execute_batch("COMMIT")?,
            Db::Postgres(_) => {}
        }
        Ok(())
    }

    /// What an operator's database would soon have on its own: PostgreSQL's
    /// autovacuum analyses a table that grew this much; SQLite's WAL is
    /// checkpointed into the main file.
    async fn finish(&mut self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(c) => c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?,
            Db::Postgres(p) => {
                sqlx::query("VACUUM ANALYZE objects").execute(&*p).await?;
            }
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let mut db = Db::open(&args.database_url).await?;
    if !db.account_exists(&args.account).await? {
        anyhow::bail!(
            "account {} does not exist: start checkoutd once with --api-keys sk_test_… first",
            args.account
        );
    }
    let livemode = args.live;
    let now = now();
    let mut rng = StdRng::seed_from_u64(args.rng_seed ^ 0x5eed);
    let mut prices = db.prices(&args.account, livemode).await?;
    if prices.len() < 2 {
        prices = vec![
            fabricated_price(&mut rng, livemode, now, "T-shirt", 1999),
            fabricated_price(&mut rng, livemode, now, "Mug", 1250),
        ];
    }
    let (open, complete) = templates(&prices, livemode, now, &mut rng)?;
    let sample = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::sync_channel::<Vec<Row>>(8);
    let generator = {
        let sample = sample.clone();
        let args = args.clone();
        std::thread::spawn(move || generate(&args, open, complete, now, tx, sample))
    };
    // PostgreSQL: each UNNEST statement commits on its own (autocommit, with
    // synchronous_commit off for this session); SQLite: explicit
    // transactions of --tx-rows rows.
    let rx = Arc::new(Mutex::new(rx));
    let done = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let ticker = {
        let done = done.clone();
        let count = args.count;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                let n = done.load(Ordering::Relaxed);
                eprintln!(
                    "seed: {n}/{count} rows ({:.0} rows/s)",
                    n as f64 / started.elapsed().as_secs_f64()
                );
            }
        })
    };
    let count_rows = |rows: &[Row]| {
        done.fetch_add(rows.len() as u64, Ordering::Relaxed);
        bytes.fetch_add(
            rows.iter().map(|r| r.data.len() as u64).sum(),
            Ordering::Relaxed,
        );
    };
    match &mut db {
        // PostgreSQL: --jobs connections insert at once, each UNNEST
        // statement its own transaction (synchronous_commit off).
        Db::Postgres(pool) => {
            let mut tasks = Vec::new();
            for _ in 0..args.jobs.max(1) {
                let (pool, rx, account) = (pool.clone(), rx.clone(), args.account.clone());
                let (done, bytes) = (done.clone(), bytes.clone());
                tasks.push(tokio::spawn(async move {
                    while let Some(rows) = next_batch(&rx).await? {
                        pg_insert(&pool, &account, livemode, &rows).await?;
                        done.fetch_add(rows.len() as u64, Ordering::Relaxed);
                        bytes.fetch_add(
                            rows.iter().map(|r| r.data.len() as u64).sum(),
                            Ordering::Relaxed,
                        );
                    }
                    anyhow::Ok(())
                }));
            }
            for t in tasks {
                t.await??;
            }
        }
        // SQLite: one writer; explicit transactions of --tx-rows rows.
        Db::Sqlite(_) => {
            let mut in_tx = 0usize;
            while let Some(rows) = next_batch(&rx).await? {
                if in_tx == 0 {
                    db.begin().await?;
                }
                db.insert(&args.account, livemode, &rows).await?;
                in_tx += rows.len();
                count_rows(&rows);
                if in_tx >= args.tx_rows {
                    db.commit().await?;
                    in_tx = 0;
                }
            }
            if in_tx > 0 {
                db.commit().await?;
            }
        }
    }
    ticker.abort();
    let done = done.load(Ordering::Relaxed);
    let bytes = bytes.load(Ordering::Relaxed) as usize;
    generator
        .join()
        .map_err(|_| anyhow::anyhow!("generator panicked"))?;
    db.finish().await?;
    if let Some(path) = &args.sample_out {
        let ids = sample.lock().expect("sample");
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        for id in ids.iter() {
            writeln!(f, "{id}")?;
        }
        f.flush()?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "seeded {done} sessions ({:.0} MB of JSON, {} B each) into {} in {secs:.1} s ({:.0} rows/s)",
        bytes as f64 / 1e6,
        bytes / (done.max(1) as usize),
        args.account,
        done as f64 / secs
    );
    Ok(())
}
