//! [`ObjectStore`] on PostgreSQL: objects as JSON rows with their filter
//! columns, and the row helpers the update path and the event store share.
//! Reads go through the node's [`super::hints`], so the next update of an
//! object this node saw can skip reading it again.

use super::update::bind_index;
use super::PostgresStore;
use crate::model::*;
use crate::{ObjectStore, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder, Row};

pub(super) fn record(row: &sqlx::postgres::PgRow) -> StoreResult<Record> {
    Ok(Record {
        id: row.try_get("id")?,
        created: row.try_get("created")?,
        version: row.try_get("version")?,
        data: row.try_get("data")?,
    })
}

/// Insert an object that no list filters on (no index columns).
pub(super) async fn insert_plain(
    tx: &mut sqlx::PgConnection,
    scope: &Scope,
    o: &OwnedObject,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO objects (id, account_id, livemode, kind, created, version, data) VALUES ($1, $2, $3, $4, $5, 1, $6)")
        .bind(&o.id)
        .bind(&scope.account)
        .bind(scope.livemode)
        .bind(o.kind)
        .bind(o.created)
        .bind(&o.data)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub(super) async fn insert_events(
    tx: &mut sqlx::PgConnection,
    scope: &Scope,
    events: &[NewEvent],
) -> StoreResult<()> {
    for e in events {
        sqlx::query("INSERT INTO events (id, account_id, livemode, type, created, data) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&e.id)
            .bind(&scope.account)
            .bind(scope.livemode)
            .bind(&e.event_type)
            .bind(e.created)
            .bind(&e.data)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// One object of `kind` in `scope`; `FOR UPDATE` also takes its row lock.
pub(super) async fn read_object<'e>(
    exec: impl sqlx::PgExecutor<'e>,
    scope: &Scope,
    kind: &str,
    id: &str,
    for_update: bool,
) -> StoreResult<Option<Record>> {
    let sql = if for_update {
        "SELECT id, created, version, data FROM objects WHERE id = $1 AND account_id = $2 AND livemode = $3 AND kind = $4 FOR UPDATE"
    } else {
        "SELECT id, created, version, data FROM objects WHERE id = $1 AND account_id = $2 AND livemode = $3 AND kind = $4"
    };
    let row = sqlx::query(sql)
        .bind(id)
        .bind(&scope.account)
        .bind(scope.livemode)
        .bind(kind)
        .fetch_optional(exec)
        .await?;
    row.as_ref().map(record).transpose()
}

#[async_trait]
impl ObjectStore for PostgresStore {
    async fn insert_with(
        &self,
        scope: &Scope,
        obj: NewObject<'_>,
        also: Vec<OwnedObject>,
        events: Vec<NewEvent>,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin_with("BEGIN").await?;
        for o in &also {
            insert_plain(&mut tx, scope, o).await?;
        }
        let insert = sqlx::query(
            "INSERT INTO objects (id, account_id, livemode, kind, created, version, status, email, customer, payment_intent, payment_link, subscription, expires_at, data) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(obj.id)
        .bind(&scope.account)
        .bind(scope.livemode)
        .bind(obj.kind)
        .bind(obj.created);
        bind_index(insert, &obj.index)
            .bind(&obj.data)
            .execute(&mut *tx)
            .await?;
        insert_events(&mut tx, scope, &events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get(&self, scope: &Scope, kind: &str, id: &str) -> StoreResult<Option<Record>> {
        let found = read_object(&self.reader, scope, kind, id, false).await?;
        if let Some(record) = &found {
            // What is read is often updated next (a retrieve, then an update).
            self.hints.remember(scope, kind, record);
        }
        Ok(found)
    }

    async fn get_any(&self, kind: &str, id: &str) -> StoreResult<Option<(Scope, Record)>> {
        let row = sqlx::query("SELECT id, created, version, data, account_id, livemode FROM objects WHERE id = $1 AND kind = $2")
            .bind(id)
            .bind(kind)
            .fetch_optional(&self.reader)
            .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let scope = Scope {
                    account: row.try_get("account_id")?,
                    livemode: row.try_get("livemode")?,
                };
                Ok(Some((scope, record(&row)?)))
            }
        }
    }

    async fn delete(&self, scope: &Scope, kind: &str, id: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "DELETE FROM objects WHERE id = $1 AND account_id = $2 AND livemode = $3 AND kind = $4",
        )
        .bind(id)
        .bind(&scope.account)
        .bind(scope.livemode)
        .bind(kind)
        .execute(&self.writer)
        .await?;
        self.hints.forget(id);
        Ok(done.rows_affected() == 1)
    }

    async fn update(
        &self,
        scope: &Scope,
        kind: &str,
        id: &str,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Record> {
        let done = self.update_any(scope, kind, id, f).await;
        match &done {
            Ok(record) => self.hints.remember(scope, kind, record),
            Err(_) => self.hints.forget(id),
        }
        done
    }

    async fn due(&self, kind: &str, real_now: i64, limit: i64) -> StoreResult<Vec<Due>> {
        // Per account and mode, so `expires_at <= constant` can use
        // the partial index on open objects.
        let accounts = sqlx::query("SELECT id, test_clock_offset FROM accounts")
            .fetch_all(&self.reader)
            .await?;
        let mut due = Vec::new();
        for row in &accounts {
            let account: String = row.try_get("id")?;
            let offset: i64 = row.try_get("test_clock_offset")?;
            for livemode in [false, true] {
                let now = if livemode {
                    real_now
                } else {
                    real_now + offset
                };
                let left = limit - i64::try_from(due.len()).unwrap_or(limit);
                if left <= 0 {
                    return Ok(due);
                }
                let ids: Vec<String> = sqlx::query_scalar(
                    "SELECT id FROM objects WHERE status = 'open' AND expires_at <= $1 AND account_id = $2 AND livemode = $3 AND kind = $4 ORDER BY expires_at LIMIT $5",
                )
                .bind(now)
                .bind(&account)
                .bind(livemode)
                .bind(kind)
                .bind(left)
                .fetch_all(&self.reader)
                .await?;
                due.extend(ids.into_iter().map(|id| Due {
                    scope: Scope {
                        account: account.clone(),
                        livemode,
                    },
                    id,
                    now,
                }));
            }
        }
        Ok(due)
    }

    async fn list(&self, scope: &Scope, query: &ListQuery) -> StoreResult<ListPage> {
        let mut conn = self.reader.acquire().await?;
        let cursor_seq = match &query.cursor {
            Cursor::First => None,
            Cursor::StartingAfter(id) | Cursor::EndingBefore(id) => {
                let seq: Option<i64> = sqlx::query_scalar(
                    "SELECT seq FROM objects WHERE id = $1 AND account_id = $2 AND livemode = $3 AND kind = $4",
                )
                .bind(id)
                .bind(&scope.account)
                .bind(scope.livemode)
                .bind(query.kind)
                .fetch_optional(&mut *conn)
                .await?;
                Some(seq.ok_or(StoreError::NotFound)?)
            }
        };
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("");
        crate::sql::list_objects(&mut qb, scope, query, cursor_seq);
        let rows = qb.build().fetch_all(&mut *conn).await?;
        crate::sql::page(
            rows.iter().map(record).collect::<StoreResult<Vec<_>>>()?,
            query,
        )
    }
}
