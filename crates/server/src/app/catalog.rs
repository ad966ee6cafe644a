//! The catalog service: create, retrieve, update, list and delete the
//! objects a checkout refers to (products, prices, tax rates, shipping
//! rates, webhook endpoints, and the resources that follow them).
//!
//! Every catalog object is stored whole as JSON under its kind, and its
//! changes write `{object}.created` / `{object}.updated` events in the same
//! transaction when the object has events. What differs between objects is
//! described by [`CatalogObject`], what differs between changes by
//! [`Patch`], and which objects a list keeps by [`Filter`]; the rest is
//! written once here, for every front end.
//!
//! Lists filter on fields that have no column (`active`, `currency`, …):
//! [`list`] reads pages of the underlying index until it has `limit + 1`
//! matches, so `has_more` and the cursors stay exact.

use super::{events, AppError, AppResult, Call};
use checkout_domain::metadata::{Metadata, MetadataPatch};
use checkout_domain::{DomainError, DomainResult};
use checkout_store::{
    Change, Cursor, Index, ListQuery, NewObject, OwnedObject, Record, Store, StoreError,
    StoreResult,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// An object of the catalog, as the service stores it.
pub trait CatalogObject: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Storage kind (`"product"`).
    const KIND: &'static str;
    /// Wire object name: `No such {OBJECT}: '{id}'` and `{OBJECT}.created`.
    const OBJECT: &'static str;
    /// Whether creates and updates write `{OBJECT}.created` / `.updated`.
    const EVENTS: bool;
    fn id(&self) -> &str;
    fn created(&self) -> i64;
    /// Indexed columns lists can filter on.
    fn index(&self) -> Index {
        Index::default()
    }
    /// The object as its events carry it. Implemented by the front end that
    /// owns the object's wire format, so this layer imports no dialect.
    fn render(&self) -> Value;
}

/// `impl CatalogObject` for a type with `id` and `created` fields, `render`
/// being a function of `&Self`:
/// `catalog_object!(Product { kind: "product", object: "product", events: true, render: render });`
macro_rules! catalog_object {
    ($ty:ty { kind: $kind:expr, object: $object:expr, events: $events:expr, render: $render:expr $(,)? }) => {
        impl $crate::app::catalog::CatalogObject for $ty {
            const KIND: &'static str = $kind;
            const OBJECT: &'static str = $object;
            const EVENTS: bool = $events;
            fn id(&self) -> &str {
                &self.id
            }
            fn created(&self) -> i64 {
                self.created
            }
            fn render(&self) -> serde_json::Value {
                ($render)(self)
            }
        }
    };
}
pub(crate) use catalog_object;

/// A change to an object of type `T`, decoded by a front end.
pub trait Patch<T>: Send + Sync {
    /// Apply the change at `now`; an error refuses it and nothing is written.
    fn apply(&self, obj: &mut T, now: i64) -> DomainResult<()>;
}

/// Which objects of type `T` a list keeps.
pub trait Filter<T>: Send + Sync {
    fn keep(&self, obj: &T) -> bool;
}

/// No filter: every object.
impl<T> Filter<T> for () {
    fn keep(&self, _: &T) -> bool {
        true
    }
}

/// Set each listed field of `$obj` that `$patch` gives (an `Option` of the
/// field's own type): `patch_fields!(obj, patch; active, name, url)`.
macro_rules! patch_fields {
    ($obj:expr, $patch:expr; $($field:ident),+ $(,)?) => {
        $( if let Some(v) = &$patch.$field { $obj.$field = v.clone(); } )+
    };
}
pub(crate) use patch_fields;

/// Apply a `metadata` patch when one is given.
pub fn patch_metadata(metadata: &mut Metadata, patch: &Option<MetadataPatch>) -> DomainResult<()> {
    if let Some(patch) = patch {
        *metadata = checkout_domain::metadata::apply("metadata", metadata, patch)?;
    }
    Ok(())
}

/// Store a new object (with `also`, objects it brings along, in the same
/// transaction) and its `{object}.created` event.
pub async fn create<T: CatalogObject>(
    store: &dyn Store,
    call: &Call,
    obj: T,
    also: Vec<OwnedObject>,
) -> AppResult<T> {
    let mut events = Vec::new();
    if T::EVENTS {
        let event_type = format!("{}.created", T::OBJECT);
        events.push(events::created(call, &event_type, &obj.render()));
    }
    let new = NewObject {
        id: obj.id(),
        kind: T::KIND,
        created: obj.created(),
        data: encode(&obj).map_err(AppError::from)?,
        index: obj.index(),
    };
    match store.insert_with(&call.scope, new, also, events).await {
        Ok(()) => Ok(obj),
        Err(StoreError::Conflict(_)) => Err(AppError::AlreadyExists(obj.id().to_owned())),
        Err(e) => Err(e.into()),
    }
}

