//! Tests of the SQLite store as a whole: group commit, optimistic updates
//! and their races, and the one-process lock.

use super::*;
use crate::model::*;
use crate::{connect, AccountStore, ObjectStore};
use rusqlite::OptionalExtension;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Group commit: every write that returned Ok is committed (a reader
/// connection sees it at once), and a write that fails (a duplicate
/// id) takes nothing of its batch with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_of_a_batch_is_committed_and_failures_stay_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let url = format!("sqlite://{}", path.display());
    let store = connect(&url, &PoolOptions::default()).await.unwrap();
    store.migrate().await.unwrap();
    let scope = Scope {
        account: "acct_t".into(),
        livemode: false,
    };
    let tasks = (0..400).map(|i| {
        let (store, scope): (Arc<dyn Store>, Scope) = (store.clone(), scope.clone());
        let path = path.clone();
        tokio::spawn(async move {
            // Every 10th write reuses the id of the one before it.
            let id = if i % 10 == 9 {
                format!("obj_{}", i - 1)
            } else {
                format!("obj_{i}")
            };
            let written = store
                .insert(
                    &scope,
                    NewObject {
                        id: &id,
                        kind: "thing",
                        created: i,
                        data: format!("{{\"n\":{i}}}"),
                        index: Index::default(),
                    },
                    Vec::new(),
                )
                .await;
            // Through a connection of its own, not the store's cache.
            let seen: Option<String> = Connection::open(&path)
                .unwrap()
                .query_row("SELECT data FROM objects WHERE id = ?1", [&id], |r| {
                    r.get(0)
                })
                .optional()
                .unwrap();
            (i, written.is_ok(), seen)
        })
    });
    // Writes 10k+8 and 10k+9 race for one id: exactly one of them
    // wins, and what a reader sees is the winner's data.
    let results = futures_join(tasks).await;
    let mut failed = 0;
    for (i, ok, seen) in &results {
        let mine = format!("{{\"n\":{i}}}");
        if *ok {
            assert_eq!(
                seen.as_ref(),
                Some(&mine),
                "write {i} acknowledged but not visible"
            );
        } else {
            assert!(i % 10 >= 8, "write {i} had an id of its own and failed");
            failed += 1;
        }
    }
    assert_eq!(failed, 40, "one write of each contested id fails");
    let page = store
        .list(
            &scope,
            &ListQuery {
                kind: "thing",
                eq: Vec::new(),
                created: CreatedRange::default(),
                limit: 100,
                cursor: Cursor::First,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.records.len(), 100);
    assert!(page.has_more);
}

/// A migrated store on a new file in a temporary directory (kept while
/// the returned guard lives), and a test account's scope.
pub(super) async fn migrated() -> (tempfile::TempDir, PathBuf, SqliteStore, Scope) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::connect(&url, &PoolOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let scope = Scope {
        account: "acct_t".into(),
        livemode: false,
    };
    (dir, path, store, scope)
}

fn thing(id: &str, n: i64) -> NewObject<'_> {
    NewObject {
        id,
        kind: "thing",
        created: n,
        data: format!("{{\"n\":{n}}}"),
        index: Index::default(),
    }
}

/// The change that adds one to `n` in the object's JSON.
fn incremented(r: &Record) -> Change {
    let n: serde_json::Value = serde_json::from_str(&r.data).unwrap();
    Change {
        data: format!("{{\"n\":{}}}", n["n"].as_i64().unwrap() + 1),
        index: Index::default(),
        events: Vec::new(),
        inserts: Vec::new(),
    }
}

/// Bump `n` in the object's JSON.
async fn bump(store: &SqliteStore, scope: &Scope, id: &str) -> Record {
    store
        .update(scope, "thing", id, &mut |r: &Record| Ok(incremented(r)))
        .await
        .unwrap()
}

/// An update runs without a savepoint of the writer's unless its change
/// also inserts ([`Undo::Statement`]); one that inserts an object whose
/// id is taken fails whole: its `UPDATE` is undone too, in SQLite and
/// in the cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_whose_insert_fails_changes_nothing() {
    let (_dir, path, store, scope) = migrated().await;
    store
        .insert(&scope, thing("a", 1), Vec::new())
        .await
        .unwrap();
    store
        .insert(&scope, thing("b", 1), Vec::new())
        .await
        .unwrap();
    let clashing = |r: &Record| {
        let mut change = incremented(r);
        change.inserts.push(OwnedObject {
            id: "b".into(),
            kind: "thing",
            created: 2,
            data: "{}".into(),
        });
        Ok(change)
    };
    let failed = store.update(&scope, "thing", "a", &mut { clashing }).await;
    assert!(failed.is_err(), "the insert clashes: {failed:?}");
    let stored: (String, i64) = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT data, version FROM objects WHERE id = 'a'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        stored,
        ("{\"n\":1}".to_owned(), 1),
        "SQLite kept the object"
    );
    let cached = store.get(&scope, "thing", "a").await.unwrap().unwrap();
    assert_eq!((cached.data.as_str(), cached.version), ("{\"n\":1}", 1));
    // A plain update goes on from there.
    assert_eq!(bump(&store, &scope, "a").await.data, "{\"n\":2}");
}

