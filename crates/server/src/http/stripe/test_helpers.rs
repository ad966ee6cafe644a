//! Test helpers (test mode only): advance an account's clock, and pay a
//! session as the hosted page would.

use super::context::{Ctx, StripeParams};
use super::error::{StripeError, StripeResult};
use super::expand::Expand;
use super::session_params as sp;
use super::session_render::SESSION_EXPANDABLE;
use super::sessions::respond;
use crate::app::sessions::{self, Paid};
use crate::app::test_clock::{self, Advanced};
use crate::clock::real_now;
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

/// Routes of the test helpers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/test_helpers/clock/advance", post(advance_clock))
        .route(
            "/v1/test_helpers/checkout/sessions/{id}/complete",
            post(complete_session),
        )
}

fn require_test_mode(ctx: &Ctx) -> StripeResult<()> {
    if ctx.scope.livemode {
        Err(StripeError::invalid_request(
            "Test helpers can only be used with a test mode secret key (sk_test_…).",
            None,
        ))
    } else {
        Ok(())
    }
}

/// `seconds=N`: move the account's test clock forward, then expire what
/// became due, so the effect is visible to the very next request.
async fn advance_clock(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    require_test_mode(&ctx)?;
    let seconds = p
        .int_in("seconds", 1, 10 * 365 * 24 * 3600)?
        .ok_or_else(|| p.missing("seconds"))?;
    p.finish()?;
    let Advanced { offset, expired } = test_clock::advance(&state, &ctx, seconds).await?;
    Ok(Json(json!({
        "object": "test_helpers.clock",
        "account": ctx.scope.account,
        "offset": offset,
        "now": real_now() + offset,
        "expired_sessions": expired,
    })))
}

async fn complete_session(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<axum::response::Response> {
    require_test_mode(&ctx)?;
    let expand = Expand::read(&mut p, SESSION_EXPANDABLE)?;
    let email = p.string("email", 800)?;
    let name = p.string("name", 255)?;
    let shipping_rate = p.string("shipping_rate", 5000)?;
    let shipping_details = p
        .required_object("shipping_details")?
        .map(sp::shipping_details)
        .transpose()?;
    p.finish()?;
    let paid = Paid {
        email,
        name,
        shipping_rate,
        shipping_details,
    };
    let session = sessions::complete(&state, &ctx, &id, paid, |_| Ok(())).await?;
    respond(&state, &ctx, &session, &expand).await
}
