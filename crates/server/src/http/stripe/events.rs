//! Stripe event envelopes, built where the change that causes them is
//! made, so each is written in the same transaction as that change.

use super::context::Ctx;
use crate::ids;
use checkout_store::NewEvent;
use serde_json::{json, Map, Value};

/// Who caused an event: a request (with its id and idempotency key) or
/// checkoutd itself (the expiry sweeper), which Stripe renders as nulls.
pub struct Origin<'a> {
    pub livemode: bool,
    pub now: i64,
    pub api_version: &'a str,
    pub request_id: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
}

impl<'a> From<&'a Ctx> for Origin<'a> {
    fn from(ctx: &'a Ctx) -> Self {
        Origin {
            livemode: ctx.scope.livemode,
            now: ctx.now,
            api_version: &ctx.api_version,
            request_id: Some(&ctx.request_id),
            idempotency_key: ctx.idempotency_key.as_deref(),
        }
    }
}

/// An event carrying `object`, and `previous_attributes` when given.
pub fn event(
    origin: &Origin<'_>,
    event_type: &str,
    object: &Value,
    previous: Option<Value>,
) -> NewEvent {
    let id = ids::object_id("evt");
    let mut data = json!({ "object": object });
    if let Some(prev) = previous {
        data["previous_attributes"] = prev;
    }
    let body = json!({
        "id": id,
        "object": "event",
        "account": null,
        "api_version": origin.api_version,
        "context": null,
        "created": origin.now,
        "data": data,
        "livemode": origin.livemode,
        "pending_webhooks": 0,
        "request": { "id": origin.request_id, "idempotency_key": origin.idempotency_key },
        "type": event_type,
    });
    NewEvent {
        id,
        event_type: event_type.to_owned(),
        created: origin.now,
        data: body.to_string(),
    }
}

/// `*.created`.
pub fn created_event(ctx: &Ctx, event_type: &str, object: &Value) -> NewEvent {
    event(&ctx.into(), event_type, object, None)
}

/// `*.updated` with the top-level attributes that changed, at their old
/// values, as `previous_attributes`.
pub fn updated_event(ctx: &Ctx, event_type: &str, before: &Value, after: &Value) -> NewEvent {
    event(
        &ctx.into(),
        event_type,
        after,
        Some(previous_attributes(before, after)),
    )
}

/// The top-level keys of `before` whose values differ in `after`.
pub fn previous_attributes(before: &Value, after: &Value) -> Value {
    let mut prev = Map::new();
    if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
        for (k, old) in b {
            if a.get(k) != Some(old) {
                prev.insert(k.clone(), old.clone());
            }
        }
    }
    Value::Object(prev)
}

/// `GET /v1/events` and `GET /v1/events/{id}`.
pub fn router() -> axum::Router<crate::state::AppState> {
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
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
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
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
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
