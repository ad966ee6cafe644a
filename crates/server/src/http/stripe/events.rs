//! `/v1/events`: retrieve and list the events the services wrote
//! ([`crate::app::events`] builds them).

use super::context::Ctx;
use serde_json::Value;

/// `GET /v1/events` and `GET /v1/events/{id}`.
pub fn router() -> axum::Router<crate::http::AppState> {
    axum::Router::new()
        .route("/v1/events", axum::routing::get(list_events))
        .route("/v1/events/{id}", axum::routing::get(retrieve_event))
}

/// An event as stored, with its current `pending_webhooks`.
fn render(record: &checkout_store::EventRecord) -> super::error::StripeResult<Value> {
    let mut v: Value = serde_json::from_str(&record.data).map_err(|e| {
        tracing::error!(id = %record.id, error = %e, "stored event does not decode");
        super::error::StripeError::internal()
    })?;
    v["pending_webhooks"] = Value::from(record.pending_webhooks);
    Ok(v)
}

async fn retrieve_event(
    axum::extract::State(state): axum::extract::State<crate::http::AppState>,
    axum::Extension(ctx): axum::Extension<Ctx>,
    axum::extract::Path(id): axum::extract::Path<String>,
    super::context::StripeParams(mut p): super::context::StripeParams,
) -> super::error::StripeResult<axum::Json<Value>> {
    super::expand::Expand::read(&mut p, &[])?;
    p.finish()?;
    match state.store.get_event(&ctx.scope, &id).await? {
        Some(record) => Ok(axum::Json(render(&record)?)),
        None => Err(super::error::StripeError::no_such("event", &id, None)),
    }
}

async fn list_events(
    axum::extract::State(state): axum::extract::State<crate::http::AppState>,
    axum::Extension(ctx): axum::Extension<Ctx>,
    super::context::StripeParams(mut p): super::context::StripeParams,
) -> super::error::StripeResult<axum::Json<Value>> {
    super::expand::Expand::read(&mut p, &[])?;
    let page = super::list::query(&mut p, "event", true)?;
    let single = p.string("type", 5000)?;
    let many = p.string_array("types", 5000)?;
    if p.has("delivery_success") {
        return Err(super::session_params::unsupported("delivery_success"));
    }
    p.finish()?;
    let types = match (single, many) {
        (Some(_), Some(_)) => {
            return Err(super::error::StripeError::invalid_request(
                "You may only specify one of these parameters: type, types.",
                Some("type".into()),
            ))
        }
        (Some(t), None) => vec![t],
        (None, Some(ts)) => ts,
        (None, None) => Vec::new(),
    };
    let query = checkout_store::EventQuery { types, page };
    let result = match state.store.list_events(&ctx.scope, &query).await {
        Ok(r) => r,
        Err(checkout_store::StoreError::NotFound) => {
            return Err(super::list::unknown_cursor("event", &query.page))
        }
        Err(e) => return Err(e.into()),
    };
    let data = result
        .records
        .iter()
        .map(render)
        .collect::<super::error::StripeResult<Vec<_>>>()?;
    Ok(axum::Json(super::list::envelope(
        data,
        result.has_more,
        "/v1/events",
    )))
}
