//! `/checkout/sessions`: create (201), get (200), update by PUT (200) and
//! delete (204, no body), and the sweep that removes expired sessions.
//!
//! A session lives until `expires_at` by its account's clock: from that
//! second on every operation answers 404 as if it had never existed, and
//! [`sweep_expired`] (called by the expiry sweeper) deletes the row later.
//! An update leaves `expires_at` alone: the SDK sends `expires_in: 3600.0`
//! on every update whether the caller set it or not (DESIGN.md).

use super::auth::{authorize, Access, Caller};
use super::error::{Detail, Gr4vyError, Gr4vyResult};
use super::schema::CHECKOUT_SESSION_UPDATE;
use super::types::{CheckoutSessionIn, SessionFields, StoredSession};
use super::validate::{parse_uuid, validate};
use crate::state::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use checkout_domain::DomainError;
use checkout_store::{Change, Index, NewObject, Record, Store, StoreError, StoreResult};
use serde_json::Value;

/// Store kind of Gr4vy sessions (apart from Stripe's `checkout.session`).
pub const KIND: &str = "gr4vy.checkout_session";
/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Lifetime without `expires_in` ("Defaults to an hour").
const DEFAULT_EXPIRES_IN: f64 = 3600.0;
/// Expired sessions deleted per sweep at most.
const SWEEP_BATCH: i64 = 100;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/checkout/sessions",
            post(create_session).fallback(method_not_allowed),
        )
        .route(
            "/checkout/sessions/{session_id}",
            get(get_session)
                .put(update_session)
                .delete(delete_session)
                .fallback(method_not_allowed),
        )
}

async fn method_not_allowed() -> Gr4vyError {
    Gr4vyError::method_not_allowed()
}

/// A random (version 4) UUID, lower-case hyphenated.
pub fn new_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn index(s: &StoredSession) -> Index {
    Index {
        // `open` puts the row in the store's expiry index (`due`).
        status: Some("open".into()),
        expires_at: Some(s.expires_at),
        ..Index::default()
    }
}

fn to_json(s: &StoredSession) -> Result<String, StoreError> {
    serde_json::to_string(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn session_id(path: Result<Path<String>, PathRejection>) -> Gr4vyResult<String> {
    let Path(raw) = path.map_err(|_| Gr4vyError::not_found())?;
    parse_uuid(&raw).ok_or_else(|| {
        Gr4vyError::validation(vec![Detail {
            location: "path",
            pointer: "/session_id".into(),
            message: "Input should be a valid UUID".into(),
            kind: "uuid_parsing".into(),
        }])
    })
}

async fn read_body(body: Body) -> Gr4vyResult<Option<Value>> {
    let bytes = to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| Gr4vyError::payload_too_large(MAX_BODY_BYTES))?;
    decode_body(&bytes)
}

/// A body's JSON: `None` when it is empty or only whitespace.
fn decode_body(bytes: &[u8]) -> Gr4vyResult<Option<Value>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes).map(Some).map_err(|e| {
        Gr4vyError::validation(vec![Detail::body(
            "",
            "json_invalid",
            format!("JSON decode error: {e}"),
        )])
    })
}

/// Decode and check a create (`create == true`) or update body exactly as
/// the handlers do, without a request: the entry point of the `gr4vy_body`
/// fuzz target (`fuzz/`).
pub fn parse_body(bytes: &[u8], create: bool) -> Gr4vyResult<CheckoutSessionIn> {
    let body = decode_body(bytes)?;
    if create {
        create_body(body)
    } else {
        update_body(body)
    }
}

fn checked(body: &Value) -> Gr4vyResult<CheckoutSessionIn> {
    let normalised = validate(body, &CHECKOUT_SESSION_UPDATE).map_err(Gr4vyError::validation)?;
    serde_json::from_value(normalised).map_err(|e| {
        // The schema and the DTO disagree: a bug here, not the caller's.
        tracing::error!(error = %e, "validated Gr4vy body does not deserialize");
        Gr4vyError::internal()
    })
}

/// Create accepts no body, `null`, a list of objects (a FastAPI artifact
/// of the spec) or the session object.
fn create_body(body: Option<Value>) -> Gr4vyResult<CheckoutSessionIn> {
    match body {
        None | Some(Value::Null) => Ok(CheckoutSessionIn::default()),
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => {
            Ok(CheckoutSessionIn::default())
        }
        Some(body) => checked(&body),
    }
}

/// Update needs the session object.
fn update_body(body: Option<Value>) -> Gr4vyResult<CheckoutSessionIn> {
    match body {
        None | Some(Value::Null) => Err(Gr4vyError::validation(vec![Detail::body(
            "",
            "missing",
            "Field required",
        )])),
        Some(body) => checked(&body),
    }
}

async fn create_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Gr4vyResult<Response> {
    let caller = authorize(&state, &headers, Access::Write).await?;
    let input = create_body(read_body(body).await?)?;
    let lifetime = input.expires_in.unwrap_or(DEFAULT_EXPIRES_IN).ceil() as i64;
    let mut fields = SessionFields::default();
    fields.apply(input);
    let session = StoredSession {
        id: new_id(),
        merchant_account_id: caller.merchant.clone(),
        created: caller.now,
        expires_at: caller.now + lifetime,
        fields,
    };
    let obj = NewObject {
        id: &session.id,
        kind: KIND,
        created: caller.now,
        data: to_json(&session)?,
        index: index(&session),
    };
    state.store.insert(&caller.scope, obj, Vec::new()).await?;
    Ok((StatusCode::CREATED, Json(session.render())).into_response())
}

