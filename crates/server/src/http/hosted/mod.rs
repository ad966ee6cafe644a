//! The hosted checkout page: `GET {public_url}/c/pay/{id}` and the form it
//! posts back to the same URL.
//!
//! Server-rendered HTML (askama, escaped by default) that works without
//! JavaScript: the session id in the URL is the capability (no key is
//! involved, and nothing of the account but this session reaches the
//! page). Every change goes through the same domain transitions and the
//! same locked read-modify-write as the API (`change_session`), so the
//! page and `GET /v1/checkout/sessions/{id}` always agree:
//!
//! - **Update total** (`action=update_shipping`) selects a shipping rate
//!   with `Session::select_shipping`; the totals are the domain's.
//! - **Pay** (`action=pay`, also what Enter does) validates the form, then
//!   `Session::complete` in one transaction with its
//!   `checkout.session.completed` event, and redirects (303) to the
//!   `success_url`. `complete` refuses a session that is not open, so a
//!   double click or a resubmit after the back button never pays twice: the
//!   second post shows "Already paid".
//! - A declined test card re-renders the form (402) and writes nothing.
//!
//! Posts are checked as [`csrf`] explains; headers as [`headers`] does.

mod card;
mod countries;
mod csrf;
mod form;
mod format;
mod headers;
mod view;

pub use format::{format_amount, Locale};

use crate::clock::real_now;
use crate::http::stripe::context::{Ctx, API_VERSION};
use crate::http::stripe::sessions::{change_session, KIND};
use crate::ids;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use checkout_domain::session::{Mode, Payment, Session, Status};
use checkout_domain::DomainError;
use checkout_store::Scope;
use form::{Errors, Posted, Values};
use headers::Policy;
use view::{HtmlTemplate, Notice, PageState};

/// Largest form body accepted.
const MAX_FORM_BYTES: usize = 64 * 1024;
/// Longest session id looked up.
const MAX_ID_LEN: usize = 255;

const STYLESHEET: &str = include_str!("../../../templates/hosted/checkout.css");
const SCRIPT: &str = include_str!("../../../templates/hosted/checkout.js");

/// Routes of the hosted page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/pay/{id}", get(show_page).post(submit_page))
        .route("/c/assets/checkout.css", get(stylesheet))
        .route("/c/assets/checkout.js", get(script))
        .layer(middleware::map_response(headers::defaults))
}

/// A session found by id, with its account and that account's clock.
struct Found {
    scope: Scope,
    session: Session,
    now: i64,
}

fn render(status: StatusCode, page: impl askama::Template, policy: &Policy) -> Response {
    let mut response = (status, HtmlTemplate(page)).into_response();
    policy.apply(response.headers_mut());
    response
}

fn state_response(status: StatusCode, kind: PageState, session: Option<&Session>) -> Response {
    let policy = session.map(Policy::for_session).unwrap_or_default();
    render(status, view::state_page(kind, session), &policy)
}

fn form_response(
    status: StatusCode,
    session: &Session,
    values: Values,
    errors: Errors,
    notice: Option<Notice>,
) -> Response {
    render(
        status,
        view::pay_page(session, values, errors, notice),
        &Policy::for_session(session),
    )
}

async fn find(state: &AppState, id: &str) -> Result<Option<Found>, Response> {
    let plausible = id.starts_with("cs_")
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !plausible {
        return Ok(None);
    }
    let internal = |e: checkout_store::StoreError| {
        tracing::error!(error = ?e, "hosted page could not read the store");
        state_response(StatusCode::INTERNAL_SERVER_ERROR, PageState::Error, None)
    };
    let Some((scope, record)) = state.store.get_any(KIND, id).await.map_err(internal)? else {
        return Ok(None);
    };
    let session: Session = serde_json::from_str(&record.data).map_err(|e| {
        tracing::error!(%id, error = %e, "stored session does not decode");
        state_response(StatusCode::INTERNAL_SERVER_ERROR, PageState::Error, None)
    })?;
    // Test-mode accounts run on their own clock (the clock test helper);
    // live mode on real time.
    let offset = if scope.livemode {
        0
    } else {
        state
            .store
            .clock_offset(&scope.account)
            .await
            .map_err(internal)?
    };
    Ok(Some(Found {
        scope,
        session,
        now: real_now() + offset,
    }))
}

