//! PostgreSQL, for any number of stateless checkoutd nodes on one database.
//!
//! Read-modify-writes are optimistic (write only if the row's `version` is
//! still the one read) and fall back to the row lock (`SELECT … FOR
//! UPDATE`) when the row keeps changing, so updates of one session through
//! different nodes serialise and none is lost. An update first tries the
//! state this node last saw ([`hints`]): one round trip when no other node
//! wrote since. Idempotency keys are claimed by the primary key, so the same key
//! sent to two nodes at once runs once. Migrations take sqlx's advisory lock,
//! so nodes starting together migrate once. The list queries are composed in
//! [`crate::sql`], shared with SQLite; CockroachDB needs nothing more
//! than retrying serialisation failures, which its SERIALIZABLE default can
//! raise (see the README).

mod accounts;
mod events;
mod hints;
mod idempotency;
mod objects;
mod update;

use crate::model::*;
use crate::{Store, StoreResult};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;

/// PostgreSQL-backed [`Store`].
pub struct PostgresStore {
    writer: PgPool,
    reader: PgPool,
    /// What this node last read or wrote of each object.
    hints: hints::Hints,
}

impl PostgresStore {
    /// Connect a pool to `url`.
    pub async fn connect(url: &str, options: &PoolOptions) -> StoreResult<Self> {
        let timeout = format!("{}ms", options.statement_timeout.as_millis());
        let connect =
            PgConnectOptions::from_str(url)?.options([("statement_timeout", timeout.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(2))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await?;
        Ok(Self {
            writer: pool.clone(),
            reader: pool,
            hints: hints::Hints::default(),
        })
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn migrate(&self) -> StoreResult<()> {
        crate::sql::migrator(include_str!("../../migrations/postgres/0001_init.sql"))
            .run(&self.writer)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}
