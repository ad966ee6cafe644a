//! The Stripe dialect: `/v1/…`, form-encoded, wire-compatible with
//! Stripe's Checkout Sessions API and the catalog it refers to.
//!
//! It only translates: parse the form into domain inputs, call the domain
//! and the store, render objects and errors as Stripe does. The shared
//! conventions (auth, request ids, versions, idempotency) are one
//! middleware, [`context::stripe_conventions`].

pub mod context;
pub mod error;
pub mod events;
pub mod expand;
pub mod form;
pub mod inline;
pub mod json_out;
pub mod kit;
pub mod list;
pub mod params;
pub mod prices;
pub mod products;
pub mod session_params;
pub mod session_render;
pub mod sessions;
pub mod shipping_rates;
pub mod tax_rates;
pub mod test_helpers;
pub mod webhook_endpoints;

use crate::http::AppState;
use axum::extract::Request;
use axum::middleware;
use axum::response::IntoResponse;
use axum::Router;

/// Every `/v1` route behind the Stripe conventions.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(products::router())
        .merge(prices::router())
        .merge(shipping_rates::router())
        .merge(tax_rates::router())
        .merge(sessions::router())
        .merge(test_helpers::router())
        .merge(events::router())
        .merge(webhook_endpoints::router())
        .fallback(unrecognized)
        .layer(middleware::from_fn_with_state(
            state,
            context::stripe_conventions,
        ))
}

/// Stripe's 404 for a URL (or method) no endpoint serves.
async fn unrecognized(req: Request) -> impl IntoResponse {
    error::StripeError::unrecognized_url(req.method().as_str(), req.uri().path())
}
