//! Storage access shared by the Stripe endpoints: load, insert, modify and
//! list domain objects, turning storage outcomes into Stripe errors.
//!
//! Catalog lists filter on fields that have no column (`active`,
//! `currency`, …): [`list`] takes a predicate and reads pages of the
//! underlying index until it has `limit + 1` matches, so `has_more` and the
//! cursors stay exact. Checkout-session filters use indexed columns instead.

use super::context::Ctx;
use super::error::{StripeError, StripeResult};
use super::list;
use crate::http::AppState;
use checkout_domain::DomainResult;
use checkout_store::{
    Change, Cursor, Index, ListQuery, NewEvent, NewObject, OwnedObject, Record, StoreError,
    StoreResult,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A stored object's JSON, decoded.
pub fn decode<T: DeserializeOwned>(rec: &Record) -> StripeResult<T> {
    serde_json::from_str(&rec.data).map_err(|e| {
        tracing::error!(id = %rec.id, error = %e, "stored object does not decode");
        StripeError::internal()
    })
}

/// A new object's JSON for storage.
fn encode<T: Serialize>(value: &T) -> StripeResult<String> {
    serde_json::to_string(value).map_err(encode_failed)
}

pub fn encode_failed(e: impl std::fmt::Display) -> StripeError {
    tracing::error!(error = %e, "object does not encode");
    StripeError::internal()
}

/// Fetch an object or answer `No such {object}: '{id}'`.
pub async fn load<T: DeserializeOwned>(
    state: &AppState,
    ctx: &Ctx,
    kind: &str,
    object: &str,
    id: &str,
    param: Option<&str>,
) -> StripeResult<T> {
    decode(&load_record(state, ctx, kind, object, id, param).await?)
}

/// [`load`], leaving the stored record (its JSON and version) undecoded.
pub async fn load_record(
    state: &AppState,
    ctx: &Ctx,
    kind: &str,
    object: &str,
    id: &str,
    param: Option<&str>,
) -> StripeResult<Record> {
    state
        .store
        .get(&ctx.scope, kind, id)
        .await?
        .ok_or_else(|| StripeError::no_such(object, id, param.map(str::to_owned)))
}

/// Objects a request creates on the side (inline `product_data`,
/// `price_data`, `shipping_rate_data`), written with its main change.
#[derive(Debug, Default)]
pub struct Inline(pub Vec<OwnedObject>);

impl Inline {
    /// Queue one object for insertion.
    pub fn add<T: Serialize>(
        &mut self,
        kind: &'static str,
        id: &str,
        created: i64,
        value: &T,
    ) -> StripeResult<()> {
        self.0.push(OwnedObject {
            id: id.to_owned(),
            kind,
            created,
            data: encode(value)?,
        });
        Ok(())
    }
}

/// Store a new object with the events its creation emits.
pub async fn insert<T: Serialize>(
    state: &AppState,
    ctx: &Ctx,
    kind: &str,
    key: (&str, i64),
    value: &T,
    index: Index,
    events: Vec<NewEvent>,
) -> StripeResult<()> {
    insert_with(
        state,
        ctx,
        kind,
        key,
        value,
        index,
        Inline::default(),
        events,
    )
    .await
}

/// Store a new object with the objects it brings along and its events.
#[allow(clippy::too_many_arguments)]
pub async fn insert_with<T: Serialize>(
    state: &AppState,
    ctx: &Ctx,
    kind: &str,
    (id, created): (&str, i64),
    value: &T,
    index: Index,
    also: Inline,
    events: Vec<NewEvent>,
) -> StripeResult<()> {
    let obj = NewObject {
        id,
        kind,
        created,
        data: encode(value)?,
        index,
    };
    match state
        .store
        .insert_with(&ctx.scope, obj, also.0, events)
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict(_)) => Err(StripeError::invalid_request(
            format!("An object with ID '{id}' already exists."),
            Some("id".into()),
        )
        .code("resource_already_exists")),
        Err(e) => Err(e.into()),
    }
}

/// What a modification produces besides the new value.
pub struct Modified<T> {
    pub value: T,
    pub index: Index,
    pub events: Vec<NewEvent>,
    /// Objects to insert in the same transaction.
    pub inserts: Vec<OwnedObject>,
}

impl<T> Modified<T> {
    /// A new value with its index and events, creating nothing else.
    pub fn new(value: T, index: Index, events: Vec<NewEvent>) -> Self {
        Self {
            value,
            index,
            events,
            inserts: Vec::new(),
        }
    }
}

