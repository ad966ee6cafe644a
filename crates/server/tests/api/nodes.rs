//! Many stateless nodes over one database, and crash safety: concurrent
//! updates through different nodes lose nothing, an idempotency key sent to
//! two nodes at once runs once, and a node killed with SIGKILL mid-load
//! loses no acknowledged write. The tests of several nodes need PostgreSQL
//! (the scale-out backend, `CHECKOUTD_TEST_DATABASE_URL`) and skip without
//! it; on SQLite, a second process on the file must refuse to start.

use crate::helpers::{fresh_database, several_nodes_or_skip, start_node, TestApp, KEY};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn three_nodes_and_64_clients_lose_no_acknowledged_update() {
    if !several_nodes_or_skip("three_nodes_and_64_clients_lose_no_acknowledged_update") {
        return;
    }
    let app = TestApp::spawn().await;
    let second = start_node(&app.database_url).await;
    let third = start_node(&app.database_url).await;
    let nodes = [app.base.clone(), second.base.clone(), third.base.clone()];
    let price = app.price(250, "usd").await;
    let mut sessions = Vec::new();
    for _ in 0..4 {
        let s = app
            .session(&price, "1", &[("expand[]", "line_items")])
            .await;
        let line = s["line_items"]["data"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        sessions.push((s["id"].as_str().unwrap().to_owned(), line));
    }
    // 64 clients, 3 updates each, spread over sessions and nodes: 48 keys
    // per session (Stripe allows 50).
    let mut tasks = Vec::new();
    for client in 0..64usize {
        let nodes = nodes.clone();
        let sessions = sessions.clone();
        let http = app.client.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for round in 0..3usize {
                let (session, line) = &sessions[client % 4];
                let node = &nodes[(client + round) % 3];
                let key = format!("c{client}r{round}");
                let qty = ((client + round) % 7 + 1).to_string();
                let mut form = vec![(format!("metadata[{key}]"), "1".to_owned())];
                if client % 5 == 0 {
                    form.push(("line_items[0][id]".into(), line.clone()));
                    form.push(("line_items[0][quantity]".into(), qty));
                }
                let resp = http
                    .post(format!("{node}/v1/checkout/sessions/{session}"))
                    .bearer_auth(KEY)
                    .form(&form)
                    .send()
                    .await;
                if let Ok(r) = resp {
                    let status = r.status();
                    assert!(status.as_u16() < 500, "node answered {status}");
                    if status.is_success() {
                        acked.push((session.clone(), key));
                    }
                }
            }
            acked
        }));
    }
    let mut acked: HashMap<String, HashSet<String>> = HashMap::new();
    for t in tasks {
        for (session, key) in t.await.unwrap() {
            acked.entry(session).or_default().insert(key);
        }
    }
    assert_eq!(
        acked.values().map(HashSet::len).sum::<usize>(),
        64 * 3,
        "every update was acknowledged"
    );
    for (session, keys) in &acked {
        let (_, s) = app
            .get(
                &format!("/v1/checkout/sessions/{session}"),
                &[("expand[]", "line_items")],
            )
            .await;
        for key in keys {
            assert!(s["metadata"].get(key).is_some(), "{session} lost {key}");
        }
        let qty = s["line_items"]["data"][0]["quantity"].as_i64().unwrap();
        assert_eq!(s["amount_subtotal"].as_i64().unwrap(), qty * 250);
        assert_eq!(s["amount_total"], s["amount_subtotal"]);
    }
}

/// A node keeps the sessions it wrote, decoded, for its next update of
/// them; another node's update in between must not be hidden by that.
#[tokio::test]
async fn an_update_through_one_node_sees_the_update_another_node_made_since() {
    if !several_nodes_or_skip("an_update_through_one_node_sees_the_update_another_node_made_since")
    {
        return;
    }
    let app = TestApp::spawn().await;
    let other = start_node(&app.database_url).await;
    let price = app.price(250, "usd").await;
    let s = app.session(&price, "1", &[]).await;
    let path = format!("/v1/checkout/sessions/{}", s["id"].as_str().unwrap());
    let update = |base: String, key: &'static str| {
        let (http, path) = (app.client.clone(), path.clone());
        async move {
            let r = http
                .post(format!("{base}{path}"))
                .bearer_auth(KEY)
                .form(&[(format!("metadata[{key}]"), "1")])
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
        }
    };
    update(app.base.clone(), "first").await;
    update(other.base.clone(), "second").await;
    // The first node reads the session as it is now (its caches learn the
    // new version) before updating it again.
    let (_, seen) = app.get(&path, &[]).await;
    assert_eq!(seen["metadata"]["second"], "1");
    update(app.base.clone(), "third").await;
    let (_, s) = app.get(&path, &[]).await;
    for key in ["first", "second", "third"] {
        assert_eq!(
            s["metadata"][key], "1",
            "{key} is missing: {}",
            s["metadata"]
        );
    }
}