fn request_ctx(found: &Found) -> Ctx {
    Ctx {
        scope: found.scope.clone(),
        now: found.now,
        request_id: ids::request_id(),
        api_version: API_VERSION.to_owned(),
        idempotency_key: None,
    }
}

fn not_found() -> Response {
    state_response(StatusCode::NOT_FOUND, PageState::NotFound, None)
}

/// The page of a session that no longer takes payment, if it is one.
fn closed_page(found: &Found, after_post: bool) -> Option<Response> {
    let s = &found.session;
    match s.status {
        Status::Complete if after_post => Some(state_response(
            StatusCode::OK,
            PageState::AlreadyPaid,
            Some(s),
        )),
        Status::Complete => Some(state_response(StatusCode::OK, PageState::Complete, Some(s))),
        Status::Expired => Some(state_response(StatusCode::OK, PageState::Expired, Some(s))),
        Status::Open if s.is_due(found.now) => {
            Some(state_response(StatusCode::OK, PageState::Expired, Some(s)))
        }
        Status::Open => None,
    }
}

async fn show_page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let found = match find(&state, &id).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(),
        Err(response) => return response,
    };
    if let Some(page) = closed_page(&found, false) {
        return page;
    }
    let values = Values::initial(&found.session);
    form_response(
        StatusCode::OK,
        &found.session,
        values,
        Errors::default(),
        None,
    )
}

async fn submit_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !csrf::same_origin_post(&headers, &state.public_url) {
        return state_response(StatusCode::FORBIDDEN, PageState::Forbidden, None);
    }
    let found = match find(&state, &id).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(),
        Err(response) => return response,
    };
    if body.len() > MAX_FORM_BYTES {
        return state_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            PageState::TooLarge,
            Some(&found.session),
        );
    }
    let posted = Posted::parse(&body);
    if !csrf::verify_form_token(&found.session, posted.get("csrf_token")) {
        return state_response(
            StatusCode::FORBIDDEN,
            PageState::Forbidden,
            Some(&found.session),
        );
    }
    if let Some(page) = closed_page(&found, true) {
        return page;
    }
    let values = Values::posted(&posted);
    let rate = posted.get("shipping_rate").filter(|r| !r.is_empty());
    match posted.get("action") {
        Some("update_shipping") => update_shipping(&state, found, values, rate).await,
        _ => pay(&state, found, values, rate, posted.get("order")).await,
    }
}

/// Why a transition inside the row lock did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    Completed,
    Expired,
}

/// Guard of every transition, run under the row lock on the fresh row.
fn still_open(s: &Session, now: i64, refused: &mut Option<Refused>) -> Result<(), DomainError> {
    *refused = match s.status {
        Status::Complete => Some(Refused::Completed),
        Status::Expired => Some(Refused::Expired),
        Status::Open if s.is_due(now) => Some(Refused::Expired),
        Status::Open => None,
    };
    match refused {
        Some(_) => Err(DomainError::state(
            "This Checkout Session is no longer open.",
        )),
        None => Ok(()),
    }
}

/// The page after a refused or failed transition.
async fn after_failure(
    state: &AppState,
    found: &Found,
    refused: Option<Refused>,
    values: Values,
    message: String,
) -> Response {
    match refused {
        Some(Refused::Completed) | Some(Refused::Expired) => {
            // Show the state as stored now, not as the page last saw it.
            let fresh = match find(state, &found.session.id).await {
                Ok(Some(f)) => f,
                Ok(None) => return not_found(),
                Err(response) => return response,
            };
            closed_page(&fresh, refused == Some(Refused::Completed)).unwrap_or_else(|| {
                state_response(StatusCode::CONFLICT, PageState::Stale, Some(&fresh.session))
            })
        }
        None => form_response(
            StatusCode::BAD_REQUEST,
            &found.session,
            values,
            Errors::default(),
            Notice::error(message),
        ),
    }
}

/// Persist a shipping choice; the totals on the page are the session's.
async fn select_rate(
    state: &AppState,
    found: &Found,
    rate: &str,
) -> Result<Session, (Option<Refused>, String)> {
    let mut refused = None;
    let now = found.now;
    change_session(
        state,
        &request_ctx(found),
        &found.session.id,
        None,
        |mut s| {
            still_open(&s, now, &mut refused)?;
            s.select_shipping(rate)?;
            Ok(s)
        },
    )
    .await
    .map_err(|e| (refused, e.message))
}