/// Read-modify-write an object under its row lock.
pub async fn modify<T, F>(
    state: &AppState,
    ctx: &Ctx,
    kind: &str,
    object: &str,
    id: &str,
    mut f: F,
) -> StripeResult<T>
where
    T: Serialize + DeserializeOwned + Send,
    F: FnMut(T) -> DomainResult<Modified<T>> + Send,
{
    let step = |rec: &Record| Ok(f(stored(object, rec)?)?);
    let (value, _) = modify_from(state, ctx, kind, object, id, step).await?;
    Ok(value)
}

/// A stored object's JSON, decoded, for a modification.
pub fn stored<T: DeserializeOwned>(object: &str, rec: &Record) -> StoreResult<T> {
    serde_json::from_str(&rec.data).map_err(|e| unreadable(object, e))
}

/// A stored object (or part of it) that does not decode: corrupt data, a
/// 500, never the client's fault.
pub fn unreadable(object: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("the stored {object} could not be read: {e}"))
}

/// [`modify`] with the caller's whole step: `step(stored record)` makes
/// the modification (it may take the value from a memo instead of decoding
/// it, and may write its stored JSON itself: [`Modified::data`]); also
/// returns the stored record of the result. `step` may run more than once
/// (the store retries on a newer version); only the last result is stored.
pub async fn modify_from<T, F>(
    state: &AppState,
    ctx: &Ctx,
    kind: &str,
    object: &str,
    id: &str,
    mut step: F,
) -> StripeResult<(T, Record)>
where
    T: Serialize + Send,
    F: FnMut(&Record) -> StoreResult<Modified<T>> + Send,
{
    let mut out: Option<T> = None;
    let mut mutator = |rec: &Record| -> StoreResult<Change> {
        let m = step(rec)?;
        let data = serde_json::to_string(&m.value).map_err(|e| unstorable(object, e))?;
        out = Some(m.value);
        Ok(Change {
            data,
            index: m.index,
            events: m.events,
            inserts: m.inserts,
        })
    };
    match state.store.update(&ctx.scope, kind, id, &mut mutator).await {
        Ok(rec) => out.map(|v| (v, rec)).ok_or_else(StripeError::internal),
        Err(StoreError::NotFound) => Err(StripeError::no_such(object, id, None)),
        Err(e) => Err(e.into()),
    }
}

/// A modified value whose JSON could not be written.
pub fn unstorable(object: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("the {object} could not be encoded: {e}"))
}

/// One page of objects matching `keep`, newest first.
pub async fn list<T, P>(
    state: &AppState,
    ctx: &Ctx,
    query: ListQuery,
    object: &str,
    keep: P,
) -> StripeResult<(Vec<T>, bool)>
where
    T: DeserializeOwned,
    P: Fn(&T) -> bool,
{
    let want = usize::try_from(query.limit).unwrap_or(10);
    let backwards = matches!(query.cursor, Cursor::EndingBefore(_));
    let mut scan = ListQuery {
        limit: 100,
        ..query.clone()
    };
    let mut found: Vec<T> = Vec::new();
    loop {
        let page = match state.store.list(&ctx.scope, &scan).await {
            Ok(p) => p,
            Err(StoreError::NotFound) => return Err(list::unknown_cursor(object, &query)),
            Err(e) => return Err(e.into()),
        };
        // Walk away from the cursor: newest→oldest forwards, the reverse
        // when paging backwards.
        let mut records = page.records;
        if backwards {
            records.reverse();
        }
        let last = records.last().map(|r| r.id.clone());
        for rec in &records {
            let item: T = decode(rec)?;
            if keep(&item) {
                found.push(item);
                if found.len() > want {
                    break;
                }
            }
        }
        match last {
            Some(id) if page.has_more && found.len() <= want => {
                scan.cursor = if backwards {
                    Cursor::EndingBefore(id)
                } else {
                    Cursor::StartingAfter(id)
                };
            }
            _ => break,
        }
    }
    let has_more = found.len() > want;
    found.truncate(want);
    if backwards {
        found.reverse();
    }
    Ok((found, has_more))
}

/// One page of objects straight from an index (every filter is a column).
pub async fn list_indexed<T: DeserializeOwned>(
    state: &AppState,
    ctx: &Ctx,
    query: ListQuery,
    object: &str,
) -> StripeResult<(Vec<T>, bool)> {
    let page = match state.store.list(&ctx.scope, &query).await {
        Ok(p) => p,
        Err(StoreError::NotFound) => return Err(list::unknown_cursor(object, &query)),
        Err(e) => return Err(e.into()),
    };
    let items = page
        .records
        .iter()
        .map(decode)
        .collect::<StripeResult<Vec<T>>>()?;
    Ok((items, page.has_more))
}
