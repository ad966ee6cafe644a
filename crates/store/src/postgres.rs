//! PostgreSQL, for any number of stateless checkoutd nodes on one database.
//!
//! Read-modify-writes take the row lock (`SELECT … FOR UPDATE`), so updates
//! of one session through different nodes serialise on the row and none is
//! lost; idempotency keys are claimed by the primary key, so the same key
//! sent to two nodes at once runs once. Migrations take sqlx's advisory lock,
//! so nodes starting together migrate once. The SQL is the portable subset
//! shared with SQLite (see [`crate::sql`]); CockroachDB needs nothing more
//! than retrying serialisation failures, which its SERIALIZABLE default can
//! raise (see the README).

use crate::model::*;
use crate::{
    AccountStore, EventStore, IdempotencyStore, ObjectStore, Store, StoreError, StoreResult,
};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use std::str::FromStr;

/// PostgreSQL-backed [`Store`].
pub struct PostgresStore {
    writer: PgPool,
    reader: PgPool,
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
        })
    }
}

crate::sql::sql_store!(
    PostgresStore,
    Postgres,
    "BEGIN",
    " FOR UPDATE",
    " FOR UPDATE SKIP LOCKED"
);

#[async_trait]
impl Store for PostgresStore {
    async fn migrate(&self) -> StoreResult<()> {
        crate::sql::migrator(include_str!("../migrations/postgres/0001_init.sql"))
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
