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
use super::kit::{self, FromParams, Resource};
use super::params::{metadata_patch, new_metadata};
use crate::app::catalog::{self, catalog_object, patch_fields, patch_metadata, Patch};
use crate::http::AppState;
use crate::ids;
use crate::webhooks::endpoint::{WebhookEndpoint, KIND};
use crate::webhooks::url_policy;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use checkout_domain::metadata::MetadataPatch;
use checkout_domain::DomainResult;
use serde_json::{json, Value};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    type T = WebhookEndpoint;
    Router::new()
        .route(
            "/v1/webhook_endpoints",
            get(kit::list_objects::<T>).post(kit::create_object::<T>),
        )
        .route(
            "/v1/webhook_endpoints/{id}",
            get(kit::retrieve_object::<T>)
                .post(kit::update_object::<T>)
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

catalog_object!(WebhookEndpoint {
    kind: KIND,
    object: "webhook_endpoint",
    events: false,
    render: |e: &WebhookEndpoint| e.render(false)
});

/// Create parameters: the endpoint itself, with a new secret.
impl FromParams for WebhookEndpoint {
    fn from_params(p: &mut Params, ctx: &Ctx) -> StripeResult<Self> {
        let endpoint = WebhookEndpoint {
            id: ids::object_id("we"),
            livemode: ctx.scope.livemode,
            created: ctx.now,
            url: url(p, true)?.unwrap_or_default(),
            enabled_events: enabled_events(p, true)?.unwrap_or_default(),
            description: p.string("description", 5000)?,
            metadata: new_metadata(p, "metadata")?,
            disabled: false,
            api_version: p.string("api_version", 5000)?,
            secret: format!("whsec_{}", ids::random(32)),
        };
        if p.has("connect") {
            return Err(super::session_params::unsupported("connect"));
        }
        Ok(endpoint)
    }
}

/// Update parameters, each typed as the field it sets.
pub struct WebhookEndpointPatch {
    url: Option<String>,
    enabled_events: Option<Vec<String>>,
    description: Option<Option<String>>,
    metadata: Option<MetadataPatch>,
    disabled: Option<bool>,
}

impl FromParams for WebhookEndpointPatch {
    fn from_params(p: &mut Params, _: &Ctx) -> StripeResult<Self> {
        Ok(Self {
            url: url(p, false)?,
            enabled_events: enabled_events(p, false)?,
            description: p.emptyable_string("description", 5000)?,
            metadata: metadata_patch(p, "metadata")?,
            disabled: p.bool("disabled")?,
        })
    }
}

impl Patch<WebhookEndpoint> for WebhookEndpointPatch {
    fn apply(&self, e: &mut WebhookEndpoint, _: i64) -> DomainResult<()> {
        patch_fields!(e, self; url, enabled_events, description, disabled);
        patch_metadata(&mut e.metadata, &self.metadata)
    }
}

#[async_trait::async_trait]
impl Resource for WebhookEndpoint {
    const PATH: &'static str = "/v1/webhook_endpoints";
    const LIST_CREATED: bool = false;
    type In = WebhookEndpoint;
    type Patch = WebhookEndpointPatch;
    type Filter = ();

    async fn build(state: &AppState, ctx: &Ctx, e: WebhookEndpoint) -> StripeResult<Self> {
        allowed_url(state, ctx, Some(&e.url))?;
        Ok(e)
    }

    async fn check(
        state: &AppState,
        ctx: &Ctx,
        _: &str,
        patch: &WebhookEndpointPatch,
    ) -> StripeResult<()> {
        allowed_url(state, ctx, patch.url.as_deref())
    }

    /// The only response that carries the secret.
    async fn respond_created(&self, _: &AppState, _: &Ctx, _: &Expand) -> StripeResult<Value> {
        Ok(WebhookEndpoint::render(self, true))
    }
}

/// `DELETE /v1/webhook_endpoints/{id}`.
async fn delete_endpoint(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(p): StripeParams,
) -> StripeResult<Json<Value>> {
    p.finish()?;
    catalog::delete::<WebhookEndpoint>(&*state.store, &ctx, &id).await?;
    Ok(Json(
        json!({ "id": id, "object": "webhook_endpoint", "deleted": true }),
    ))
}
