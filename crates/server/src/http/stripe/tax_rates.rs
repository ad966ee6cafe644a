//! `/v1/tax_rates`: create, retrieve, update, list. Percentage rates only
//! (Stripe creates flat-amount rates itself, never through this API);
//! `percentage` and `inclusive` are fixed once created, as in Stripe.

use super::context::Ctx;
use super::error::{StripeError, StripeResult};
use super::form::Params;
use super::kit::{self, FromParams, Resource};
use super::params::{decimal, metadata_patch, new_metadata};
use crate::app::catalog::{catalog_object, patch_fields, patch_metadata, Filter, Patch};
use crate::http::AppState;
use crate::ids;
use axum::routing::get;
use axum::Router;
use checkout_domain::catalog::TaxRate;
use checkout_domain::metadata::MetadataPatch;
use checkout_domain::DomainResult;
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
    type T = TaxRate;
    Router::new()
        .route(
            "/v1/tax_rates",
            get(kit::list_objects::<T>).post(kit::create_object::<T>),
        )
        .route(
            "/v1/tax_rates/{id}",
            get(kit::retrieve_object::<T>).post(kit::update_object::<T>),
        )
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

catalog_object!(TaxRate {
    kind: KIND,
    object: "tax_rate",
    events: true,
    render: render
});

/// Create parameters: the tax rate itself.
impl FromParams for TaxRate {
    fn from_params(p: &mut Params, ctx: &Ctx) -> StripeResult<Self> {
        let display_name = p.required_string("display_name", 50)?;
        let inclusive = p.bool("inclusive")?.ok_or_else(|| p.missing("inclusive"))?;
        let percentage = decimal(p, "percentage", 4)?.ok_or_else(|| p.missing("percentage"))?;
        if percentage < Decimal::ZERO || percentage > Decimal::from(100) {
            return Err(StripeError::invalid_request(
                format!("Invalid percentage: {percentage}; must be between 0 and 100."),
                Some("percentage".into()),
            ));
        }
        Ok(TaxRate {
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
            tax_type: tax_type(p)?,
            metadata: new_metadata(p, "metadata")?,
        })
    }
}

fn tax_type(p: &mut Params) -> StripeResult<Option<String>> {
    Ok(p.enumeration("tax_type", TAX_TYPES)?.map(str::to_owned))
}

/// Update parameters, each typed as the field it sets (`percentage` and
/// `inclusive` are fixed once created).
pub struct TaxRatePatch {
    active: Option<bool>,
    country: Option<Option<String>>,
    description: Option<Option<String>>,
    display_name: Option<String>,
    jurisdiction: Option<Option<String>>,
    metadata: Option<MetadataPatch>,
    state: Option<Option<String>>,
    tax_type: Option<Option<String>>,
}

impl FromParams for TaxRatePatch {
    fn from_params(p: &mut Params, _: &Ctx) -> StripeResult<Self> {
        Ok(Self {
            active: p.bool("active")?,
            country: p.string("country", 5000)?.map(Some),
            description: p.string("description", 5000)?.map(Some),
            display_name: p.string("display_name", 50)?,
            jurisdiction: p.string("jurisdiction", 50)?.map(Some),
            metadata: metadata_patch(p, "metadata")?,
            state: p.string("state", 5000)?.map(Some),
            tax_type: tax_type(p)?.map(Some),
        })
    }
}

impl Patch<TaxRate> for TaxRatePatch {
    fn apply(&self, rate: &mut TaxRate, _: i64) -> DomainResult<()> {
        patch_fields!(rate, self; active, country, description, display_name,
            jurisdiction, state, tax_type);
        patch_metadata(&mut rate.metadata, &self.metadata)
    }
}

/// List filters.
pub struct TaxRateFilter {
    active: Option<bool>,
    inclusive: Option<bool>,
}

impl FromParams for TaxRateFilter {
    fn from_params(p: &mut Params, _: &Ctx) -> StripeResult<Self> {
        Ok(Self {
            active: p.bool("active")?,
            inclusive: p.bool("inclusive")?,
        })
    }
}

impl Filter<TaxRate> for TaxRateFilter {
    fn keep(&self, r: &TaxRate) -> bool {
        self.active.is_none_or(|a| r.active == a) && self.inclusive.is_none_or(|i| r.inclusive == i)
    }
}

#[async_trait::async_trait]
impl Resource for TaxRate {
    const PATH: &'static str = "/v1/tax_rates";
    type In = TaxRate;
    type Patch = TaxRatePatch;
    type Filter = TaxRateFilter;

    async fn build(_: &AppState, _: &Ctx, rate: TaxRate) -> StripeResult<TaxRate> {
        Ok(rate)
    }
}
