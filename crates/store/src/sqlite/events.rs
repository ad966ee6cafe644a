//! [`EventStore`] on SQLite: the events written with each change, and the
//! webhook outbox (fan-out of events to endpoints, claimed deliveries and
//! their outcomes).
//!
//! Fan-out asks the server's matcher which endpoints want an event. The
//! matcher borrows the caller's state, so it cannot run on the blocking
//! pool: fan-out reads the candidates, matches them on the caller's task
//! and writes the deliveries, keeping the writer's turn throughout so no
//! other write claims the same events in between.

use super::objects::{cursor_seq, Built};
use super::SqliteStore;
use crate::model::*;
use crate::{EventStore, StoreResult};
use async_trait::async_trait;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use std::collections::HashMap;

fn event_record(row: &Row<'_>) -> rusqlite::Result<EventRecord> {
    Ok(EventRecord {
        id: row.get(0)?,
        event_type: row.get(1)?,
        created: row.get(2)?,
        data: row.get(3)?,
        pending_webhooks: row.get(4)?,
    })
}

fn get_event(conn: &Connection, scope: &Scope, id: &str) -> StoreResult<Option<EventRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, type, created, data, pending_webhooks FROM events WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
        )?
        .query_row(params![id, scope.account, scope.livemode], event_record)
        .optional()?)
}

/// An event not fanned out yet: id, account, livemode, type, created.
type Unfanned = (String, String, bool, String, i64);
/// The endpoints (id, data) of each account and mode.
type Endpoints = HashMap<(String, bool), Vec<(String, String)>>;

