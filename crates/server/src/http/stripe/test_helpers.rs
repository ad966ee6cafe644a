//! Test helpers (test mode only): advance an account's clock, and pay a
//! session as the hosted page would.

use super::context::{Ctx, StripeParams};
use super::error::{StripeError, StripeResult};
use super::expand::Expand;
use super::session_params as sp;
use super::session_render::SESSION_EXPANDABLE;
use super::sessions::{change_session, respond};
use crate::clock::real_now;
use crate::state::AppState;
use crate::{ids, sweeper};
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Extension, Json, Router};
use checkout_domain::session::{Mode, Payment, Session};
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
    let offset = state
        .store
        .advance_clock(&ctx.scope.account, seconds)
        .await?;
    state.keys.forget_account(&ctx.scope.account);
    let expired = sweeper::sweep_all(&state, real_now()).await?;
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
    let payment = |s: &Session| Payment {
        email: email.clone(),
        name: name.clone(),
        shipping_rate: shipping_rate.clone(),
        shipping_details: shipping_details.clone(),
        intent_id: match s.mode {
            Mode::Payment => ids::object_id("pi"),
            Mode::Setup => ids::object_id("seti"),
            Mode::Subscription => ids::object_id("sub"),
        },
    };
    let session = change_session(&state, &ctx, &id, Some("checkout.session.completed"), |s| {
        let pay = payment(&s);
        s.complete(pay)
    })
    .await?;
    respond(&state, &ctx, &session, &expand).await
}
