//! The Gr4vy dialect: `/checkout/sessions…`, JSON, wire-compatible with
//! Gr4vy's checkout-session API so the official SDKs (PyPI `gr4vy` 2.4.x)
//! work with only `server_url` changed.
//!
//! It only translates: authenticate the ES512 bearer JWT ([`jwt`],
//! [`auth`]), check the body against the spec's limits ([`schema`],
//! [`validate`]), keep the session as a JSON document in the shared store
//! ([`types`], [`sessions`]), and render errors in Gr4vy's envelope
//! ([`error`]). The reference it follows is `reference/gr4vy/README.md`.

pub mod auth;
pub mod error;
pub mod schema;
pub mod sessions;
pub mod time;
pub mod types;
pub mod validate;

pub use crate::app::jwt::KeyRing;

use crate::http::AppState;
use axum::Router;

/// Every Gr4vy route.
pub fn router() -> Router<AppState> {
    sessions::router()
}
