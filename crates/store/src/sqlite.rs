//! The embedded default: SQLite in WAL mode.
//!
//! One writer connection serialises every write (SQLite allows one writer at
//! a time anyway; doing it in the pool avoids `SQLITE_BUSY` retries), and a
//! pool of read-only connections serves reads concurrently under WAL.
//!
//! Durability: `synchronous = NORMAL` in WAL mode. A commit is in the WAL
//! before the request is acknowledged, so a killed process (`kill -9`) loses
//! nothing; only an operating-system crash or power loss can drop the last
//! transactions. `synchronous = FULL` would also cover that, at one fsync per
//! commit.

use crate::model::*;
use crate::{
    AccountStore, EventStore, IdempotencyStore, ObjectStore, Store, StoreError, StoreResult,
};
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// SQLite-backed [`Store`].
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Open (creating if missing) the database at `url`.
    pub async fn connect(url: &str, options: &PoolOptions) -> StoreResult<Self> {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        // An in-memory database lives in its connection: one connection
        // serves reads and writes, and is never closed.
        let writer = SqlitePoolOptions::new()
            // A request cancelled mid-transaction must not hand the single
            // writer on with a transaction still open: such a connection
            // is closed instead of reused.
            .after_release(|conn, _| {
                Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
            })
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(options.acquire_timeout)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(connect.clone())
            .await?;
        let reader = if memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect.read_only(true))
                .await?
        };
        Ok(Self { writer, reader })
    }
}

crate::sql::sql_store!(SqliteStore, Sqlite, "BEGIN IMMEDIATE", "", "");

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        crate::sql::migrator(include_str!("../migrations/sqlite/0001_init.sql"))
            .run(&self.writer)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
