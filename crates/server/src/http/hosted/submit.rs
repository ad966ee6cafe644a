//! The two posts of the page: choosing a shipping option and paying.
//! Each transition runs under the session's row lock through
//! [`crate::app::sessions`], guarded by [`still_open`] on the fresh row, so a
//! concurrent payment or expiry is seen and never overwritten.

use super::form::{Errors, Values};
use super::headers::Policy;
use super::view::{self, Notice, PageState};
use super::{
    card, closed_page, csrf, failure_message, find, form, form_response, not_found, state_response,
    Found,
};
use crate::app::sessions::{self, Paid};
use crate::http::AppState;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use checkout_domain::session::{Session, Status};
use checkout_domain::DomainError;

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
    let now = found.call.now;
    let id = &found.session.id;
    sessions::change(state, &found.call, id, None, Vec::new(), |mut s| {
        still_open(&s, now, &mut refused)?;
        s.select_shipping(rate)?;
        Ok(s)
    })
    .await
    .map_err(|e| (refused, failure_message(e)))
}

pub(super) async fn update_shipping(
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

pub(super) async fn pay(
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
    let checked = match form::validate(&values, &found.session, found.call.now) {
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
    let paid = Paid {
        email: Some(checked.email),
        name: checked.name,
        shipping_rate: None,
        shipping_details: checked.shipping,
    };
    let mut refused = None;
    let now = found.call.now;
    let id = &found.session.id;
    let result = sessions::complete(state, &found.call, id, paid, |s| {
        still_open(s, now, &mut refused)
    })
    .await;
    match result {
        Ok(session) => completed(&session),
        Err(e) => after_failure(state, &found, refused, values, failure_message(e)).await,
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
