//! `/v1/shipping_rates`: create, retrieve, update, list — and the
//! `shipping_rate_data` parser that checkout sessions share. Stripe emits
//! no events for shipping rates, and neither does checkoutd.

use super::context::Ctx;
use super::error::{StripeError, StripeResult};
use super::form::{Params, Value as FormValue};
use super::kit::{self, FromParams, Resource};
use super::params::{currency, metadata_patch, new_metadata, required_currency, tax_behavior};
use crate::app::catalog::{catalog_object, patch_fields, patch_metadata, Filter, Patch};
use crate::http::AppState;
use crate::ids;
use axum::routing::get;
use axum::Router;
use checkout_domain::catalog::{
    CurrencyOption, DeliveryBound, DeliveryEstimate, FixedAmount, ShippingRate, TaxBehavior,
};
use checkout_domain::metadata::MetadataPatch;
use checkout_domain::{Currency, DomainResult};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const KIND: &str = "shipping_rate";
const UNITS: &[&str] = &["business_day", "day", "hour", "month", "week"];

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    type T = ShippingRate;
    Router::new()
        .route(
            "/v1/shipping_rates",
            get(kit::list_objects::<T>).post(kit::create_object::<T>),
        )
        .route(
            "/v1/shipping_rates/{id}",
            get(kit::retrieve_object::<T>).post(kit::update_object::<T>),
        )
}

/// The shipping rate as Stripe renders it.
pub fn render(r: &ShippingRate) -> Value {
    let options: Map<String, Value> = r
        .fixed_amount
        .currency_options
        .iter()
        .map(|(c, o)| {
            (
                c.clone(),
                json!({ "amount": o.amount, "tax_behavior": o.tax_behavior.as_str() }),
            )
        })
        .collect();
    let bound = |b: &Option<DeliveryBound>| {
        b.as_ref()
            .map(|b| json!({ "unit": b.unit, "value": b.value }))
    };
    json!({
        "id": r.id,
        "object": "shipping_rate",
        "active": r.active,
        "created": r.created,
        "delivery_estimate": r.delivery_estimate.as_ref().map(|d| json!({
            "maximum": bound(&d.maximum),
            "minimum": bound(&d.minimum),
        })),
        "display_name": r.display_name,
        "fixed_amount": {
            "amount": r.fixed_amount.amount,
            "currency": r.fixed_amount.currency,
            "currency_options": options,
        },
        "livemode": r.livemode,
        "metadata": r.metadata,
        "tax_behavior": r.tax_behavior.map(|t| t.as_str()),
        "tax_code": r.tax_code,
        "type": "fixed_amount",
    })
}

fn non_negative(p: &mut Params, key: &str) -> StripeResult<i64> {
    let v = p.int(key)?.ok_or_else(|| p.missing(key))?;
    if v < 0 {
        return Err(StripeError::invalid_request(
            format!(
                "Invalid integer: {v}; `{}` must be greater than or equal to 0.",
                p.path(key)
            ),
            Some(p.path(key)),
        ));
    }
    Ok(v)
}

/// `currency_options[ccy][amount|tax_behavior]`.
fn currency_options(p: &mut Params) -> StripeResult<Option<BTreeMap<String, CurrencyOption>>> {
    let Some(mut map) = p.required_object("currency_options")? else {
        return Ok(None);
    };
    let base = map.path("");
    let mut out = BTreeMap::new();
    for (code, v) in map.drain() {
        let path = format!("{}[{code}]", base.trim_end_matches("[]"));
        let currency = Currency::parse(&code).ok_or_else(|| {
            StripeError::invalid_request(format!("Invalid currency: {code}"), Some(path.clone()))
        })?;
        let FormValue::Map(entries) = v else {
            return Err(StripeError::invalid_request("Invalid object", Some(path)));
        };
        let mut o = super::form::element(path, FormValue::Map(entries))?;
        let amount = non_negative(&mut o, "amount")?;
        let behavior = o
            .enumeration("tax_behavior", TaxBehavior::VALUES)?
            .and_then(TaxBehavior::parse);
        o.finish()?;
        out.insert(
            currency.as_str().to_owned(),
            CurrencyOption {
                amount,
                tax_behavior: behavior.unwrap_or(TaxBehavior::Unspecified),
            },
        );
    }
    Ok(Some(out))
}