/// The caller's live session `id`, or 404.
async fn load(state: &AppState, caller: &Caller, id: &str) -> Gr4vyResult<StoredSession> {
    let record = state
        .store
        .get(&caller.scope, KIND, id)
        .await?
        .ok_or_else(Gr4vyError::not_found)?;
    let session = parse(&record).map_err(|e| {
        tracing::error!(id, error = %e, "stored Gr4vy session unreadable");
        Gr4vyError::internal()
    })?;
    visible(session, caller).ok_or_else(Gr4vyError::not_found)
}

fn parse(record: &Record) -> Result<StoredSession, StoreError> {
    serde_json::from_str(&record.data)
        .map_err(|e| StoreError::Corrupt(format!("stored Gr4vy session unreadable: {e}")))
}

/// The session if the caller's merchant account owns it and it is live.
fn visible(session: StoredSession, caller: &Caller) -> Option<StoredSession> {
    (session.merchant_account_id == caller.merchant && !session.is_expired(caller.now))
        .then_some(session)
}

async fn get_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Gr4vyResult<Json<Value>> {
    let caller = authorize(&state, &headers, Access::Read).await?;
    let id = session_id(path)?;
    Ok(Json(load(&state, &caller, &id).await?.render()))
}

async fn update_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Gr4vyResult<Json<Value>> {
    let caller = authorize(&state, &headers, Access::Write).await?;
    let id = session_id(path)?;
    let input = update_body(read_body(body).await?)?;
    let mut updated = None;
    let mut mutator = |record: &Record| -> Result<Change, StoreError> {
        let mut session = visible(parse(record)?, &caller)
            .ok_or_else(|| DomainError::no_such("checkout session", &id, None))?;
        session.fields.apply(input.clone());
        let change = Change {
            data: to_json(&session)?,
            index: index(&session),
            events: Vec::new(),
            inserts: Vec::new(),
        };
        updated = Some(session);
        Ok(change)
    };
    state
        .store
        .update(&caller.scope, KIND, &id, &mut mutator)
        .await?;
    let session = updated.ok_or_else(Gr4vyError::internal)?;
    Ok(Json(session.render()))
}

async fn delete_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Gr4vyResult<StatusCode> {
    let caller = authorize(&state, &headers, Access::Write).await?;
    let id = session_id(path)?;
    load(&state, &caller, &id).await?;
    if !state.store.delete(&caller.scope, KIND, &id).await? {
        return Err(Gr4vyError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Delete up to one batch of sessions whose `expires_at` has passed by
/// their account's clock; returns how many. They already answer 404, so
/// this only reclaims space, and any node may run it at any time.
pub async fn sweep_expired(store: &dyn Store, real_now: i64) -> StoreResult<usize> {
    let mut deleted = 0;
    for due in store.due(KIND, real_now, SWEEP_BATCH).await? {
        if store.delete(&due.scope, KIND, &due.id).await? {
            deleted += 1;
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_version_4_uuids() {
        let id = new_id();
        assert_eq!(parse_uuid(&id).as_deref(), Some(id.as_str()));
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(new_id(), id);
    }

    async fn store_with(expiries: &[(&str, i64)]) -> std::sync::Arc<dyn Store> {
        let options = checkout_store::PoolOptions::default();
        let store = checkout_store::connect("sqlite::memory:", &options)
            .await
            .expect("store");
        store.migrate().await.expect("migrate");
        store.ensure_account("acct_g", 0).await.expect("account");
        let scope = checkout_store::Scope {
            account: "acct_g".into(),
            livemode: false,
        };
        for (id, expires_at) in expiries {
            let session = StoredSession {
                id: (*id).to_owned(),
                merchant_account_id: "default".into(),
                created: 0,
                expires_at: *expires_at,
                fields: SessionFields::default(),
            };
            let obj = NewObject {
                id,
                kind: KIND,
                created: 0,
                data: to_json(&session).expect("json"),
                index: index(&session),
            };
            store.insert(&scope, obj, Vec::new()).await.expect("insert");
        }
        store
    }

    #[tokio::test]
    async fn the_sweep_deletes_sessions_past_expiry_by_the_account_clock() {
        // Arrange
        let store = store_with(&[("a", 1_000), ("b", 2_000), ("c", 5_000)]).await;
        let scope = checkout_store::Scope {
            account: "acct_g".into(),
            livemode: false,
        };
        // Act + Assert: at 1 000 only `a` is due (expiry is inclusive).
        assert_eq!(sweep_expired(store.as_ref(), 1_000).await.ok(), Some(1));
        assert!(store.get(&scope, KIND, "a").await.expect("get").is_none());
        assert!(store.get(&scope, KIND, "b").await.expect("get").is_some());
        // The test clock moves the account 2 000 s ahead: `b` becomes due.
        store.advance_clock("acct_g", 2_000).await.expect("advance");
        assert_eq!(sweep_expired(store.as_ref(), 1_500).await.ok(), Some(1));
        assert!(store.get(&scope, KIND, "b").await.expect("get").is_none());
        assert!(store.get(&scope, KIND, "c").await.expect("get").is_some());
        assert_eq!(sweep_expired(store.as_ref(), 1_500).await.ok(), Some(0));
    }

    #[test]
    fn create_takes_no_body_null_or_a_list_and_update_needs_one() {
        assert_eq!(create_body(None).ok(), Some(CheckoutSessionIn::default()));
        assert!(create_body(Some(Value::Null)).is_ok());
        assert!(create_body(Some(serde_json::json!([{}]))).is_ok());
        assert!(create_body(Some(serde_json::json!([1]))).is_err());
        let e = update_body(None).expect_err("required");
        assert_eq!(e.details[0].kind, "missing");
    }
}
