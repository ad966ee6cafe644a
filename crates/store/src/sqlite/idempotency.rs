//! [`IdempotencyStore`] on SQLite: the `Idempotency-Key`s of POST requests,
//! claimed, finished with their response, released or pruned. A claim is
//! a write, so two requests with one key are ordered by the writer.

use super::SqliteStore;
use crate::model::*;
use crate::{IdempotencyStore, StoreError, StoreResult};
use async_trait::async_trait;
use rusqlite::params;

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn idem_begin(
        &self,
        scope: &Scope,
        key: &str,
        fingerprint: &str,
        now: i64,
    ) -> StoreResult<IdemBegin> {
        let (scope, key, fingerprint) = (scope.clone(), key.to_owned(), fingerprint.to_owned());
        self.write(move |tx| {
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO idempotency_keys (account_id, livemode, key, fingerprint, created) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                )?
                .execute(params![scope.account, scope.livemode, key, fingerprint, now])?;
            if inserted == 1 {
                return Ok(IdemBegin::Started);
            }
            let (stored, status, body, created): (String, Option<i64>, Option<String>, i64) = tx
                .prepare_cached(
                    "SELECT fingerprint, status_code, body, created FROM idempotency_keys WHERE account_id = ?1 AND livemode = ?2 AND key = ?3",
                )?
                .query_row(params![scope.account, scope.livemode, key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?;
            Ok(match status {
                _ if stored != fingerprint => IdemBegin::Mismatch,
                Some(code) => IdemBegin::Replay {
                    status: u16::try_from(code).map_err(|_| StoreError::Corrupt("status code".into()))?,
                    body: body.unwrap_or_default(),
                },
                None if created + IDEM_ABANDONED_AFTER < now => {
                    tx.prepare_cached("UPDATE idempotency_keys SET created = ?1 WHERE account_id = ?2 AND livemode = ?3 AND key = ?4")?
                        .execute(params![now, scope.account, scope.livemode, key])?;
                    IdemBegin::Started
                }
                None => IdemBegin::InProgress,
            })
        })
        .await
    }

    async fn idem_finish(
        &self,
        scope: &Scope,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        let (scope, key, body) = (scope.clone(), key.to_owned(), body.to_owned());
        self.write(move |tx| {
            tx.prepare_cached(
                "UPDATE idempotency_keys SET status_code = ?1, body = ?2 WHERE account_id = ?3 AND livemode = ?4 AND key = ?5",
            )?
            .execute(params![i64::from(status), body, scope.account, scope.livemode, key])?;
            Ok(())
        })
        .await
    }

    async fn idem_release(&self, scope: &Scope, key: &str) -> StoreResult<()> {
        let (scope, key) = (scope.clone(), key.to_owned());
        self.write(move |tx| {
            tx.prepare_cached(
                "DELETE FROM idempotency_keys WHERE account_id = ?1 AND livemode = ?2 AND key = ?3 AND status_code IS NULL",
            )?
            .execute(params![scope.account, scope.livemode, key])?;
            Ok(())
        })
        .await
    }

    async fn idem_prune(&self, before: i64) -> StoreResult<u64> {
        self.write(move |tx| {
            let n = tx
                .prepare_cached("DELETE FROM idempotency_keys WHERE created < ?1")?
                .execute(params![before])?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
        .await
    }
}