#[tokio::test]
async fn one_idempotency_key_sent_to_two_nodes_at_once_creates_one_object() {
    if !several_nodes_or_skip("one_idempotency_key_sent_to_two_nodes_at_once_creates_one_object") {
        return;
    }
    let app = TestApp::spawn().await;
    let other = start_node(&app.database_url).await;
    for round in 0..5 {
        let key = format!("two-nodes-{round}");
        let send = |base: String| {
            app.client
                .post(format!("{base}/v1/products"))
                .bearer_auth(KEY)
                .header("Idempotency-Key", key.clone())
                .form(&[("name", format!("Twin {round}"))])
                .send()
        };
        let (a, b) = tokio::join!(send(app.base.clone()), send(other.base.clone()));
        let mut ids = HashSet::new();
        for r in [a.unwrap(), b.unwrap()] {
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            match status {
                200 => {
                    ids.insert(body["id"].as_str().unwrap().to_owned());
                }
                409 => assert_eq!(body["error"]["type"], "idempotency_error"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(ids.len(), 1, "round {round}");
    }
    let (_, list) = app.get("/v1/products", &[("limit", "100")]).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 5);
}

/// Whether the suite runs on PostgreSQL (else on SQLite files).
fn on_postgres() -> bool {
    std::env::var("CHECKOUTD_TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"))
}

/// A checkoutd process that is killed and reaped when dropped.
struct Proc(Child);

impl Proc {
    /// SIGKILL, as a crash would.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A checkoutd process (the real binary) on `database_url`.
fn spawn_binary(database_url: &str) -> (Proc, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_checkoutd"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            database_url,
            "--api-keys",
            KEY,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start checkoutd");
    let stdout = child.stdout.take().unwrap();
    let child = Proc(child);
    let mut lines = std::io::BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "checkoutd did not start");
        let line = lines.next().expect("checkoutd exited").unwrap();
        if let Some(at) = line.find("listening on ") {
            let base = line[at + "listening on ".len()..].trim().to_owned();
            // Keep draining stdout so the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return (child, base);
        }
    }
}

#[tokio::test]
async fn a_node_killed_mid_load_loses_no_acknowledged_write() {
    let (database_url, _dir) = fresh_database().await;
    let (mut child, base) = spawn_binary(&database_url);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let stop_at = Instant::now() + Duration::from_millis(1500);
    let mut tasks = Vec::new();
    for worker in 0..16 {
        let http = http.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut i = 0;
            // Runs until the process dies under it (bounded by time too).
            while Instant::now() < stop_at + Duration::from_secs(3) {
                i += 1;
                let name = format!("w{worker}-{i}");
                match http
                    .post(format!("{base}/v1/products"))
                    .bearer_auth(KEY)
                    .form(&[("name", name.as_str())])
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        if let Some(id) = body["id"].as_str() {
                            acked.push(id.to_owned());
                        }
                    }
                    Ok(r) => assert!(r.status().as_u16() < 500, "server error {}", r.status()),
                    Err(_) => break,
                }
            }
            acked
        }));
    }
    tokio::time::sleep_until(stop_at.into()).await;
    child.kill();
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    assert!(
        acked.len() > 50,
        "the load ran ({} writes acknowledged)",
        acked.len()
    );
    let (mut child, base) = spawn_binary(&database_url);
    let mut missing = Vec::new();
    for id in &acked {
        let r = http
            .get(format!("{base}/v1/products/{id}"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        if r.status() != 200 {
            missing.push(id.clone());
        }
    }
    // The store is consistent: every product has exactly one
    // `product.created` event and every such event its product (object and
    // outbox row are one transaction, so a kill leaves both or neither).
    let products = all_ids(&http, &base, "/v1/products", &[], |o| o["id"].clone()).await;
    let events = all_ids(
        &http,
        &base,
        "/v1/events",
        &[("type", "product.created")],
        |e| e["data"]["object"]["id"].clone(),
    )
    .await;
    child.kill();
    let unique: std::collections::BTreeSet<&String> = events.iter().collect();
    assert_eq!(
        unique.len(),
        events.len(),
        "a product has two created events"
    );
    let products: std::collections::BTreeSet<&String> = products.iter().collect();
    assert_eq!(products, unique, "products and their created events differ");
    eprintln!(
        "kill -9: {} writes acknowledged, {} found after restart",
        acked.len(),
        acked.len() - missing.len()
    );
    assert!(
        missing.is_empty(),
        "lost {} acknowledged writes: {missing:?}",
        missing.len()
    );
}

/// Every item of a Stripe list (paging with `starting_after`), mapped by
/// `pick` to a string id.
async fn all_ids(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    filters: &[(&str, &str)],
    pick: impl Fn(&Value) -> Value,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query: Vec<(&str, &str)> = filters.to_vec();
        query.push(("limit", "100"));
        if let Some(a) = &after {
            query.push(("starting_after", a));
        }
        let page: Value = http
            .get(format!("{base}{path}"))
            .bearer_auth(KEY)
            .query(&query)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("list json");
        let items = page["data"].as_array().cloned().unwrap_or_default();
        for item in &items {
            out.push(pick(item).as_str().unwrap_or_default().to_owned());
        }
        match (page["has_more"].as_bool(), items.last()) {
            (Some(true), Some(last)) => after = last["id"].as_str().map(str::to_owned),
            _ => return out,
        }
    }
}