fn delivery_estimate(p: &mut Params) -> StripeResult<Option<DeliveryEstimate>> {
    let Some(mut d) = p.required_object("delivery_estimate")? else {
        return Ok(None);
    };
    let bound = |d: &mut Params, key: &str| -> StripeResult<Option<DeliveryBound>> {
        let Some(mut b) = d.required_object(key)? else {
            return Ok(None);
        };
        let unit = b
            .enumeration("unit", UNITS)?
            .ok_or_else(|| b.missing("unit"))?;
        let value = b.int("value")?.ok_or_else(|| b.missing("value"))?;
        if value <= 0 {
            return Err(StripeError::invalid_request(
                format!(
                    "Invalid integer: {value}; `{}` must be greater than 0.",
                    b.path("value")
                ),
                Some(b.path("value")),
            ));
        }
        b.finish()?;
        Ok(Some(DeliveryBound {
            unit: unit.to_owned(),
            value,
        }))
    };
    let estimate = DeliveryEstimate {
        minimum: bound(&mut d, "minimum")?,
        maximum: bound(&mut d, "maximum")?,
    };
    d.finish()?;
    Ok(Some(estimate))
}

/// Parse create parameters (or a session's `shipping_rate_data`).
pub fn rate_from(p: &mut Params, ctx: &Ctx) -> StripeResult<ShippingRate> {
    let display_name = p.required_string("display_name", 100)?;
    p.enumeration("type", &["fixed_amount"])?;
    let mut fixed = p
        .required_object("fixed_amount")?
        .ok_or_else(|| p.missing("fixed_amount"))?;
    let amount = non_negative(&mut fixed, "amount")?;
    let currency = required_currency(&mut fixed, "currency")?;
    let options = currency_options(&mut fixed)?.unwrap_or_default();
    fixed.finish()?;
    Ok(ShippingRate {
        id: ids::object_id("shr"),
        livemode: ctx.scope.livemode,
        created: ctx.now,
        active: true,
        display_name: Some(display_name),
        fixed_amount: FixedAmount {
            amount,
            currency,
            currency_options: options,
        },
        delivery_estimate: delivery_estimate(p)?,
        tax_behavior: tax_behavior(p)?,
        tax_code: p.string("tax_code", 5000)?,
        metadata: new_metadata(p, "metadata")?,
    })
}

catalog_object!(ShippingRate {
    kind: KIND,
    object: "shipping_rate",
    events: false,
    render: render
});

/// Create parameters: the shipping rate itself.
impl FromParams for ShippingRate {
    fn from_params(p: &mut Params, ctx: &Ctx) -> StripeResult<Self> {
        rate_from(p, ctx)
    }
}

/// Update parameters. `fixed_amount[currency_options]` adds or replaces
/// the currencies it names and keeps the others.
pub struct ShippingRatePatch {
    active: Option<bool>,
    currency_options: Option<BTreeMap<String, CurrencyOption>>,
    metadata: Option<MetadataPatch>,
    tax_behavior: Option<Option<TaxBehavior>>,
}

impl FromParams for ShippingRatePatch {
    fn from_params(p: &mut Params, _: &Ctx) -> StripeResult<Self> {
        let active = p.bool("active")?;
        let currency_options = match p.required_object("fixed_amount")? {
            None => None,
            Some(mut f) => {
                let o = currency_options(&mut f)?;
                f.finish()?;
                o
            }
        };
        Ok(Self {
            active,
            currency_options,
            metadata: metadata_patch(p, "metadata")?,
            tax_behavior: tax_behavior(p)?.map(Some),
        })
    }
}

impl Patch<ShippingRate> for ShippingRatePatch {
    fn apply(&self, rate: &mut ShippingRate, _: i64) -> DomainResult<()> {
        patch_fields!(rate, self; active, tax_behavior);
        if let Some(options) = &self.currency_options {
            let mine = &mut rate.fixed_amount.currency_options;
            mine.extend(options.iter().map(|(c, o)| (c.clone(), o.clone())));
        }
        patch_metadata(&mut rate.metadata, &self.metadata)
    }
}

/// List filters.
pub struct ShippingRateFilter {
    active: Option<bool>,
    currency: Option<Currency>,
}

impl FromParams for ShippingRateFilter {
    fn from_params(p: &mut Params, _: &Ctx) -> StripeResult<Self> {
        Ok(Self {
            active: p.bool("active")?,
            currency: currency(p, "currency")?,
        })
    }
}

impl Filter<ShippingRate> for ShippingRateFilter {
    fn keep(&self, r: &ShippingRate) -> bool {
        self.active.is_none_or(|a| r.active == a)
            && self.currency.is_none_or(|c| r.amount_in(c).is_some())
    }
}

#[async_trait::async_trait]
impl Resource for ShippingRate {
    const PATH: &'static str = "/v1/shipping_rates";
    type In = ShippingRate;
    type Patch = ShippingRatePatch;
    type Filter = ShippingRateFilter;

    async fn build(_: &AppState, _: &Ctx, rate: ShippingRate) -> StripeResult<ShippingRate> {
        Ok(rate)
    }
}
