//! The conventions every Stripe endpoint shares, applied as one middleware:
//! `Request-Id` on every response, `Stripe-Version` accepted and echoed,
//! secret-key auth (Bearer or Basic), and `Idempotency-Key` on POST.
//!
//! Idempotency follows Stripe: the first request with a key claims it; a
//! repeat with the same method, path and parameters replays the stored
//! response with `Idempotent-Replayed: true`; other parameters give a 400
//! `idempotency_error`; a repeat while the first still runs gives a 409.
//! Only successful responses are stored: a 4xx or 5xx wrote nothing (every
//! write is one transaction), so retrying it with the same key is safe.
//! Keys are kept for 25 hours (Stripe promises at least 24).

use super::error::StripeError;
use super::form;
use crate::app::keys::{self, hash_key, redact_key};
use crate::clock::real_now;
use crate::http::AppState;
use crate::ids;
use axum::body::{to_bytes, Body};
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use checkout_store::{IdemBegin, Scope};
use sha2::{Digest, Sha256};
use std::sync::atomic::Ordering;

pub use crate::app::call::API_VERSION;
/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest idempotency key accepted.
const MAX_IDEMPOTENCY_KEY: usize = 255;

// Header names as constants: a `&str` name is parsed and checked again on
// every `get` and `insert`.
const STRIPE_VERSION: HeaderName = HeaderName::from_static("stripe-version");
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Who is calling and when, for one request: a call of the services.
pub type Ctx = crate::app::Call;

fn no_key() -> StripeError {
    StripeError::unauthorized("You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.")
}

/// The secret key of a request, from Bearer or Basic auth.
fn presented_key(headers: &HeaderMap) -> Result<String, StripeError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(no_key());
    };
    let value = value.to_str().map_err(|_| {
        StripeError::unauthorized(
            "Invalid API Key provided: the Authorization header is not valid text.",
        )
    })?;
    let key = if let Some(token) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
    {
        token.trim().to_owned()
    } else if let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                StripeError::unauthorized(
                    "Invalid API Key provided: the Basic credentials could not be decoded.",
                )
            })?;
        decoded.split(':').next().unwrap_or_default().to_owned()
    } else {
        return Err(StripeError::unauthorized(
            "Invalid Authorization header: use Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY') or Basic auth with the key as the username.",
        ));
    };
    if key.is_empty() {
        return Err(no_key());
    }
    Ok(key)
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<(Scope, i64), StripeError> {
    let key = presented_key(headers)?;
    let hash = hash_key(&key);
    let invalid =
        || StripeError::unauthorized(format!("Invalid API Key provided: {}", redact_key(&key)));
    if !(key.starts_with("sk_test_") || key.starts_with("sk_live_")) {
        return Err(invalid());
    }
    // The lookup is by hash, so comparing secrets never happens in
    // variable time on our side.
    let record = keys::lookup(state, &hash).await?.ok_or_else(invalid)?;
    // `--rate-limit`: one bucket per key, once the key is known to be real.
    if state.limiter.check(&hash).is_err() {
        return Err(StripeError::rate_limited());
    }
    Ok((
        Scope {
            account: record.account,
            livemode: record.livemode,
        },
        record.clock_offset,
    ))
}

