//! Limits on what one client can take: the request body, its size and the
//! time to send it.
//!
//! - [`read_body`] reads every request body up front, at most
//!   [`MAX_BODY_BYTES`] (413) within `--body-timeout-ms` (408), answering in
//!   the dialect of the route (Stripe's envelope under `/v1`, Gr4vy's under
//!   `/checkout`, plain text elsewhere). A client trickling its body byte
//!   by byte holds a connection for at most that long.
//! - The rate limit per key is [`crate::app::rate_limit`]; each dialect
//!   answers its own 429.
//!
//! Header timeouts and the connection limit live in the accept loop
//! ([`crate::listen`]).

use super::gr4vy::error::Gr4vyError;
use super::stripe::error::StripeError;
use crate::http::AppState;
use axum::body::{to_bytes, Body, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Largest request body accepted on any route.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Which error envelope a path answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Stripe,
    Gr4vy,
    Plain,
}

fn dialect(path: &str) -> Dialect {
    if path.starts_with("/v1/") || path == "/v1" {
        Dialect::Stripe
    } else if path.starts_with("/checkout/") || path == "/checkout" {
        Dialect::Gr4vy
    } else {
        Dialect::Plain
    }
}

fn too_large(path: &str) -> Response {
    match dialect(path) {
        Dialect::Stripe => StripeError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            ..StripeError::invalid_request(
                format!("The request body is larger than the limit of {MAX_BODY_BYTES} bytes."),
                None,
            )
        }
        .into_response(),
        Dialect::Gr4vy => Gr4vyError::payload_too_large(MAX_BODY_BYTES).into_response(),
        Dialect::Plain => {
            (StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n").into_response()
        }
    }
}

fn body_timeout(path: &str, limit: Duration) -> Response {
    let message = format!(
        "The request body was not received within {} ms.",
        limit.as_millis()
    );
    let mut response = match dialect(path) {
        Dialect::Stripe => StripeError::request_timeout(message).into_response(),
        Dialect::Gr4vy => Gr4vyError::request_timeout(message).into_response(),
        Dialect::Plain => (StatusCode::REQUEST_TIMEOUT, format!("{message}\n")).into_response(),
    };
    // The rest of the body may still be on its way: don't reuse the
    // connection.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Read the whole body of `req` within the size and time limits: the
/// request again, with the bytes, or the dialect's refusal (413, 408).
/// Called by the front-door middleware ([`super::front_door`]).
pub async fn read_body(state: &AppState, req: Request) -> Result<Request, Response> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large(req.uri().path()));
    }
    // Most reads have no body at all: nothing to wait for or to buffer
    // (and no timer to arm).
    if req.body().size_hint().exact() == Some(0) {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    let limit = state.settings.limits.body_timeout;
    match tokio::time::timeout(limit, to_bytes(body, MAX_BODY_BYTES)).await {
        Err(_) => Err(body_timeout(parts.uri.path(), limit)),
        // Over the cap (or the client went away: then nobody reads this).
        Ok(Err(_)) => Err(too_large(parts.uri.path())),
        Ok(Ok(bytes)) => Ok(Request::from_parts(parts, Body::from(bytes))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_answer_in_their_dialect() {
        assert_eq!(dialect("/v1/checkout/sessions"), Dialect::Stripe);
        assert_eq!(dialect("/checkout/sessions/x"), Dialect::Gr4vy);
        assert_eq!(dialect("/c/pay/cs_test_1"), Dialect::Plain);
    }
}