/// Optimistic updates raced by others are redone on the current state:
/// many concurrent increments of one object lose none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_of_one_object_lose_none() {
    let (_dir, _, store, scope) = migrated().await;
    let store = Arc::new(store);
    store.ensure_account(&scope.account, 0).await.unwrap();
    store
        .insert(&scope, thing("t_1", 0), Vec::new())
        .await
        .unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let tasks = (0..32).map(|_| {
        let (store, scope, calls) = (store.clone(), scope.clone(), calls.clone());
        tokio::spawn(async move {
            for _ in 0..20 {
                store
                    .update(&scope, "thing", "t_1", &mut |r: &Record| {
                        calls.fetch_add(1, Ordering::SeqCst);
                        Ok(incremented(r))
                    })
                    .await
                    .unwrap();
            }
        })
    });
    futures_join(tasks).await;
    let got = store.get(&scope, "thing", "t_1").await.unwrap().unwrap();
    assert_eq!(got.data, "{\"n\":640}");
    assert_eq!(got.version, 641);
    // Some changes were raced and redone: the test saw the race.
    assert!(calls.load(Ordering::SeqCst) > 640);
}

/// SQLite serves one process: while a store has the file, a second one
/// refuses to open, with a message that says why; once the first is
/// dropped, the file opens again, and the cache answers there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_store_on_one_file_refuses_to_open_until_the_first_is_dropped() {
    let (dir, path, first, scope) = migrated().await;
    first
        .insert(&scope, thing("obj_1", 1), Vec::new())
        .await
        .unwrap();
    let url = format!("sqlite://{}", path.display());
    let refused = match SqliteStore::connect(&url, &PoolOptions::default()).await {
        Ok(_) => panic!("a second store opened the file"),
        Err(e) => e,
    };
    match &refused {
        StoreError::Config(message) => assert_eq!(
            message,
            &format!(
                "another checkoutd is using the SQLite database {}; SQLite serves one process \
                 (use PostgreSQL for several nodes)",
                path.display()
            )
        ),
        other => panic!("not a configuration error: {other:?}"),
    }
    assert_eq!(
        bump(&first, &scope, "obj_1").await.version,
        2,
        "the first goes on"
    );

    drop(first);
    let second = SqliteStore::connect(&url, &PoolOptions::default())
        .await
        .expect("the file is free once the first store is gone");
    let data = |r: Option<Record>| r.map(|r| r.data);
    for _ in 0..2 {
        assert_eq!(
            data(second.get(&scope, "thing", "obj_1").await.unwrap()),
            Some("{\"n\":2}".into())
        );
    }
    assert_eq!(second.cache.hits(), 1, "the second read was cached");
    assert_eq!(
        second.get(&scope, "other", "obj_1").await.unwrap(),
        None,
        "kind checked"
    );
    drop(dir);
}

/// An in-memory database takes no lock: any number of them open at once.
#[tokio::test]
async fn in_memory_stores_need_no_lock() {
    let a = SqliteStore::connect("sqlite::memory:", &PoolOptions::default())
        .await
        .unwrap();
    let b = SqliteStore::connect("sqlite::memory:", &PoolOptions::default())
        .await
        .unwrap();
    a.migrate().await.unwrap();
    b.migrate().await.unwrap();
}

async fn futures_join<T: Send + 'static>(
    tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks.collect::<Vec<_>>() {
        out.push(t.await.unwrap());
    }
    out
}

#[test]
fn urls_name_files_or_memory() {
    assert_eq!(
        file_of("sqlite://checkoutd.db"),
        Some(PathBuf::from("checkoutd.db"))
    );
    assert_eq!(
        file_of("sqlite:///tmp/x.db"),
        Some(PathBuf::from("/tmp/x.db"))
    );
    assert_eq!(
        file_of("sqlite:data.db?mode=rwc"),
        Some(PathBuf::from("data.db"))
    );
    assert_eq!(file_of("sqlite::memory:"), None);
    assert_eq!(file_of("sqlite://x.db?mode=memory"), None);
}
