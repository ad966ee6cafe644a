//! The read-modify-write of [`crate::ObjectStore::update`] on PostgreSQL:
//! this node's guess ([`super::hints`]), then optimistic attempts (write
//! only if the row's `version` is still the one read), then the row lock
//! (`SELECT … FOR UPDATE`), which guarantees progress when the row keeps
//! changing under several nodes.

use super::objects::{insert_events, insert_plain, read_object};
use super::PostgresStore;
use crate::model::*;
use crate::{StoreError, StoreResult};
use sqlx::Postgres;

/// Optimistic attempts of an update before it takes the row lock.
const OPTIMISTIC_TRIES: u32 = 2;

pub(super) type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

/// Bind the filter columns, in the order of [`Index`]'s fields.
pub(super) fn bind_index<'q>(query: PgQuery<'q>, i: &'q Index) -> PgQuery<'q> {
    query
        .bind(&i.status)
        .bind(&i.email)
        .bind(&i.customer)
        .bind(&i.payment_intent)
        .bind(&i.payment_link)
        .bind(&i.subscription)
        .bind(i.expires_at)
}

/// Write `change` over the object if it still has `current`'s version;
/// whether it did.
async fn write_change<'e>(
    exec: impl sqlx::PgExecutor<'e>,
    current: &Record,
    change: &Change,
) -> StoreResult<bool> {
    let update = sqlx::query(
        "UPDATE objects SET version = version + 1, status = $1, email = $2, customer = $3, payment_intent = $4, payment_link = $5, subscription = $6, expires_at = $7, data = $8 WHERE id = $9 AND version = $10",
    );
    let done = bind_index(update, &change.index)
        .bind(&change.data)
        .bind(&current.id)
        .bind(current.version)
        .execute(exec)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The objects and events a change brings along.
async fn write_side(
    tx: &mut sqlx::PgConnection,
    scope: &Scope,
    change: &Change,
) -> StoreResult<()> {
    for o in &change.inserts {
        insert_plain(tx, scope, o).await?;
    }
    insert_events(tx, scope, &change.events).await
}

/// The record as `change` leaves it.
fn updated(current: Record, change: Change) -> Record {
    Record {
        id: current.id,
        created: current.created,
        version: current.version + 1,
        data: change.data,
    }
}

impl PostgresStore {
    /// One optimistic read-modify-write: read without a lock, run the
    /// closure, and write only if the row still has the version read
    /// (`None` if it moved on meanwhile). With nothing else to write this
    /// is two statements and no transaction, against five (`BEGIN`,
    /// `SELECT … FOR UPDATE`, `UPDATE`, `COMMIT`) for the locked path.
    async fn update_optimistic(
        &self,
        scope: &Scope,
        kind: &str,
        id: &str,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Option<Record>> {
        let current = read_object(&self.reader, scope, kind, id, false)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.write_if_current(scope, current, f).await
    }

    /// Run the closure on `current` and write its change if the row still
    /// has `current`'s version (`None` if it moved on).
    async fn write_if_current(
        &self,
        scope: &Scope,
        current: Record,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Option<Record>> {
        let change = f(&current)?;
        let written = if change.inserts.is_empty() && change.events.is_empty() {
            write_change(&self.writer, &current, &change).await?
        } else {
            // The objects and events it brings go in with it, or not at all
            // (dropping the transaction rolls it back).
            let mut tx = self.writer.begin().await?;
            let written = write_change(&mut *tx, &current, &change).await?;
            if written {
                write_side(&mut tx, scope, &change).await?;
                tx.commit().await?;
            }
            written
        };
        Ok(written.then(|| updated(current, change)))
    }

    /// [`ObjectStore::update`]: the guess, then optimistic, then locked.
    pub(super) async fn update_any(
        &self,
        scope: &Scope,
        kind: &str,
        id: &str,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Record> {
        if let Some(guess) = self.hints.guess(scope, kind, id) {
            match self.write_if_current(scope, guess, &mut *f).await {
                Ok(Some(done)) => return Ok(done),
                // The guess was stale (the closure may also have rejected
                // an old state): read the row and go on as without one.
                Ok(None) | Err(StoreError::Rejected(_) | StoreError::Retryable(_)) => {}
                Err(e) => return Err(e),
            }
        }
        // Optimistic first (the common case: nobody else is writing this
        // object); a row that keeps moving under us gets the row lock,
        // which guarantees progress. The closure may run more than once:
        // it only computes a change from the record it is given.
        for _ in 0..OPTIMISTIC_TRIES {
            match self.update_optimistic(scope, kind, id, &mut *f).await {
                Ok(Some(done)) => return Ok(done),
                Ok(None) | Err(StoreError::Retryable(_)) => {}
                Err(e) => return Err(e),
            }
        }
        // Serialization failures (CockroachDB's SERIALIZABLE, or a
        // deadlock) abort the whole transaction, so rerunning it,
        // closure included, is safe.
        let mut attempt = 0;
        loop {
            match self.update_once(scope, kind, id, &mut *f).await {
                Err(StoreError::Retryable(e)) if attempt < crate::sql::MAX_RETRIES => {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "retrying a conflicted transaction");
                    tokio::time::sleep(crate::sql::retry_pause(attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// The locked read-modify-write: the row lock (`FOR UPDATE`) makes it
    /// atomic, so the version check in the write always holds.
    async fn update_once(
        &self,
        scope: &Scope,
        kind: &str,
        id: &str,
        f: &mut Mutator<'_>,
    ) -> StoreResult<Record> {
        let mut tx = self.writer.begin().await?;
        let current = read_object(&mut *tx, scope, kind, id, true)
            .await?
            .ok_or(StoreError::NotFound)?;
        let change = f(&current)?;
        if !write_change(&mut *tx, &current, &change).await? {
            return Err(StoreError::Corrupt(format!(
                "{id} changed under its row lock"
            )));
        }
        write_side(&mut tx, scope, &change).await?;
        tx.commit().await?;
        Ok(updated(current, change))
    }
}
