//! The HTTP surface: the Stripe dialect under `/v1`, health and metrics.

pub mod gr4vy;
pub mod hosted;
pub mod limits;
pub mod openapi;
pub mod state;
pub mod stripe;
pub mod urlencoded;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
pub use state::AppState;
use std::convert::Infallible;
use std::future::Future;
use tower::{Layer, Service};

/// The whole application: [`front_door`] around the router.
///
/// Around it, not inside it: `Router::layer` wraps every route in the
/// layer, and each request then also paid for a cloned and boxed route
/// service and a boxed future at that level.
pub fn app(
    state: AppState,
) -> impl Service<
    Request,
    Response = Response,
    Error = Infallible,
    Future = impl Future<Output = Result<Response, Infallible>> + Send,
> + Clone
       + Send
       + 'static {
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi::document))
        .merge(stripe::router(state.clone()))
        .merge(gr4vy::router())
        .merge(hosted::router())
        .with_state(state.clone());
    middleware::from_fn_with_state(state, front_door).layer(router)
}

/// The middleware in front of every request, one layer rather than three
/// (each `from_fn` layer clones and boxes the service under it and boxes
/// its future, per request), and around the router ([`app`]): count the
/// response and log its method and path, read the body within the limits
/// ([`limits::read_body`]), then run the request ([`run_to_completion`]).
async fn front_door(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Method and path only: headers carry keys and tokens, query strings
    // and bodies customer data (`tests/api/logs.rs` checks the logs).
    let logged = tracing::enabled!(tracing::Level::DEBUG).then(|| {
        let started = std::time::Instant::now();
        (req.method().clone(), req.uri().path().to_owned(), started)
    });
    let response = match limits::read_body(&state, req).await {
        Ok(req) => run_to_completion(req, next).await,
        Err(refused) => refused,
    };
    state.metrics.observe(response.status().as_u16());
    if let Some((method, path, started)) = logged {
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        tracing::debug!(%method, %path, status = response.status().as_u16(), micros, "request");
    }
    response
}

/// Runs each write request to completion in a task of its own. A client
/// that hangs up drops the connection's future; without this, that would
/// cancel a handler between its steps: between a PostgreSQL transaction's
/// statements, or between a write and the bookkeeping of its idempotency
/// key. Reads (`GET`, `HEAD`) change nothing, so cancelling them is
/// harmless and they skip the task hand-off.
async fn run_to_completion(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    match tokio::spawn(next.run(req)).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "request task failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = ?e, "store not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> String {
    state.metrics.render(state.store.backend())
}
