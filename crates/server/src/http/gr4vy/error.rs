//! Gr4vy's error envelope and the mapping of core errors onto it.
//!
//! `{"type":"error","code","status","message","details":[{"location",
//! "pointer","message","type"}]}` with the codes and default messages of
//! `reference/gr4vy/README.md` §5. The SDK maps 400/401/403/404/405/409/…
//! carrying `application/json` onto typed exceptions, so the status and the
//! content type matter more than the words. Conversions from
//! [`DomainError`] and [`StoreError`] are exhaustive matches; a 500 gets a
//! generic body and its cause is logged once.

use crate::app::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use checkout_domain::{DomainError, ErrorKind};
use checkout_store::StoreError;
use serde::Serialize;

/// Most details one error carries; a body with thousands of bad items
/// gets the first ones, which is enough to fix them in turn.
pub const MAX_DETAILS: usize = 100;

/// One offending input (`ErrorDetail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// `body`, `path`, `header`, `query` or `unknown`.
    pub location: &'static str,
    /// A JSON pointer into that location (`/cart_items/0/quantity`).
    pub pointer: String,
    pub message: String,
    /// Pydantic's error type (`missing`, `string_too_long`, …).
    #[serde(rename = "type")]
    pub kind: String,
}

impl Detail {
    /// A detail about the request body.
    pub fn body(pointer: impl Into<String>, kind: &str, message: impl Into<String>) -> Self {
        Self {
            location: "body",
            pointer: pointer.into(),
            message: message.into(),
            kind: kind.to_owned(),
        }
    }
}

/// An error as Gr4vy renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gr4vyError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<Detail>,
    /// Why a 401 was given (sent in `WWW-Authenticate`, not the body).
    pub auth_reason: Option<String>,
}

impl Gr4vyError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            auth_reason: None,
        }
    }

    /// 400 `bad_request` "Request failed validation", one detail per
    /// offending field.
    pub fn validation(mut details: Vec<Detail>) -> Self {
        details.truncate(MAX_DETAILS);
        Self {
            details,
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Request failed validation",
            )
        }
    }

    /// 401 `unauthorized` with Gr4vy's fixed message; `reason` (what was
    /// wrong with the token) goes to the `WWW-Authenticate` header, as RFC
    /// 6750 has it, so the body stays exactly Gr4vy's.
    pub fn unauthorized(reason: impl Into<String>) -> Self {
        Self {
            auth_reason: Some(reason.into()),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "No valid API authentication found",
            )
        }
    }

    /// 403 `forbidden` for a valid token without the scope.
    pub fn missing_scope(scope: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("Missing scope {scope}"),
        )
    }

    /// 404 `not_found`: unknown, deleted, expired, or another merchant
    /// account's session.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "The resource could not be found",
        )
    }

    /// 405 `method_not_allowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method Not Allowed",
        )
    }

    /// 413 for a body over the cap.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The request body is larger than the limit of {limit} bytes"),
        )
    }

    /// 429 `too_many_requests` past `--rate-limit`.
    pub fn too_many_requests() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many requests, slow down",
        )
    }

    /// 408 `request_timeout` for a body slower than `--body-timeout-ms`.
    pub fn request_timeout(message: impl Into<String>) -> Self {
        Self::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", message)
    }

    /// 500 `server_error` with Gr4vy's generic message.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Request could not be processed",
        )
    }

    /// 503 when the database cannot take the request now (the SDK retries
    /// GETs on 5XX).
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Request could not be processed",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "error",
            "code": self.code,
            "status": self.status.as_u16(),
            "message": self.message,
            "details": self.details,
        })
    }
}

impl IntoResponse for Gr4vyError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(reason) = &self.auth_reason {
            let reason: String = reason
                .chars()
                .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\' || *c == ' ')
                .collect();
            let value = format!("Bearer error=\"invalid_token\", error_description=\"{reason}\"");
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        response
    }
}