/// Fetch an object, or refuse with `No such {object}: '{id}'` (naming
/// `param`, the request parameter that referred to it, when there is one).
pub async fn retrieve<T: CatalogObject>(
    store: &dyn Store,
    call: &Call,
    id: &str,
    param: Option<&str>,
) -> AppResult<T> {
    match store.get(&call.scope, T::KIND, id).await? {
        Some(rec) => Ok(decode::<T>(&rec)?),
        None => Err(DomainError::no_such(T::OBJECT, id, param.map(str::to_owned)).into()),
    }
}

/// Apply `patch` under the object's row lock and write `{object}.updated`
/// with the attributes it changed.
pub async fn update<T: CatalogObject>(
    store: &dyn Store,
    call: &Call,
    id: &str,
    patch: &impl Patch<T>,
) -> AppResult<T> {
    // The store may run the step again on a newer version; the last run's
    // value is the one stored.
    let mut out: Option<T> = None;
    let mut step = |rec: &Record| -> StoreResult<Change> {
        let mut obj: T = decode(rec)?;
        let before = T::EVENTS.then(|| obj.render());
        patch.apply(&mut obj, call.now)?;
        let events = match before {
            Some(before) => {
                let event_type = format!("{}.updated", T::OBJECT);
                vec![events::updated(call, &event_type, &before, &obj.render())]
            }
            None => Vec::new(),
        };
        let change = Change {
            data: encode(&obj)?,
            index: obj.index(),
            events,
            inserts: Vec::new(),
        };
        out = Some(obj);
        Ok(change)
    };
    match store.update(&call.scope, T::KIND, id, &mut step).await {
        Ok(_) => out.ok_or(AppError::Internal),
        Err(StoreError::NotFound) => Err(DomainError::no_such(T::OBJECT, id, None).into()),
        Err(e) => Err(e.into()),
    }
}

/// Delete an object, or refuse with `No such {object}: '{id}'`.
pub async fn delete<T: CatalogObject>(store: &dyn Store, call: &Call, id: &str) -> AppResult<()> {
    if store.delete(&call.scope, T::KIND, id).await? {
        Ok(())
    } else {
        Err(DomainError::no_such(T::OBJECT, id, None).into())
    }
}

/// One page of the objects `filter` keeps, newest first, and whether there
/// are more. `query.limit` counts kept objects.
pub async fn list<T: CatalogObject>(
    store: &dyn Store,
    call: &Call,
    query: ListQuery,
    filter: &impl Filter<T>,
) -> AppResult<(Vec<T>, bool)> {
    let want = usize::try_from(query.limit).unwrap_or(10);
    let backwards = matches!(query.cursor, Cursor::EndingBefore(_));
    let mut scan = ListQuery {
        limit: 100,
        ..query.clone()
    };
    let mut found: Vec<T> = Vec::new();
    loop {
        let page = match store.list(&call.scope, &scan).await {
            Ok(p) => p,
            Err(StoreError::NotFound) => return Err(unknown_cursor(T::OBJECT, &query)),
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
            if filter.keep(&item) {
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

/// The refusal of a list cursor naming an object that is not there.
pub fn unknown_cursor(object: &str, query: &ListQuery) -> AppError {
    let (param, id) = match &query.cursor {
        Cursor::StartingAfter(id) => ("starting_after", id.as_str()),
        Cursor::EndingBefore(id) => ("ending_before", id.as_str()),
        Cursor::First => ("starting_after", ""),
    };
    DomainError::no_such(object, id, Some(param.to_owned())).into()
}

/// A stored object, decoded; one that does not decode is corrupt data (a
/// logged 500), never the client's fault.
fn decode<T: CatalogObject>(rec: &Record) -> StoreResult<T> {
    serde_json::from_str(&rec.data).map_err(|e| {
        StoreError::Corrupt(format!(
            "the stored {} {} could not be read: {e}",
            T::OBJECT,
            rec.id
        ))
    })
}

fn encode<T: CatalogObject>(obj: &T) -> StoreResult<String> {
    serde_json::to_string(obj)
        .map_err(|e| StoreError::Corrupt(format!("the {} could not be encoded: {e}", T::OBJECT)))
}
