//! `/checkout/sessions`: create (201), get (200), update by PUT (200) and
//! delete (204, no body), on [`crate::app::gr4vy_sessions`].
//!
//! An update leaves `expires_at` alone: the SDK sends `expires_in: 3600.0`
//! on every update whether the caller set it or not (DESIGN.md).

use super::auth::{authorize, Access, Caller};
use super::error::{Detail, Gr4vyError, Gr4vyResult};
use super::schema::CHECKOUT_SESSION_UPDATE;
use super::types::{CheckoutSessionIn, SessionFields, StoredSession};
use super::validate::{parse_uuid, validate};
use crate::app::gr4vy_sessions::{self as service, Owner};
use crate::http::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Lifetime without `expires_in` ("Defaults to an hour").
const DEFAULT_EXPIRES_IN: f64 = 3600.0;

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

fn owner(caller: Caller) -> Owner {
    Owner {
        scope: caller.scope,
        merchant: caller.merchant,
        now: caller.now,
    }
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
    let caller = owner(authorize(&state, &headers, Access::Write).await?);
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
    service::create(&state, &caller, &session).await?;
    Ok((StatusCode::CREATED, Json(session.render())).into_response())
}

async fn get_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Gr4vyResult<Json<Value>> {
    let caller = owner(authorize(&state, &headers, Access::Read).await?);
    let id = session_id(path)?;
    Ok(Json(service::get(&state, &caller, &id).await?.render()))
}

async fn update_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Gr4vyResult<Json<Value>> {
    let caller = owner(authorize(&state, &headers, Access::Write).await?);
    let id = session_id(path)?;
    let input = update_body(read_body(body).await?)?;
    let session = service::update(&state, &caller, &id, |s| s.fields.apply(input.clone())).await?;
    Ok(Json(session.render()))
}

async fn delete_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Gr4vyResult<StatusCode> {
    let caller = owner(authorize(&state, &headers, Access::Write).await?);
    let id = session_id(path)?;
    service::delete(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
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
