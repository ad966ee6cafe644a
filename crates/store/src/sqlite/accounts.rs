//! [`AccountStore`] on SQLite: accounts, their hashed secret keys and
//! their test clocks. Key lookups happen on every request; they are plain
//! reads on a reader connection (the server caches keys above this).

use super::SqliteStore;
use crate::model::*;
use crate::{AccountStore, StoreError, StoreResult};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

#[async_trait]
impl AccountStore for SqliteStore {
    async fn ensure_account(&self, id: &str, now: i64) -> StoreResult<()> {
        let id = id.to_owned();
        self.write(move |tx| {
            tx.prepare_cached(
                "INSERT INTO accounts (id, created) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![id, now])?;
            Ok(())
        })
        .await
    }

    async fn add_key(&self, key: &NewKey<'_>, now: i64) -> StoreResult<()> {
        let (key_hash, account, redacted) = (
            key.key_hash.to_owned(),
            key.account.to_owned(),
            key.redacted.to_owned(),
        );
        let livemode = key.livemode;
        self.write(move |tx| {
            tx.prepare_cached("INSERT INTO accounts (id, created) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING")?
                .execute(params![account, now])?;
            let existing: Option<String> = tx
                .prepare_cached("SELECT account_id FROM api_keys WHERE key_hash = ?1")?
                .query_row(params![key_hash], |r| r.get(0))
                .optional()?;
            match existing {
                Some(other) if other != account => Err(StoreError::Conflict(format!(
                    "key {redacted} already belongs to another account"
                ))),
                Some(_) => Ok(()),
                None => {
                    tx.prepare_cached(
                        "INSERT INTO api_keys (key_hash, account_id, livemode, redacted, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![key_hash, account, livemode, redacted, now])?;
                    Ok(())
                }
            }
        })
        .await
    }

    async fn find_key(&self, key_hash: &str) -> StoreResult<Option<KeyRecord>> {
        let key_hash = key_hash.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT k.account_id, k.livemode, a.test_clock_offset FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = ?1",
                )?
                .query_row(params![key_hash], |r| {
                    let livemode: bool = r.get(1)?;
                    let offset: i64 = r.get(2)?;
                    Ok(KeyRecord {
                        account: r.get(0)?,
                        livemode,
                        clock_offset: if livemode { 0 } else { offset },
                    })
                })
                .optional()?)
        })
        .await
    }

    async fn clock_offset(&self, account: &str) -> StoreResult<i64> {
        let account = account.to_owned();
        self.read(move |conn| {
            let offset: Option<i64> = conn
                .prepare_cached("SELECT test_clock_offset FROM accounts WHERE id = ?1")?
                .query_row(params![account], |r| r.get(0))
                .optional()?;
            Ok(offset.unwrap_or(0))
        })
        .await
    }

    async fn any_key(&self) -> StoreResult<bool> {
        self.read(|conn| {
            let n: i64 = conn.query_row("SELECT COUNT(*) FROM api_keys", [], |r| r.get(0))?;
            Ok(n > 0)
        })
        .await
    }

    async fn advance_clock(&self, account: &str, seconds: i64) -> StoreResult<i64> {
        let account = account.to_owned();
        self.write(move |tx| {
            let offset: Option<i64> = tx
                .prepare_cached(
                    "UPDATE accounts SET test_clock_offset = test_clock_offset + ?1 WHERE id = ?2 RETURNING test_clock_offset",
                )?
                .query_row(params![seconds, account], |r| r.get(0))
                .optional()?;
            offset.ok_or(StoreError::NotFound)
        })
        .await
    }
}
