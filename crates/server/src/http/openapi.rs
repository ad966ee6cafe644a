//! `GET /openapi.json`: checkoutd's own OpenAPI 3.1 document, both dialects,
//! the test helpers, the hosted page and health, for integration platforms
//! and API tooling.
//!
//! The document is generated from the reference specs by
//! `crates/server/openapi/generate.py` into `crates/server/openapi/openapi.json`
//! and embedded here as it is. The black-box test `tests/api/openapi.rs`
//! checks it against the routes (both directions) and against real
//! responses; `tests/schema/run.sh` runs schemathesis against it.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// The document, as generated.
pub const DOCUMENT: &str = include_str!("../../openapi/openapi.json");

/// `GET /openapi.json`.
pub async fn document() -> Response {
    let mut response = DOCUMENT.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
