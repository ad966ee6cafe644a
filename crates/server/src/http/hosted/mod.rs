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
mod submit;
mod view;

pub use format::{format_amount, Locale};

use crate::app::{sessions, AppError, Call};
use crate::http::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use checkout_domain::session::{Session, Status};
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
    /// A call of the session's account at its clock.
    call: Call,
    session: Session,
}

/// What the customer is told when a transition failed.
fn failure_message(e: AppError) -> String {
    match e {
        AppError::Rejected(refusal) => refusal.message,
        AppError::NotFound => "This Checkout Session no longer exists.".into(),
        AppError::AlreadyExists(_) | AppError::Unavailable | AppError::Internal => {
            "Something went wrong on our side. Please try again.".into()
        }
    }
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
    match sessions::find(state, id).await {
        Ok(Some((call, session))) => Ok(Some(Found { call, session })),
        Ok(None) => Ok(None),
        Err(e) => {
            tracing::error!(error = ?e, "hosted page could not read its session");
            Err(state_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                PageState::Error,
                None,
            ))
        }
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
        Status::Open if s.is_due(found.call.now) => {
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
        Some("update_shipping") => submit::update_shipping(&state, found, values, rate).await,
        _ => submit::pay(&state, found, values, rate, posted.get("order")).await,
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
