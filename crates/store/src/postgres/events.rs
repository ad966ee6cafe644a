//! [`EventStore`] on PostgreSQL: events and the webhook outbox. Fan-out
//! and delivery claims are safe with several nodes: each event and each
//! due delivery is claimed by one.

use super::PostgresStore;
use crate::model::*;
use crate::ObjectStore;
use crate::{EventStore, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder, Row};

fn event_record(row: &sqlx::postgres::PgRow) -> StoreResult<EventRecord> {
    Ok(EventRecord {
        id: row.try_get("id")?,
        event_type: row.try_get("type")?,
        created: row.try_get("created")?,
        data: row.try_get("data")?,
        pending_webhooks: row.try_get("pending_webhooks")?,
    })
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn get_event(&self, scope: &Scope, id: &str) -> StoreResult<Option<EventRecord>> {
        let row = sqlx::query("SELECT id, type, created, data, pending_webhooks FROM events WHERE id = $1 AND account_id = $2 AND livemode = $3")
            .bind(id)
            .bind(&scope.account)
            .bind(scope.livemode)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(event_record).transpose()
    }

    async fn list_events(&self, scope: &Scope, query: &EventQuery) -> StoreResult<EventPage> {
        let mut conn = self.reader.acquire().await?;
        let cursor_seq = match &query.page.cursor {
            Cursor::First => None,
            Cursor::StartingAfter(id) | Cursor::EndingBefore(id) => {
                let seq: Option<i64> = sqlx::query_scalar(
                    "SELECT seq FROM events WHERE id = $1 AND account_id = $2 AND livemode = $3",
                )
                .bind(id)
                .bind(&scope.account)
                .bind(scope.livemode)
                .fetch_optional(&mut *conn)
                .await?;
                Some(seq.ok_or(StoreError::NotFound)?)
            }
        };
        let patterns = crate::sql::type_patterns(query);
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("");
        crate::sql::list_events(&mut qb, scope, query, &patterns, cursor_seq);
        let rows = qb.build().fetch_all(&mut *conn).await?;
        let mut records = rows
            .iter()
            .map(event_record)
            .collect::<StoreResult<Vec<_>>>()?;
        let has_more = crate::sql::trim_page(&mut records, &query.page);
        Ok(EventPage { records, has_more })
    }

    async fn fan_out(
        &self,
        endpoint_kind: &str,
        limit: i64,
        now_ms: i64,
        matches: &EndpointMatcher<'_>,
    ) -> StoreResult<usize> {
        let mut tx = self.writer.begin_with("BEGIN").await?;
        let events = sqlx::query("SELECT id, account_id, livemode, type, created FROM events WHERE fanned_out = 0 ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED")
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut endpoints: std::collections::HashMap<(String, bool), Vec<(String, String)>> =
            std::collections::HashMap::new();
        for row in &events {
            let id: String = row.try_get("id")?;
            let account: String = row.try_get("account_id")?;
            let livemode: bool = row.try_get("livemode")?;
            let event_type: String = row.try_get("type")?;
            let created: i64 = row.try_get("created")?;
            let key = (account.clone(), livemode);
            if !endpoints.contains_key(&key) {
                let rows = sqlx::query("SELECT id, data FROM objects WHERE account_id = $1 AND livemode = $2 AND kind = $3")
                    .bind(&account)
                    .bind(livemode)
                    .bind(endpoint_kind)
                    .fetch_all(&mut *tx)
                    .await?;
                let list = rows
                    .iter()
                    .map(|r| {
                        Ok((
                            r.try_get::<String, _>("id")?,
                            r.try_get::<String, _>("data")?,
                        ))
                    })
                    .collect::<StoreResult<Vec<_>>>()?;
                endpoints.insert(key.clone(), list);
            }
            let mut pending: i64 = 0;
            for (endpoint_id, data) in endpoints.get(&key).map(Vec::as_slice).unwrap_or_default() {
                if !matches(&event_type, created, data) {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO webhook_deliveries (event_id, endpoint_id, account_id, livemode, state, attempts, next_attempt_at, locked_until) \
                     VALUES ($1, $2, $3, $4, 'pending', 0, $5, 0) ON CONFLICT DO NOTHING",
                )
                .bind(&id)
                .bind(endpoint_id)
                .bind(&account)
                .bind(livemode)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
                pending += 1;
            }
            sqlx::query("UPDATE events SET fanned_out = 1, pending_webhooks = $1 WHERE id = $2")
                .bind(pending)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(events.len())
    }

    async fn claim_deliveries(
        &self,
        endpoint_kind: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<Delivery>> {
        let claimed = sqlx::query(concat!(
            "UPDATE webhook_deliveries SET locked_until = $1 WHERE (event_id, endpoint_id) IN (",
            "SELECT event_id, endpoint_id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $2 AND locked_until <= $2 ",
            "ORDER BY next_attempt_at LIMIT $3",
                    " FOR UPDATE SKIP LOCKED",
            ") RETURNING event_id, endpoint_id, account_id, livemode, attempts"
        ))
        .bind(now_ms + lease_ms)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.writer)
        .await?;
        let mut out = Vec::with_capacity(claimed.len());
        for row in &claimed {
            let scope = Scope {
                account: row.try_get("account_id")?,
                livemode: row.try_get("livemode")?,
            };
            let event_id: String = row.try_get("event_id")?;
            let endpoint_id: String = row.try_get("endpoint_id")?;
            let event = self.get_event(&scope, &event_id).await?;
            let endpoint = self
                .get(&scope, endpoint_kind, &endpoint_id)
                .await?
                .map(|r| r.data);
            out.push(Delivery {
                scope,
                event_id,
                endpoint_id,
                attempts: row.try_get("attempts")?,
                event,
                endpoint,
            });
        }
        Ok(out)
    }

    async fn finish_delivery(
        &self,
        event_id: &str,
        endpoint_id: &str,
        outcome: &DeliveryOutcome,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin_with("BEGIN").await?;
        let (state, next, status, error) = outcome.columns();
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, next_attempt_at = COALESCE($2, next_attempt_at), \
             locked_until = 0, last_status = $3, last_error = $4 WHERE event_id = $5 AND endpoint_id = $6 AND state = 'pending'",
        )
        .bind(state)
        .bind(next)
        .bind(status.map(i64::from))
        .bind(error)
        .bind(event_id)
        .bind(endpoint_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 && matches!(outcome, DeliveryOutcome::Delivered { .. }) {
            sqlx::query("UPDATE events SET pending_webhooks = pending_webhooks - 1 WHERE id = $1 AND pending_webhooks > 0")
                .bind(event_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