/// The 503 a store that cannot get its connection or lock in time gives.
async fn assert_unavailable(r: reqwest::Response) {
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(r.headers()["stripe-should-retry"], "true");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "api_error");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Please retry"));
}

#[tokio::test]
async fn an_exhausted_pool_answers_503_with_stripes_envelope_not_a_hang() {
    if !on_postgres() {
        // SQLite has no pool to exhaust: its one writer finishes each write
        // without yielding, so writes never queue for long. What can make
        // it wait is another program holding the file's write lock.
        return another_program_locking_sqlite_gives_503_and_reads_go_on().await;
    }
    // A normal node migrates the database; then a node whose pool has one
    // connection and waits at most 50 ms for it. On a busy machine even its
    // first connection can miss that wait, so starting it is retried.
    let app = TestApp::spawn().await;
    let mut node = None;
    for _ in 0..10 {
        let url = app.database_url.clone();
        let started = tokio::spawn(async move {
            crate::helpers::start_with(
                &url,
                &["--db-max-connections", "1", "--db-acquire-timeout-ms", "50"],
            )
            .await
        })
        .await;
        match started {
            Ok(n) => {
                node = Some(n);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let (base, _stop) = node.expect("a node with a 50 ms pool wait starts within 10 tries");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let started = Instant::now();
    let requests = (0..200).map(|i| {
        http.post(format!("{base}/v1/products"))
            .bearer_auth(KEY)
            .form(&[("name", format!("p{i}"))])
            .send()
    });
    let mut unavailable = 0;
    for r in futures::future::join_all(requests).await {
        let r = r.expect("an answer, not a hang");
        match r.status().as_u16() {
            200 => {}
            503 => {
                unavailable += 1;
                assert_unavailable(r).await;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(
        unavailable > 0,
        "200 concurrent writes on one connection with a 50 ms wait must overflow"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

async fn another_program_locking_sqlite_gives_503_and_reads_go_on() {
    let app = TestApp::spawn_with(&["--db-acquire-timeout-ms", "300"]).await;
    let path = app.database_url.strip_prefix("sqlite://").unwrap();
    let (_, product) = app.post("/v1/products", &[("name", "kept")]).await;
    let base = app.base.clone();
    let http = reqwest::Client::new();
    let create = || {
        http.post(format!("{base}/v1/products"))
            .bearer_auth(KEY)
            .form(&[("name", "while locked")])
            .send()
    };
    let other = rusqlite::Connection::open(path).expect("open the file as another process would");
    other
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    let started = Instant::now();
    assert_unavailable(create().await.expect("an answer, not a hang")).await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(5),
        "waited {waited:?} for the lock, not the 300 ms asked for"
    );
    // Readers are not blocked by a writer under WAL.
    let read = http
        .get(format!(
            "{base}/v1/products/{}",
            product["id"].as_str().unwrap()
        ))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(
        create().await.unwrap().status(),
        200,
        "writes resume once the lock is gone"
    );
}

#[tokio::test]
async fn clients_hanging_up_mid_write_never_wedge_the_writer() {
    let app = TestApp::spawn().await;
    // Clients that give up after a millisecond: their requests are dropped
    // mid-flight, most while the server is inside a write transaction.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(1))
        .build()
        .unwrap();
    for round in 0..6 {
        let requests = (0..100).map(|i| {
            impatient
                .post(format!("{}/v1/products", app.base))
                .bearer_auth(KEY)
                .form(&[("name", format!("r{round}-{i}"))])
                .send()
        });
        let _ = futures::future::join_all(requests).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for i in 0..5 {
        let (status, body) = app
            .post("/v1/products", &[("name", &format!("after {i}"))])
            .await;
        assert_eq!(status, 200, "a write after abandoned ones: {body}");
    }
}

/// SQLite serves one process: a second checkoutd on the same file exits
/// at once, non-zero, saying why, and the first goes on serving.
#[tokio::test]
async fn a_second_checkoutd_on_one_sqlite_file_refuses_to_start() {
    if on_postgres() {
        eprintln!("skipped a_second_checkoutd_on_one_sqlite_file_refuses_to_start: SQLite only");
        return;
    }
    // Arrange
    let (database_url, _dir) = fresh_database().await;
    let (_first, base) = spawn_binary(&database_url);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    // Act
    let mut second = Command::new(env!("CARGO_BIN_EXE_checkoutd"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            &database_url,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a second checkoutd");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("the second checkoutd did not exit");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut stderr).unwrap();
    // Assert
    assert!(!status.success(), "the second checkoutd exited {status}");
    let path = database_url.strip_prefix("sqlite://").unwrap();
    assert!(
        stderr.contains(&format!(
            "another checkoutd is using the SQLite database {path}; SQLite serves one process \
             (use PostgreSQL for several nodes)"
        )),
        "stderr: {stderr}"
    );
    let created = http
        .post(format!("{base}/v1/products"))
        .bearer_auth(KEY)
        .form(&[("name", "still served")])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200, "the first checkoutd goes on serving");
}