async fn update_shipping(
    state: &AppState,
    found: Found,
    values: Values,
    rate: Option<&str>,
) -> Response {
    let session = match rate {
        Some(rate) if found.session.selected_shipping_rate.as_deref() != Some(rate) => {
            match select_rate(state, &found, rate).await {
                Ok(session) => session,
                Err((refused, message)) => {
                    return after_failure(state, &found, refused, values, message).await
                }
            }
        }
        _ => found.session,
    };
    // Nothing typed yet (the usual order: shipping first): post-redirect-
    // get, so reloading or going back never re-posts. Otherwise show the
    // new totals with what was typed rather than lose it.
    if values == Values::initial(&session) {
        return see_other(&session.id, &session);
    }
    form_response(StatusCode::OK, &session, values, Errors::default(), None)
}

/// A 303 to `location` with the session's headers.
fn see_other(location: &str, session: &Session) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Policy::for_session(session).apply(response.headers_mut());
    response
}

async fn pay(
    state: &AppState,
    found: Found,
    values: Values,
    rate: Option<&str>,
    order: Option<&str>,
) -> Response {
    // A different option picked but not yet shown with its total: apply
    // it and let the customer see what they will pay.
    if let Some(rate) = rate {
        if found.session.selected_shipping_rate.as_deref() != Some(rate) {
            return match select_rate(state, &found, rate).await {
                Ok(session) => {
                    let note = "Shipping updated. Check the new total, then pay.";
                    form_response(
                        StatusCode::OK,
                        &session,
                        values,
                        Errors::default(),
                        Notice::info(note),
                    )
                }
                Err((refused, message)) => {
                    after_failure(state, &found, refused, values, message).await
                }
            };
        }
    }
    if order != Some(csrf::order_token(&found.session).as_str()) {
        let note = "This order changed while the page was open. Check the total, then pay again.";
        return form_response(
            StatusCode::CONFLICT,
            &found.session,
            values,
            Errors::default(),
            Notice::info(note),
        );
    }
    let checked = match form::validate(&values, &found.session, found.now) {
        Ok(checked) => checked,
        Err(errors) => {
            let note = "Some details are missing or invalid. Check the highlighted fields.";
            return form_response(
                StatusCode::BAD_REQUEST,
                &found.session,
                values,
                *errors,
                Notice::error(note),
            );
        }
    };
    if let card::Outcome::Declined(message) = checked.outcome {
        return form_response(
            StatusCode::PAYMENT_REQUIRED,
            &found.session,
            values,
            Errors::default(),
            Notice::error(format!("{message} Try another card.")),
        );
    }
    let intent_id = match found.session.mode {
        Mode::Payment => ids::object_id("pi"),
        Mode::Setup => ids::object_id("seti"),
        Mode::Subscription => ids::object_id("sub"),
    };
    let payment = Payment {
        email: Some(checked.email),
        name: checked.name,
        shipping_rate: None,
        shipping_details: checked.shipping,
        intent_id,
    };
    let mut refused = None;
    let now = found.now;
    let ctx = request_ctx(&found);
    let result = change_session(
        state,
        &ctx,
        &found.session.id,
        Some("checkout.session.completed"),
        |s| {
            still_open(&s, now, &mut refused)?;
            s.complete(payment.clone())
        },
    )
    .await;
    match result {
        Ok(session) => completed(&session),
        Err(e) => after_failure(state, &found, refused, values, e.message).await,
    }
}

/// Post-redirect-get to where the merchant wants the customer, or the
/// "Payment complete" page when there is nowhere to go.
fn completed(session: &Session) -> Response {
    let location = view::completion_url(session).and_then(|url| {
        let encoded: String = url
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() {
                    c.to_string()
                } else {
                    let mut buf = [0u8; 4];
                    c.encode_utf8(&mut buf)
                        .bytes()
                        .map(|b| format!("%{b:02X}"))
                        .collect()
                }
            })
            .collect();
        HeaderValue::from_str(&encoded).ok().map(|_| encoded)
    });
    match location {
        Some(location) => see_other(&location, session),
        None => state_response(StatusCode::OK, PageState::Complete, Some(session)),
    }
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}
