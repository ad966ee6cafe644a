//! `/v1/shipping_rates`: create, retrieve, update, list — and the
//! `shipping_rate_data` parser that checkout sessions share. Stripe emits
//! no events for shipping rates, and neither does checkoutd.

use super::context::{Ctx, StripeParams};
use super::error::{StripeError, StripeResult};
use super::expand::Expand;
use super::form::{Params, Value as FormValue};
use super::params::{new_metadata, required_currency};
use super::{list, resource};
use crate::http::AppState;
use crate::ids;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use checkout_domain::catalog::{
    CurrencyOption, DeliveryBound, DeliveryEstimate, FixedAmount, ShippingRate, TaxBehavior,
};
use checkout_domain::Currency;
use checkout_store::Index;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const KIND: &str = "shipping_rate";
const UNITS: &[&str] = &["business_day", "day", "hour", "month", "week"];

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/shipping_rates", get(list_rates).post(create_rate))
        .route(
            "/v1/shipping_rates/{id}",
            get(retrieve_rate).post(update_rate),
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
        tax_behavior: p
            .enumeration("tax_behavior", TaxBehavior::VALUES)?
            .and_then(TaxBehavior::parse),
        tax_code: p.string("tax_code", 5000)?,
        metadata: new_metadata(p, "metadata")?,
    })
}

async fn create_rate(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    let rate = rate_from(&mut p, &ctx)?;
    p.finish()?;
    let body = render(&rate);
    resource::insert(
        &state,
        &ctx,
        KIND,
        (&rate.id, rate.created),
        &rate,
        Index::default(),
        vec![],
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
    let rate: ShippingRate = resource::load(&state, &ctx, KIND, "shipping_rate", &id, None).await?;
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
    let options = match p.required_object("fixed_amount")? {
        None => None,
        Some(mut f) => {
            let o = currency_options(&mut f)?;
            f.finish()?;
            o
        }
    };
    let metadata = super::params::metadata_patch(&mut p, "metadata")?;
    let behavior = p
        .enumeration("tax_behavior", TaxBehavior::VALUES)?
        .and_then(TaxBehavior::parse);
    p.finish()?;
    let rate = resource::modify(
        &state,
        &ctx,
        KIND,
        "shipping_rate",
        &id,
        |mut rate: ShippingRate| {
            if let Some(v) = active {
                rate.active = v;
            }
            if let Some(o) = &options {
                for (code, opt) in o {
                    rate.fixed_amount
                        .currency_options
                        .insert(code.clone(), opt.clone());
                }
            }
            if let Some(patch) = &metadata {
                rate.metadata =
                    checkout_domain::metadata::apply("metadata", &rate.metadata, patch)?;
            }
            if let Some(v) = behavior {
                rate.tax_behavior = Some(v);
            }
            Ok(resource::Modified::new(rate, Index::default(), vec![]))
        },
    )
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
    let currency = super::params::currency(&mut p, "currency")?;
    p.finish()?;
    let (items, has_more) =
        resource::list(&state, &ctx, query, "shipping_rate", |r: &ShippingRate| {
            active.is_none_or(|a| r.active == a)
                && currency.is_none_or(|c| r.amount_in(c).is_some())
        })
        .await?;
    Ok(Json(list::envelope(
        items.iter().map(render).collect(),
        has_more,
        "/v1/shipping_rates",
    )))
}
