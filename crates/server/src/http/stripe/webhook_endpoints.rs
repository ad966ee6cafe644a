//! `/v1/webhook_endpoints`: create (the only response carrying the
//! `whsec_…` secret), retrieve, update, list, delete.
//!
//! `enabled_events` takes `*` or event names; names are checked for shape
//! only (`word.word…`), so subscribing to a Stripe event checkoutd never
//! emits is accepted, as Stripe accepts it.

use super::context::{Ctx, StripeParams};
use super::error::{StripeError, StripeResult};
use super::expand::Expand;
use super::form::Params;
use super::params::new_metadata;
use super::{list, resource};
use crate::http::AppState;
use crate::ids;
use crate::webhooks::endpoint::{WebhookEndpoint, KIND};
use crate::webhooks::url_policy;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use checkout_store::Index;
use serde_json::{json, Value};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/webhook_endpoints",
            get(list_endpoints).post(create_endpoint),
        )
        .route(
            "/v1/webhook_endpoints/{id}",
            get(retrieve_endpoint)
                .post(update_endpoint)
                .delete(delete_endpoint),
        )
}

fn url(p: &mut Params, required: bool) -> StripeResult<Option<String>> {
    let value = if required {
        Some(p.required_string("url", 5000)?)
    } else {
        p.string("url", 5000)?
    };
    if let Some(u) = &value {
        let ok = (u.starts_with("https://") || u.starts_with("http://"))
            && u.len() > 8
            && !u.contains(char::is_whitespace);
        if !ok {
            return Err(StripeError::invalid_request(
                "Invalid URL: must be an http or https URL.",
                Some("url".into()),
            )
            .code("url_invalid"));
        }
    }
    Ok(value)
}

/// Refuse a URL the webhook URL policy forbids for this key's mode
/// (link-local and metadata always; private ranges in live mode by
/// default: [`crate::webhooks::url_policy`]).
fn allowed_url(state: &AppState, ctx: &Ctx, url: Option<&str>) -> StripeResult<()> {
    let Some(url) = url else {
        return Ok(());
    };
    url_policy::check_url(url, ctx.scope.livemode, state.settings.webhook_urls).map_err(|why| {
        StripeError::invalid_request(format!("Invalid URL: {why}."), Some("url".into()))
            .code("url_invalid")
    })
}

fn enabled_events(p: &mut Params, required: bool) -> StripeResult<Option<Vec<String>>> {
    let events = p.string_array("enabled_events", 5000)?;
    match &events {
        None if required => return Err(p.missing("enabled_events")),
        Some(list) if list.is_empty() => return Err(p.missing("enabled_events")),
        Some(list) => {
            for (i, name) in list.iter().enumerate() {
                let shaped = name == "*"
                    || (name.contains('.')
                        && name.split('.').all(|part| {
                            !part.is_empty()
                                && part.chars().all(|c| {
                                    c.is_ascii_lowercase()
                                        || c.is_ascii_digit()
                                        || c == '_'
                                        || c == '*'
                                })
                        }));
                if !shaped {
                    return Err(StripeError::invalid_request(
                        format!("Invalid enabled_events[{i}]: `{name}` is not an event type."),
                        Some(format!("enabled_events[{i}]")),
                    ));
                }
            }
        }
        None => {}
    }
    Ok(events)
}

async fn create_endpoint(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    let endpoint = WebhookEndpoint {
        id: ids::object_id("we"),
        livemode: ctx.scope.livemode,
        created: ctx.now,
        url: url(&mut p, true)?.unwrap_or_default(),
        enabled_events: enabled_events(&mut p, true)?.unwrap_or_default(),
        description: p.string("description", 5000)?,
        metadata: new_metadata(&mut p, "metadata")?,
        disabled: false,
        api_version: p.string("api_version", 5000)?,
        secret: format!("whsec_{}", ids::random(32)),
    };
    if p.has("connect") {
        return Err(super::session_params::unsupported("connect"));
    }
    p.finish()?;
    allowed_url(&state, &ctx, Some(&endpoint.url))?;
    resource::insert(
        &state,
        &ctx,
        KIND,
        (&endpoint.id, endpoint.created),
        &endpoint,
        Index::default(),
        vec![],
    )
    .await?;
    Ok(Json(endpoint.render(true)))
}

async fn retrieve_endpoint(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    p.finish()?;
    let endpoint: WebhookEndpoint =
        resource::load(&state, &ctx, KIND, "webhook_endpoint", &id, None).await?;
    Ok(Json(endpoint.render(false)))
}

async fn update_endpoint(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    let new_url = url(&mut p, false)?;
    let events = enabled_events(&mut p, false)?;
    let description = p.emptyable_string("description", 5000)?;
    let metadata = super::params::metadata_patch(&mut p, "metadata")?;
    let disabled = p.bool("disabled")?;
    p.finish()?;
    allowed_url(&state, &ctx, new_url.as_deref())?;
    let endpoint = resource::modify(
        &state,
        &ctx,
        KIND,
        "webhook_endpoint",
        &id,
        |mut e: WebhookEndpoint| {
            if let Some(v) = &new_url {
                e.url = v.clone();
            }
            if let Some(v) = &events {
                e.enabled_events = v.clone();
            }
            if let Some(v) = &description {
                e.description = v.clone();
            }
            if let Some(patch) = &metadata {
                e.metadata = checkout_domain::metadata::apply("metadata", &e.metadata, patch)?;
            }
            if let Some(v) = disabled {
                e.disabled = v;
            }
            Ok(resource::Modified::new(e, Index::default(), vec![]))
        },
    )
    .await?;
    Ok(Json(endpoint.render(false)))
}

async fn delete_endpoint(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(p): StripeParams,
) -> StripeResult<Json<Value>> {
    p.finish()?;
    if state.store.delete(&ctx.scope, KIND, &id).await? {
        Ok(Json(
            json!({ "id": id, "object": "webhook_endpoint", "deleted": true }),
        ))
    } else {
        Err(StripeError::no_such("webhook_endpoint", &id, None))
    }
}

async fn list_endpoints(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    let query = list::query(&mut p, KIND, false)?;
    p.finish()?;
    let (items, has_more) =
        resource::list_indexed::<WebhookEndpoint>(&state, &ctx, query, "webhook_endpoint").await?;
    Ok(Json(list::envelope(
        items.iter().map(|e| e.render(false)).collect(),
        has_more,
        "/v1/webhook_endpoints",
    )))
}
