//! [`AccountStore`] on PostgreSQL: accounts, their hashed secret keys and
//! their test clocks.

use super::PostgresStore;
use crate::model::*;
use crate::{AccountStore, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl AccountStore for PostgresStore {
    async fn ensure_account(&self, id: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO accounts (id, created) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn add_key(&self, key: &NewKey<'_>, now: i64) -> StoreResult<()> {
        let mut tx = self.writer.begin_with("BEGIN").await?;
        sqlx::query(
            "INSERT INTO accounts (id, created) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(key.account)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT account_id FROM api_keys WHERE key_hash = $1")
                .bind(key.key_hash)
                .fetch_optional(&mut *tx)
                .await?;
        match existing {
            Some(account) if account != key.account => {
                return Err(StoreError::Conflict(format!(
                    "key {} already belongs to another account",
                    key.redacted
                )))
            }
            Some(_) => {}
            None => {
                sqlx::query("INSERT INTO api_keys (key_hash, account_id, livemode, redacted, created) VALUES ($1, $2, $3, $4, $5)")
                    .bind(key.key_hash)
                    .bind(key.account)
                    .bind(key.livemode)
                    .bind(key.redacted)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn find_key(&self, key_hash: &str) -> StoreResult<Option<KeyRecord>> {
        let row = sqlx::query(
            "SELECT k.account_id, k.livemode, a.test_clock_offset FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = $1",
        )
        .bind(key_hash)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            let livemode: bool = r.try_get("livemode")?;
            let offset: i64 = r.try_get("test_clock_offset")?;
            Ok(KeyRecord {
                account: r.try_get("account_id")?,
                livemode,
                clock_offset: if livemode { 0 } else { offset },
            })
        })
        .transpose()
    }

    async fn clock_offset(&self, account: &str) -> StoreResult<i64> {
        let offset: Option<i64> =
            sqlx::query_scalar("SELECT test_clock_offset FROM accounts WHERE id = $1")
                .bind(account)
                .fetch_optional(&self.reader)
                .await?;
        Ok(offset.unwrap_or(0))
    }

    async fn any_key(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys")
            .fetch_one(&self.reader)
            .await?;
        Ok(n > 0)
    }

    async fn advance_clock(&self, account: &str, seconds: i64) -> StoreResult<i64> {
        let offset: Option<i64> = sqlx::query_scalar(
            "UPDATE accounts SET test_clock_offset = test_clock_offset + $1 WHERE id = $2 RETURNING test_clock_offset",
        )
        .bind(seconds)
        .bind(account)
        .fetch_optional(&self.writer)
        .await?;
        offset.ok_or(StoreError::NotFound)
    }
}
