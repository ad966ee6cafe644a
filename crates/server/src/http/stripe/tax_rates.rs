//! `/v1/tax_rates`: create, retrieve, update, list. Percentage rates only
//! (Stripe creates flat-amount rates itself, never through this API);
//! `percentage` and `inclusive` are fixed once created, as in Stripe.

use super::context::{Ctx, StripeParams};
use super::error::{StripeError, StripeResult};
use super::expand::Expand;
use super::params::{decimal, new_metadata};
use super::{list, resource};
use crate::app::events::{created as created_event, updated as updated_event};
use crate::http::AppState;
use crate::ids;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use checkout_domain::catalog::TaxRate;
use checkout_store::Index;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value};

pub const KIND: &str = "tax_rate";
const TAX_TYPES: &[&str] = &[
    "amusement_tax",
    "communications_tax",
    "gst",
    "hst",
    "igst",
    "jct",
    "lease_tax",
    "pst",
    "qst",
    "retail_delivery_fee",
    "rst",
    "sales_tax",
    "service_tax",
    "vat",
];

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tax_rates", get(list_rates).post(create_rate))
        .route("/v1/tax_rates/{id}", get(retrieve_rate).post(update_rate))
}

/// The tax rate as Stripe renders it.
pub fn render(r: &TaxRate) -> Value {
    let pct = r.percentage.to_f64();
    json!({
        "id": r.id,
        "object": "tax_rate",
        "active": r.active,
        "country": r.country,
        "created": r.created,
        "description": r.description,
        "display_name": r.display_name,
        "effective_percentage": pct,
        "flat_amount": null,
        "inclusive": r.inclusive,
        "jurisdiction": r.jurisdiction,
        "jurisdiction_level": null,
        "livemode": r.livemode,
        "metadata": r.metadata,
        "percentage": pct,
        "rate_type": "percentage",
        "state": r.state,
        "tax_type": r.tax_type,
    })
}

async fn create_rate(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    let display_name = p.required_string("display_name", 50)?;
    let inclusive = p.bool("inclusive")?.ok_or_else(|| p.missing("inclusive"))?;
    let percentage = decimal(&mut p, "percentage", 4)?.ok_or_else(|| p.missing("percentage"))?;
    if percentage < Decimal::ZERO || percentage > Decimal::from(100) {
        return Err(StripeError::invalid_request(
            format!("Invalid percentage: {percentage}; must be between 0 and 100."),
            Some("percentage".into()),
        ));
    }
    let rate = TaxRate {
        id: ids::object_id("txr"),
        livemode: ctx.scope.livemode,
        created: ctx.now,
        active: p.bool("active")?.unwrap_or(true),
        display_name,
        description: p.string("description", 5000)?,
        percentage,
        inclusive,
        country: p.string("country", 5000)?,
        state: p.string("state", 5000)?,
        jurisdiction: p.string("jurisdiction", 50)?,
        tax_type: p.enumeration("tax_type", TAX_TYPES)?.map(str::to_owned),
        metadata: new_metadata(&mut p, "metadata")?,
    };
    p.finish()?;
    let body = render(&rate);
    let events = vec![created_event(&ctx, "tax_rate.created", &body)];
    resource::insert(
        &state,
        &ctx,
        KIND,
        (&rate.id, rate.created),
        &rate,
        Index::default(),
        events,
    )
    .await?;
    Ok(Json(body))
}

async fn retrieve_rate(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    p.finish()?;
    let rate: TaxRate = resource::load(&state, &ctx, KIND, "tax_rate", &id, None).await?;
    Ok(Json(render(&rate)))
}

async fn update_rate(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    let active = p.bool("active")?;
    let country = p.string("country", 5000)?;
    let description = p.string("description", 5000)?;
    let display_name = p.string("display_name", 50)?;
    let jurisdiction = p.string("jurisdiction", 50)?;
    let metadata = super::params::metadata_patch(&mut p, "metadata")?;
    let state_code = p.string("state", 5000)?;
    let tax_type = p.enumeration("tax_type", TAX_TYPES)?;
    p.finish()?;
    let rate = resource::modify(&state, &ctx, KIND, "tax_rate", &id, |mut r: TaxRate| {
        let before = render(&r);
        if let Some(v) = active {
            r.active = v;
        }
        if let Some(v) = &country {
            r.country = Some(v.clone());
        }
        if let Some(v) = &description {
            r.description = Some(v.clone());
        }
        if let Some(v) = &display_name {
            r.display_name = v.clone();
        }
        if let Some(v) = &jurisdiction {
            r.jurisdiction = Some(v.clone());
        }
        if let Some(patch) = &metadata {
            r.metadata = checkout_domain::metadata::apply("metadata", &r.metadata, patch)?;
        }
        if let Some(v) = &state_code {
            r.state = Some(v.clone());
        }
        if let Some(v) = tax_type {
            r.tax_type = Some(v.to_owned());
        }
        let event = updated_event(&ctx, "tax_rate.updated", &before, &render(&r));
        Ok(resource::Modified::new(r, Index::default(), vec![event]))
    })
    .await?;
    Ok(Json(render(&rate)))
}

async fn list_rates(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    let query = list::query(&mut p, KIND, true)?;
    let active = p.bool("active")?;
    let inclusive = p.bool("inclusive")?;
    p.finish()?;
    let (items, has_more) = resource::list(&state, &ctx, query, "tax_rate", |r: &TaxRate| {
        active.is_none_or(|a| r.active == a) && inclusive.is_none_or(|i| r.inclusive == i)
    })
    .await?;
    Ok(Json(list::envelope(
        items.iter().map(render).collect(),
        has_more,
        "/v1/tax_rates",
    )))
}
