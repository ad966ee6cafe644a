//! [`IdempotencyStore`] on PostgreSQL: `Idempotency-Key`s are claimed by
//! the primary key, so one key sent to two nodes at once runs once.

use super::PostgresStore;
use crate::model::*;
use crate::{IdempotencyStore, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl IdempotencyStore for PostgresStore {
    async fn idem_begin(
        &self,
        scope: &Scope,
        key: &str,
        fingerprint: &str,
        now: i64,
    ) -> StoreResult<IdemBegin> {
        let mut tx = self.writer.begin_with("BEGIN").await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, livemode, key, fingerprint, created) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&scope.account)
        .bind(scope.livemode)
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let outcome = if inserted == 1 {
            IdemBegin::Started
        } else {
            let row = sqlx::query(
                "SELECT fingerprint, status_code, body, created FROM idempotency_keys WHERE account_id = $1 AND livemode = $2 AND key = $3",
            )
            .bind(&scope.account)
            .bind(scope.livemode)
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
            let stored: String = row.try_get("fingerprint")?;
            let status: Option<i64> = row.try_get("status_code")?;
            let created: i64 = row.try_get("created")?;
            match status {
                _ if stored != fingerprint => IdemBegin::Mismatch,
                Some(code) => IdemBegin::Replay {
                    status: u16::try_from(code)
                        .map_err(|_| StoreError::Corrupt("status code".into()))?,
                    body: row
                        .try_get::<Option<String>, _>("body")?
                        .unwrap_or_default(),
                },
                None if created + IDEM_ABANDONED_AFTER < now => {
                    sqlx::query("UPDATE idempotency_keys SET created = $1 WHERE account_id = $2 AND livemode = $3 AND key = $4")
                        .bind(now)
                        .bind(&scope.account)
                        .bind(scope.livemode)
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                    IdemBegin::Started
                }
                None => IdemBegin::InProgress,
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn idem_finish(
        &self,
        scope: &Scope,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE idempotency_keys SET status_code = $1, body = $2 WHERE account_id = $3 AND livemode = $4 AND key = $5")
            .bind(i64::from(status))
            .bind(body)
            .bind(&scope.account)
            .bind(scope.livemode)
            .bind(key)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn idem_release(&self, scope: &Scope, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE account_id = $1 AND livemode = $2 AND key = $3 AND status_code IS NULL")
            .bind(&scope.account)
            .bind(scope.livemode)
            .bind(key)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn idem_prune(&self, before: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created < $1")
            .bind(before)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}
