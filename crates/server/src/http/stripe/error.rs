//! Stripe's error envelope and the mapping of core errors onto it.
//!
//! `{"error": {"type", "code", "message", "param", "doc_url"}}` with Stripe's
//! status codes. The conversions from [`DomainError`] and [`StoreError`] are
//! exhaustive matches, so a new error kind must be given a Stripe meaning
//! here. A 500 gets a generic body; its cause is logged once.

use crate::app::AppError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use checkout_domain::{DomainError, ErrorKind};
use checkout_store::StoreError;
use serde_json::json;

/// An error as Stripe renders it.
#[derive(Debug, Clone)]
pub struct StripeError {
    pub status: StatusCode,
    /// `invalid_request_error`, `idempotency_error`, `api_error`, …
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub message: String,
    pub param: Option<String>,
}

impl StripeError {
    /// A 400 `invalid_request_error`.
    pub fn invalid_request(message: impl Into<String>, param: Option<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code: None,
            message: message.into(),
            param,
        }
    }

    /// A 404 `resource_missing` for `No such <object>: '<id>'`.
    pub fn no_such(object: &str, id: &str, param: Option<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            ..Self::invalid_request(format!("No such {object}: '{id}'"), param)
        }
        .code("resource_missing")
    }

    /// A 404 for a path no endpoint serves.
    pub fn unrecognized_url(method: &str, path: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            ..Self::invalid_request(
                format!("Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."),
                None,
            )
        }
    }

    /// A 401 (Stripe reports auth problems as `invalid_request_error`).
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            ..Self::invalid_request(message, None)
        }
    }

    /// An `idempotency_error` with the given status.
    pub fn idempotency(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            kind: "idempotency_error",
            ..Self::invalid_request(message, None)
        }
    }

    /// Stripe's 429 `rate_limit` (stripe-python raises `RateLimitError`).
    pub fn rate_limited() -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            ..Self::invalid_request(
                "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
                None,
            )
        }
        .code("rate_limit")
    }

    /// A 408 for a body slower than `--body-timeout-ms`.
    pub fn request_timeout(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::REQUEST_TIMEOUT,
            ..Self::invalid_request(message, None)
        }
    }

    /// A 500 `api_error` with a generic message.
    pub fn internal() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "api_error",
            code: None,
            message: "An unknown error occurred while processing your request.".into(),
            param: None,
        }
    }

    /// A 503 when the database cannot take the request now.
    pub fn unavailable() -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            kind: "api_error",
            code: None,
            message: "The service is temporarily unable to handle your request (database busy). Please retry.".into(),
            param: None,
        }
    }

    /// Attach a machine-readable code.
    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let mut error = json!({ "type": self.kind, "message": self.message });
        if let Some(code) = self.code {
            error["code"] = json!(code);
            error["doc_url"] = json!(format!(
                "https://stripe.com/docs/error-codes/{}",
                code.replace('_', "-")
            ));
        }
        if let Some(param) = &self.param {
            error["param"] = json!(param);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for StripeError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // Both SDKs retry when told to.
            response.headers_mut().insert(
                "stripe-should-retry",
                axum::http::HeaderValue::from_static("true"),
            );
        }
        response
    }
}

impl From<DomainError> for StripeError {
    fn from(e: DomainError) -> Self {
        let base = Self::invalid_request(e.message, e.param);
        let base = Self {
            code: e.code,
            ..base
        };
        match e.kind {
            ErrorKind::InvalidRequest | ErrorKind::InvalidState | ErrorKind::AmountOverflow => base,
            ErrorKind::NotFound => Self {
                status: StatusCode::NOT_FOUND,
                ..base
            },
        }
    }
}

impl From<AppError> for StripeError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Rejected(domain) => domain.into(),
            AppError::NotFound => Self {
                status: StatusCode::NOT_FOUND,
                ..Self::invalid_request("No such object.", None)
            }
            .code("resource_missing"),
            AppError::AlreadyExists(id) => Self::invalid_request(
                format!("An object with ID '{id}' already exists."),
                Some("id".into()),
            )
            .code("resource_already_exists"),
            AppError::Unavailable => Self::unavailable(),
            AppError::Internal => Self::internal(),
        }
    }
}

impl From<StoreError> for StripeError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

/// Result of a Stripe handler.
pub type StripeResult<T> = Result<T, StripeError>;