/// Up to `limit` events not fanned out yet, and the endpoints of their scopes.
fn unfanned(
    conn: &Connection,
    endpoint_kind: &str,
    limit: i64,
) -> StoreResult<(Vec<Unfanned>, Endpoints)> {
    let events: Vec<Unfanned> = conn
        .prepare_cached("SELECT id, account_id, livemode, type, created FROM events WHERE fanned_out = 0 ORDER BY seq LIMIT ?1")?
        .query_map(params![limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut endpoints = Endpoints::new();
    for (_, account, livemode, ..) in &events {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            endpoints.entry((account.clone(), *livemode))
        {
            let list = conn
                .prepare_cached("SELECT id, data FROM objects WHERE account_id = ?1 AND livemode = ?2 AND kind = ?3")?
                .query_map(params![account, livemode, endpoint_kind], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            slot.insert(list);
        }
    }
    Ok((events, endpoints))
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn get_event(&self, scope: &Scope, id: &str) -> StoreResult<Option<EventRecord>> {
        let (scope, id) = (scope.clone(), id.to_owned());
        self.read(move |conn| get_event(conn, &scope, &id)).await
    }

    async fn list_events(&self, scope: &Scope, query: &EventQuery) -> StoreResult<EventPage> {
        let (scope, query) = (scope.clone(), query.clone());
        self.read(move |conn| {
            let seq = cursor_seq(
                conn,
                "SELECT seq FROM events WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
                &query.page.cursor,
                &[&scope.account, &scope.livemode],
            )?;
            let patterns = crate::sql::type_patterns(&query);
            let mut built = Built::default();
            crate::sql::list_events(&mut built, &scope, &query, &patterns, seq);
            let mut records = conn
                .prepare_cached(&built.sql)?
                .query_map(params_from_iter(built.params), event_record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let has_more = crate::sql::trim_page(&mut records, &query.page);
            Ok(EventPage { records, has_more })
        })
        .await
    }

    async fn fan_out(
        &self,
        endpoint_kind: &str,
        limit: i64,
        now_ms: i64,
        matches: &EndpointMatcher<'_>,
    ) -> StoreResult<usize> {
        // Read, planned here (`matches` stays on this thread), then
        // written; an event another fan-out took meanwhile is skipped.
        let kind = endpoint_kind.to_owned();
        let (events, endpoints) = self.read(move |conn| unfanned(conn, &kind, limit)).await?;
        if events.is_empty() {
            return Ok(0);
        }
        // Each event with the endpoints that want it.
        let plan: Vec<_> = events
            .into_iter()
            .map(|(id, account, livemode, event_type, created)| {
                let wanted: Vec<String> = endpoints
                    .get(&(account.clone(), livemode))
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .filter(|(_, data)| matches(&event_type, created, data))
                    .map(|(endpoint_id, _)| endpoint_id.clone())
                    .collect();
                (id, account, livemode, wanted)
            })
            .collect();
        self.write(move |tx| {
            let mut fanned = 0;
            for (id, account, livemode, wanted) in &plan {
                let pending = i64::try_from(wanted.len()).unwrap_or(i64::MAX);
                let taken = tx
                    .prepare_cached("UPDATE events SET fanned_out = 1, pending_webhooks = ?1 WHERE id = ?2 AND fanned_out = 0")?
                    .execute(params![pending, id])?;
                if taken == 0 {
                    continue;
                }
                fanned += 1;
                let mut deliver = tx.prepare_cached(
                    "INSERT INTO webhook_deliveries (event_id, endpoint_id, account_id, livemode, state, attempts, next_attempt_at, locked_until) \
                     VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, 0) ON CONFLICT DO NOTHING",
                )?;
                for endpoint_id in wanted {
                    deliver.execute(params![id, endpoint_id, account, livemode, now_ms])?;
                }
            }
            Ok(fanned)
        })
        .await
    }

    async fn claim_deliveries(
        &self,
        endpoint_kind: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<Delivery>> {
        let endpoint_kind = endpoint_kind.to_owned();
        self.write(move |tx| {
            type Claim = (String, String, String, bool, i64);
            let claimed: Vec<Claim> = tx
                .prepare_cached(
                    "UPDATE webhook_deliveries SET locked_until = ?1 WHERE (event_id, endpoint_id) IN (\
                     SELECT event_id, endpoint_id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?2 AND locked_until <= ?2 \
                     ORDER BY next_attempt_at LIMIT ?3) RETURNING event_id, endpoint_id, account_id, livemode, attempts",
                )?
                .query_map(params![now_ms + lease_ms, now_ms, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            claimed
                .into_iter()
                .map(|(event_id, endpoint_id, account, livemode, attempts)| {
                    let scope = Scope { account, livemode };
                    let event = get_event(tx, &scope, &event_id)?;
                    let endpoint = tx
                        .object(&endpoint_id)?
                        .filter(|c| c.is(&scope, &endpoint_kind))
                        .map(|c| c.record.data.clone());
                    Ok(Delivery {
                        scope,
                        event_id,
                        endpoint_id,
                        attempts,
                        event,
                        endpoint,
                    })
                })
                .collect()
        })
        .await
    }

    async fn finish_delivery(
        &self,
        event_id: &str,
        endpoint_id: &str,
        outcome: &DeliveryOutcome,
    ) -> StoreResult<()> {
        let (state, next, status, error) = outcome.columns();
        // Owned: the write runs on the writer's thread.
        let error = error.map(str::to_owned);
        let delivered = matches!(outcome, DeliveryOutcome::Delivered { .. });
        let (event_id, endpoint_id) = (event_id.to_owned(), endpoint_id.to_owned());
        self.write(move |tx| {
            let done = tx
                .prepare_cached(
                    "UPDATE webhook_deliveries SET state = ?1, attempts = attempts + 1, next_attempt_at = COALESCE(?2, next_attempt_at), \
                     locked_until = 0, last_status = ?3, last_error = ?4 WHERE event_id = ?5 AND endpoint_id = ?6 AND state = 'pending'",
                )?
                .execute(params![state, next, status.map(i64::from), error, event_id, endpoint_id])?;
            if done == 1 && delivered {
                tx.prepare_cached("UPDATE events SET pending_webhooks = pending_webhooks - 1 WHERE id = ?1 AND pending_webhooks > 0")?
                    .execute(params![event_id])?;
            }
            Ok(())
        })
        .await
    }
}