/// `line_items[2][price]` (the domain's Stripe-style param) as a JSON
/// pointer, `/line_items/2/price`.
pub fn pointer_from_param(param: &str) -> String {
    let mut out = String::new();
    for part in param.split(['[', ']']).filter(|p| !p.is_empty()) {
        out.push('/');
        out.push_str(&part.replace('~', "~0").replace('/', "~1"));
    }
    out
}

impl From<DomainError> for Gr4vyError {
    fn from(e: DomainError) -> Self {
        let details = |e: &DomainError| {
            vec![Detail::body(
                e.param
                    .as_deref()
                    .map(pointer_from_param)
                    .unwrap_or_default(),
                "value_error",
                e.message.clone(),
            )]
        };
        match e.kind {
            ErrorKind::NotFound => Self::not_found(),
            ErrorKind::InvalidRequest | ErrorKind::AmountOverflow => Self::validation(details(&e)),
            ErrorKind::InvalidState => Self {
                message: e.message.clone(),
                ..Self::validation(Vec::new())
            },
        }
    }
}

impl From<AppError> for Gr4vyError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Rejected(domain) => domain.into(),
            AppError::NotFound => Self::not_found(),
            // Gr4vy ids are chosen by the server: a clash is a fault of ours.
            AppError::AlreadyExists(_) | AppError::Internal => Self::internal(),
            AppError::Unavailable => Self::unavailable(),
        }
    }
}

impl From<StoreError> for Gr4vyError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

/// Result of a Gr4vy handler.
pub type Gr4vyResult<T> = Result<T, Gr4vyError>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validation_errors_render_gr4vys_envelope() {
        let e = Gr4vyError::validation(vec![Detail::body(
            "/cart_items/0/quantity",
            "greater_than",
            "Input should be greater than 0",
        )]);
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            e.body(),
            json!({
                "type": "error",
                "code": "bad_request",
                "status": 400,
                "message": "Request failed validation",
                "details": [{
                    "location": "body",
                    "pointer": "/cart_items/0/quantity",
                    "message": "Input should be greater than 0",
                    "type": "greater_than"
                }]
            })
        );
    }

    #[test]
    fn auth_and_lookup_errors_render_gr4vys_envelope() {
        assert_eq!(
            Gr4vyError::unauthorized("the token has expired").body(),
            json!({
                "type": "error", "code": "unauthorized", "status": 401,
                "message": "No valid API authentication found", "details": []
            })
        );
        assert_eq!(
            Gr4vyError::missing_scope("checkout-sessions.write").body(),
            json!({
                "type": "error", "code": "forbidden", "status": 403,
                "message": "Missing scope checkout-sessions.write", "details": []
            })
        );
        assert_eq!(
            Gr4vyError::not_found().body(),
            json!({
                "type": "error", "code": "not_found", "status": 404,
                "message": "The resource could not be found", "details": []
            })
        );
        assert_eq!(
            Gr4vyError::method_not_allowed().body(),
            json!({
                "type": "error", "code": "method_not_allowed", "status": 405,
                "message": "Method Not Allowed", "details": []
            })
        );
        assert_eq!(
            Gr4vyError::internal().body(),
            json!({
                "type": "error", "code": "server_error", "status": 500,
                "message": "Request could not be processed", "details": []
            })
        );
    }

    #[test]
    fn details_are_capped() {
        let many = (0..500)
            .map(|i| Detail::body(format!("/cart_items/{i}"), "missing", "Field required"))
            .collect();
        assert_eq!(Gr4vyError::validation(many).details.len(), MAX_DETAILS);
    }

    #[test]
    fn domain_params_become_json_pointers() {
        assert_eq!(
            pointer_from_param("line_items[2][price]"),
            "/line_items/2/price"
        );
        assert_eq!(pointer_from_param("metadata[a/b]"), "/metadata/a~1b");
        let e: Gr4vyError = DomainError::invalid("cart_items[0][name]", "bad").into();
        assert_eq!(e.details[0].pointer, "/cart_items/0/name");
        let e: Gr4vyError = DomainError::no_such("session", "x", None).into();
        assert_eq!(e.status, StatusCode::NOT_FOUND);
    }
}
