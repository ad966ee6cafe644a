//! What both backends share: the dynamic list queries, composed once
//! against [`Sink`] (sqlx's `QueryBuilder` for PostgreSQL, a `?`-placeholder
//! builder for SQLite), page trimming, migrations plumbing and the retry
//! schedule. The fixed statements live with their backend: PostgreSQL runs
//! them through sqlx, SQLite in-process through rusqlite, and the two
//! differ where it matters (row locks and `SKIP LOCKED` on PostgreSQL; the
//! single in-process writer on SQLite).

use crate::model::{Cursor, EventQuery, ListPage, ListQuery, Record, Scope};
use crate::StoreResult;
use sqlx::{Database, Encode, QueryBuilder, Type};

/// Where a dynamically built statement goes: sqlx's `QueryBuilder` for
/// PostgreSQL, [`crate::sqlite`]'s own builder for SQLite. The list queries
/// are composed once, here, against this.
pub(crate) trait Sink<'a> {
    fn sql(&mut self, text: &str);
    fn int(&mut self, value: i64);
    fn flag(&mut self, value: bool);
    fn text(&mut self, value: &'a str);
}

impl<'a, DB: Database> Sink<'a> for QueryBuilder<'a, DB>
where
    i64: Encode<'a, DB> + Type<DB>,
    bool: Encode<'a, DB> + Type<DB>,
    &'a str: Encode<'a, DB> + Type<DB>,
    String: Encode<'a, DB> + Type<DB>,
{
    fn sql(&mut self, text: &str) {
        self.push(text);
    }
    fn int(&mut self, value: i64) {
        self.push_bind(value);
    }
    fn flag(&mut self, value: bool) {
        self.push_bind(value);
    }
    fn text(&mut self, value: &'a str) {
        self.push_bind(value);
    }
}

/// `SELECT … FROM objects` for one page of a list query.
pub(crate) fn list_objects<'a>(
    sink: &mut impl Sink<'a>,
    scope: &'a Scope,
    query: &'a ListQuery,
    cursor_seq: Option<i64>,
) {
    sink.sql("SELECT id, created, version, data FROM objects WHERE account_id = ");
    sink.text(&scope.account);
    sink.sql(" AND livemode = ");
    sink.flag(scope.livemode);
    sink.sql(" AND kind = ");
    sink.text(query.kind);
    for (column, value) in &query.eq {
        sink.sql(" AND ");
        sink.sql(column.sql());
        sink.sql(" = ");
        sink.text(value.as_str());
    }
    push_page(sink, query, cursor_seq);
}

/// `SELECT … FROM events` for one page of an event query; a type ending in
/// `*` matches as a prefix.
pub(crate) fn list_events<'a>(
    sink: &mut impl Sink<'a>,
    scope: &'a Scope,
    query: &'a EventQuery,
    prefixes: &'a [String],
    cursor_seq: Option<i64>,
) {
    sink.sql("SELECT id, type, created, data, pending_webhooks FROM events WHERE account_id = ");
    sink.text(&scope.account);
    sink.sql(" AND livemode = ");
    sink.flag(scope.livemode);
    if !query.types.is_empty() {
        sink.sql(" AND (");
        let mut prefixes = prefixes.iter();
        for (i, t) in query.types.iter().enumerate() {
            if i > 0 {
                sink.sql(" OR ");
            }
            match (t.ends_with('*'), prefixes.next()) {
                (true, Some(like)) => {
                    sink.sql("type LIKE ");
                    sink.text(like);
                }
                _ => {
                    sink.sql("type = ");
                    sink.text(t);
                }
            }
        }
        sink.sql(")");
    }
    push_page(sink, &query.page, cursor_seq);
}

/// The `LIKE` patterns of an event query's prefix types (`checkout.*` →
/// `checkout.%`), in order; [`list_events`] borrows them.
pub(crate) fn type_patterns(query: &EventQuery) -> Vec<String> {
    query
        .types
        .iter()
        .filter_map(|t| t.strip_suffix('*').map(|p| format!("{p}%")))
        .collect()
}

/// Append the `created` bounds, cursor, order and limit clauses.
fn push_page<'a>(sink: &mut impl Sink<'a>, query: &ListQuery, cursor_seq: Option<i64>) {
    let c = &query.created;
    for (op, bound) in [
        (" > ", c.gt),
        (" >= ", c.gte),
        (" < ", c.lt),
        (" <= ", c.lte),
    ] {
        if let Some(v) = bound {
            sink.sql(" AND created");
            sink.sql(op);
            sink.int(v);
        }
    }
    // One extra row tells whether there is another page.
    let fetch = query.limit + 1;
    match (&query.cursor, cursor_seq) {
        (Cursor::EndingBefore(_), Some(seq)) => {
            sink.sql(" AND seq > ");
            sink.int(seq);
            sink.sql(" ORDER BY seq ASC LIMIT ");
        }
        (_, Some(seq)) => {
            sink.sql(" AND seq < ");
            sink.int(seq);
            sink.sql(" ORDER BY seq DESC LIMIT ");
        }
        (_, None) => sink.sql(" ORDER BY seq DESC LIMIT "),
    }
    sink.int(fetch);
}

/// The migrations of one backend: its `0001_init.sql`, embedded.
pub(crate) fn migrator(init_sql: &'static str) -> sqlx::migrate::Migrator {
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    use std::borrow::Cow;
    Migrator {
        migrations: Cow::Owned(vec![Migration::new(
            1,
            Cow::Borrowed("init"),
            MigrationType::Simple,
            Cow::Borrowed(init_sql),
            false,
        )]),
        ..Migrator::DEFAULT
    }
}

/// Times a transaction that hit a serialization failure is rerun.
pub(crate) const MAX_RETRIES: u32 = 5;

/// Pause before rerun `attempt` (1-based): 5, 10, 20, 40, 80 ms.
pub(crate) fn retry_pause(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_millis(5 << attempt.saturating_sub(1).min(6))
}

/// Trim the extra row and put an `ending_before` page newest first;
/// returns whether there is another page.
pub(crate) fn trim_page<T>(records: &mut Vec<T>, query: &ListQuery) -> bool {
    let limit = usize::try_from(query.limit).unwrap_or(0);
    let has_more = records.len() > limit;
    records.truncate(limit);
    if matches!(query.cursor, Cursor::EndingBefore(_)) {
        records.reverse();
    }
    has_more
}

/// [`trim_page`] into a [`ListPage`].
pub(crate) fn page(mut records: Vec<Record>, query: &ListQuery) -> StoreResult<ListPage> {
    let has_more = trim_page(&mut records, query);
    Ok(ListPage { records, has_more })
}