/// The middleware in front of every `/v1` route.
pub async fn stripe_conventions(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let request_id = ids::request_id();
    let version = req
        .headers()
        .get(&STRIPE_VERSION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .unwrap_or(API_VERSION)
        .to_owned();
    // The response's headers, made now so that the strings can move into
    // the request's context rather than be cloned.
    let echoed = (
        HeaderValue::from_str(&request_id).ok(),
        HeaderValue::from_str(&version).ok(),
    );
    let idempotency_key = req
        .headers()
        .get(&IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map(str::to_owned));
    let mut response = match authenticate(&state, req.headers()).await {
        Err(e) => e.into_response(),
        Ok((scope, offset)) => match idempotency_key {
            Some(Err(_)) => StripeError::invalid_request("Invalid Idempotency-Key header: it must be printable text.", None).into_response(),
            Some(Ok(key)) if key.len() > MAX_IDEMPOTENCY_KEY => StripeError::invalid_request(
                format!("Invalid Idempotency-Key: it can be at most {MAX_IDEMPOTENCY_KEY} characters long, but you passed one of {} characters.", key.len()),
                None,
            )
            .into_response(),
            key => {
                let key = key.and_then(Result::ok).filter(|k| !k.is_empty());
                let ctx = Ctx {
                    scope,
                    now: real_now() + offset,
                    request_id: Some(request_id),
                    api_version: version,
                    idempotency_key: key.clone(),
                };
                match key {
                    Some(key) if req.method() == Method::POST => idempotent(&state, ctx, key, req, next).await,
                    _ => {
                        req.extensions_mut().insert(ctx);
                        next.run(req).await
                    }
                }
            }
        },
    };
    let headers = response.headers_mut();
    if let Some(v) = echoed.0 {
        headers.insert(REQUEST_ID, v);
    }
    if let Some(v) = echoed.1 {
        headers.insert(STRIPE_VERSION, v);
    }
    response
}

fn fingerprint(method: &Method, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b" ");
    h.update(path.as_bytes());
    for pair in form::canonical_pairs(body) {
        h.update(b"\n");
        h.update(pair);
    }
    hex::encode(h.finalize())
}

async fn idempotent(state: &AppState, ctx: Ctx, key: String, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return body_too_large().into_response(),
    };
    let print = fingerprint(&parts.method, parts.uri.path(), &bytes);
    let scope = ctx.scope.clone();
    match state.store.idem_begin(&scope, &key, &print, ctx.now).await {
        Err(e) => StripeError::from(e).into_response(),
        Ok(IdemBegin::Mismatch) => StripeError::idempotency(
            StatusCode::BAD_REQUEST,
            format!("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."),
        )
        .into_response(),
        Ok(IdemBegin::InProgress) => StripeError::idempotency(
            StatusCode::CONFLICT,
            format!("There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): {key}. Please try again later."),
        )
        .code("idempotency_key_in_use")
        .into_response(),
        Ok(IdemBegin::Replay { status, body }) => {
            state.metrics.idempotent_replays.fetch_add(1, Ordering::Relaxed);
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
            if let Ok(v) = HeaderValue::from_str(&key) {
                headers.insert(IDEMPOTENCY_KEY, v);
            }
            response
        }
        Ok(IdemBegin::Started) => {
            let mut req = Request::from_parts(parts, Body::from(bytes));
            req.extensions_mut().insert(ctx);
            let response = next.run(req).await;
            let (mut parts, body) = response.into_parts();
            let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
            let stored = if parts.status.is_success() {
                let text = String::from_utf8_lossy(&bytes);
                state.store.idem_finish(&scope, &key, parts.status.as_u16(), &text).await
            } else {
                state.store.idem_release(&scope, &key).await
            };
            if let Err(e) = stored {
                tracing::error!(error = ?e, "could not record the idempotency key's outcome");
            }
            if let Ok(v) = HeaderValue::from_str(&key) {
                parts.headers.insert(IDEMPOTENCY_KEY, v);
            }
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}

fn body_too_large() -> StripeError {
    StripeError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        ..StripeError::invalid_request(
            format!("The request body is larger than the limit of {MAX_BODY_BYTES} bytes."),
            None,
        )
    }
}

/// The parameters of a request: the query string of a GET or DELETE, the
/// form body of a POST.
pub struct StripeParams(pub form::Params);

impl<S: Send + Sync> FromRequest<S> for StripeParams {
    type Rejection = StripeError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if req.method() == Method::GET || req.method() == Method::DELETE {
            let query = req.uri().query().unwrap_or_default().as_bytes().to_vec();
            return form::Params::from_bytes(&query).map(StripeParams);
        }
        let bytes = to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| body_too_large())?;
        form::Params::from_bytes(&bytes).map(StripeParams)
    }
}
