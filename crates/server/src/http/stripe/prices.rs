//! `/v1/prices`: create, retrieve, update, list — and the `price_data`
//! parser that checkout sessions share.
//!
//! Only `per_unit` billing is supported; `tiered` billing, `currency_options`,
//! `custom_unit_amount`, `transform_quantity` and metered usage answer a 400
//! that says so rather than being ignored.

use super::context::{Ctx, StripeParams};
use super::error::{StripeError, StripeResult};
use super::expand::Expand;
use super::form::Params;
use super::params::{decimal, new_metadata, required_currency};
use super::{list, products, resource};
use crate::app::events::{created as created_event, updated as updated_event};
use crate::http::AppState;
use crate::ids;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use checkout_domain::catalog::{Interval, Price, Product, Recurring, TaxBehavior};
use checkout_store::Index;
use rust_decimal::Decimal;
use serde_json::{json, Value};

pub const KIND: &str = "price";

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/prices", get(list_prices).post(create_price))
        .route("/v1/prices/{id}", get(retrieve_price).post(update_price))
}

/// The price as Stripe renders it; `product` is the id unless expanded.
pub fn render(p: &Price, product: Option<Value>) -> Value {
    json!({
        "id": p.id,
        "object": "price",
        "active": p.active,
        "billing_scheme": "per_unit",
        "created": p.created,
        "currency": p.currency,
        "custom_unit_amount": null,
        "livemode": p.livemode,
        "lookup_key": p.lookup_key,
        "metadata": p.metadata,
        "nickname": p.nickname,
        "product": product.unwrap_or_else(|| json!(p.product)),
        "recurring": p.recurring.as_ref().map(|r| json!({
            "interval": r.interval.as_str(),
            "interval_count": r.interval_count,
            "meter": null,
            "trial_period_days": null,
            "usage_type": "licensed",
        })),
        "tax_behavior": p.tax_behavior.map(|t| t.as_str()),
        "tiers_mode": null,
        "transform_quantity": null,
        "type": if p.recurring.is_some() { "recurring" } else { "one_time" },
        "unit_amount": p.unit_amount(),
        "unit_amount_decimal": p.unit_amount_decimal.normalize().to_string(),
    })
}

fn unsupported(p: &Params, key: &str, what: &str) -> StripeError {
    StripeError::invalid_request(
        format!("{what} is not supported by checkoutd."),
        Some(p.path(key)),
    )
}

/// `unit_amount` or `unit_amount_decimal` (exactly one).
fn amount(p: &mut Params) -> StripeResult<Decimal> {
    let whole = p.int("unit_amount")?;
    let exact = decimal(p, "unit_amount_decimal", 12)?;
    match (whole, exact) {
        (Some(_), Some(_)) => Err(StripeError::invalid_request(
            "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
            Some(p.path("unit_amount")),
        )),
        (Some(v), None) if v < 0 => Err(StripeError::invalid_request(
            format!(
                "Invalid integer: {v}; `{}` must be greater than or equal to 0.",
                p.path("unit_amount")
            ),
            Some(p.path("unit_amount")),
        )),
        (Some(v), None) => Ok(Decimal::from(v)),
        (None, Some(d)) if d.is_sign_negative() => Err(StripeError::invalid_request(
            format!("Invalid decimal: {d}; must be greater than or equal to 0."),
            Some(p.path("unit_amount_decimal")),
        )),
        (None, Some(d)) => Ok(d),
        (None, None) => Err(StripeError::invalid_request(
            format!("Missing required param: {}.", p.path("unit_amount")),
            Some(p.path("unit_amount")),
        )
        .code("parameter_missing")),
    }
}

/// `recurring[...]`.
fn recurring(p: &mut Params, full: bool) -> StripeResult<Option<Recurring>> {
    let Some(mut r) = p.required_object("recurring")? else {
        return Ok(None);
    };
    let interval = r
        .enumeration("interval", Interval::VALUES)?
        .ok_or_else(|| r.missing("interval"))?;
    let interval = Interval::parse(interval).ok_or_else(|| r.missing("interval"))?;
    let count = r.int("interval_count")?.unwrap_or(1);
    let max = match interval {
        Interval::Day => 365,
        Interval::Week => 52,
        Interval::Month => 12,
        Interval::Year => 1,
    };
    if !(1..=max).contains(&count) {
        return Err(StripeError::invalid_request(
            format!("The maximum billing frequency is one year: `{}` must be between 1 and {max} for `{}` intervals.", r.path("interval_count"), interval.as_str()),
            Some(r.path("interval_count")),
        ));
    }
    if full {
        if let Some(usage) = r.enumeration("usage_type", &["licensed", "metered"])? {
            if usage == "metered" {
                return Err(unsupported(&r, "usage_type", "Metered usage"));
            }
        }
        if r.has("meter") {
            return Err(unsupported(&r, "meter", "Billing meters"));
        }
    }
    r.finish()?;
    Ok(Some(Recurring {
        interval,
        interval_count: count,
    }))
}

fn tax_behavior(p: &mut Params) -> StripeResult<Option<TaxBehavior>> {
    Ok(p.enumeration("tax_behavior", TaxBehavior::VALUES)?
        .and_then(TaxBehavior::parse))
}

/// The product a new price belongs to: `product` (looked up) or
/// `product_data` (built here; the caller stores it when `store_inline`).
async fn price_product(
    state: &AppState,
    ctx: &Ctx,
    p: &mut Params,
    store_inline: bool,
) -> StripeResult<(String, String, Option<Product>)> {
    let by_id = p.string("product", 5000)?;
    let data = p.required_object("product_data")?;
    match (by_id, data) {
        (Some(_), Some(_)) => Err(StripeError::invalid_request(
            "You may only specify one of these parameters: product, product_data.",
            Some(p.path("product")),
        )),
        (Some(id), None) => {
            let prod: Product = resource::load(
                state,
                ctx,
                products::KIND,
                "product",
                &id,
                Some(&p.path("product")),
            )
            .await?;
            Ok((prod.id, prod.name, None))
        }
        (None, Some(mut d)) => {
            let id = d
                .string("id", 5000)?
                .unwrap_or_else(|| ids::object_id("prod"));
            // `tax_details` (endive) feeds Stripe Tax, which checkoutd does
            // not compute: validated, then not kept.
            if let Some(mut td) = d.required_object("tax_details")? {
                td.string("performance_location", 5000)?;
                td.string("tax_code", 5000)?;
                td.finish()?;
            }
            let prod = products::product_from(&mut d, id, ctx.scope.livemode, ctx.now)?;
            d.finish()?;
            Ok((
                prod.id.clone(),
                prod.name.clone(),
                store_inline.then_some(prod),
            ))
        }
        (None, None) => Err(StripeError::invalid_request(
            format!("Missing required param: {}.", p.path("product")),
            Some(p.path("product")),
        )
        .code("parameter_missing")),
    }
}

/// Parse inline `price_data` (line items of a session) into an inactive
/// price, queueing it (and a `product_data` product) for insertion with
/// the session, as Stripe creates both.
pub async fn price_from_data(
    state: &AppState,
    ctx: &Ctx,
    mut p: Params,
    inline: &mut resource::Inline,
) -> StripeResult<Price> {
    let currency = required_currency(&mut p, "currency")?;
    let (product, product_name, made) = price_product(state, ctx, &mut p, true).await?;
    if let Some(prod) = &made {
        inline.add(products::KIND, &prod.id, prod.created, prod)?;
    }
    let recurring = recurring(&mut p, false)?;
    let tax_behavior = tax_behavior(&mut p)?;
    let unit_amount_decimal = amount(&mut p)?;
    p.finish()?;
    let price = Price {
        id: ids::object_id("price"),
        livemode: ctx.scope.livemode,
        created: ctx.now,
        active: false,
        currency,
        product,
        product_name,
        unit_amount_decimal,
        recurring,
        tax_behavior,
        lookup_key: None,
        nickname: None,
        metadata: Default::default(),
    };
    inline.add(KIND, &price.id, price.created, &price)?;
    Ok(price)
}

async fn create_price(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    let expand = Expand::read(&mut p, &["product"])?;
    let currency = required_currency(&mut p, "currency")?;
    if let Some(scheme) = p.enumeration("billing_scheme", &["per_unit", "tiered"])? {
        if scheme == "tiered" {
            return Err(unsupported(&p, "billing_scheme", "Tiered pricing"));
        }
    }
    for (key, what) in [
        ("currency_options", "`currency_options` on prices"),
        ("custom_unit_amount", "`custom_unit_amount`"),
        ("transform_quantity", "`transform_quantity`"),
        ("tiers", "Tiered pricing"),
        ("tiers_mode", "Tiered pricing"),
    ] {
        if p.has(key) {
            return Err(unsupported(&p, key, what));
        }
    }
    let (product_id, product_name, inline) = price_product(&state, &ctx, &mut p, true).await?;
    let price = Price {
        id: ids::object_id("price"),
        livemode: ctx.scope.livemode,
        created: ctx.now,
        active: p.bool("active")?.unwrap_or(true),
        currency,
        product: product_id,
        product_name,
        recurring: recurring(&mut p, true)?,
        tax_behavior: tax_behavior(&mut p)?,
        lookup_key: p.string("lookup_key", 200)?,
        nickname: p.string("nickname", 5000)?,
        metadata: new_metadata(&mut p, "metadata")?,
        unit_amount_decimal: amount(&mut p)?,
    };
    p.bool("transfer_lookup_key")?;
    p.finish()?;
    if let Some(prod) = &inline {
        let body = products::render(prod);
        let events = vec![created_event(&ctx, "product.created", &body)];
        resource::insert(
            &state,
            &ctx,
            products::KIND,
            (&prod.id, prod.created),
            prod,
            Index::default(),
            events,
        )
        .await?;
    }
    let body = render(&price, None);
    let events = vec![created_event(&ctx, "price.created", &body)];
    resource::insert(
        &state,
        &ctx,
        KIND,
        (&price.id, price.created),
        &price,
        Index::default(),
        events,
    )
    .await?;
    respond(&state, &ctx, &price, &expand).await
}

async fn respond(
    state: &AppState,
    ctx: &Ctx,
    price: &Price,
    expand: &Expand,
) -> StripeResult<Json<Value>> {
    let product = if expand.has("product") {
        let prod: Product =
            resource::load(state, ctx, products::KIND, "product", &price.product, None).await?;
        Some(products::render(&prod))
    } else {
        None
    };
    Ok(Json(render(price, product)))
}

async fn retrieve_price(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    let expand = Expand::read(&mut p, &["product"])?;
    p.finish()?;
    let price: Price = resource::load(&state, &ctx, KIND, "price", &id, None).await?;
    respond(&state, &ctx, &price, &expand).await
}

async fn update_price(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    let expand = Expand::read(&mut p, &["product"])?;
    if p.has("currency_options") {
        return Err(unsupported(
            &p,
            "currency_options",
            "`currency_options` on prices",
        ));
    }
    let active = p.bool("active")?;
    let lookup_key = p.string("lookup_key", 200)?;
    let metadata = super::params::metadata_patch(&mut p, "metadata")?;
    let nickname = p.string("nickname", 5000)?;
    let behavior = tax_behavior(&mut p)?;
    p.bool("transfer_lookup_key")?;
    p.finish()?;
    let price = resource::modify(&state, &ctx, KIND, "price", &id, |mut price: Price| {
        let before = render(&price, None);
        if let Some(v) = active { price.active = v; }
        if let Some(v) = &lookup_key { price.lookup_key = Some(v.clone()); }
        if let Some(patch) = &metadata {
            price.metadata = checkout_domain::metadata::apply("metadata", &price.metadata, patch)?;
        }
        if let Some(v) = &nickname { price.nickname = Some(v.clone()); }
        if let Some(v) = behavior {
            // Stripe lets tax behaviour be set once, from unspecified.
            if price.tax_behavior.is_some_and(|t| t != TaxBehavior::Unspecified && t != v) {
                return Err(checkout_domain::DomainError::invalid(
                    "tax_behavior",
                    "The `tax_behavior` of a price cannot be changed once it is `exclusive` or `inclusive`.",
                ));
            }
            price.tax_behavior = Some(v);
        }
        let event = updated_event(&ctx, "price.updated", &before, &render(&price, None));
        Ok(resource::Modified::new(price, Index::default(), vec![event]))
    })
    .await?;
    respond(&state, &ctx, &price, &expand).await
}

async fn list_prices(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    let expand = Expand::read(
        &mut p,
        &Expand::for_list(&["product"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )?;
    let query = list::query(&mut p, KIND, true)?;
    let active = p.bool("active")?;
    let currency = super::params::currency(&mut p, "currency")?;
    let product = p.string("product", 5000)?;
    let kind = p.enumeration("type", &["one_time", "recurring"])?;
    let lookup_keys = p.string_array("lookup_keys", 5000)?;
    let interval = match p.required_object("recurring")? {
        None => None,
        Some(mut r) => {
            let i = r
                .enumeration("interval", Interval::VALUES)?
                .and_then(Interval::parse);
            r.enumeration("usage_type", &["licensed", "metered"])?;
            r.finish()?;
            i
        }
    };
    p.finish()?;
    let (items, has_more) = resource::list(&state, &ctx, query, "price", |pr: &Price| {
        active.is_none_or(|a| pr.active == a)
            && currency.is_none_or(|c| pr.currency == c)
            && product.as_ref().is_none_or(|id| &pr.product == id)
            && kind.is_none_or(|k| (k == "recurring") == pr.recurring.is_some())
            && lookup_keys
                .as_ref()
                .is_none_or(|keys| pr.lookup_key.as_ref().is_some_and(|k| keys.contains(k)))
            && interval.is_none_or(|i| pr.recurring.as_ref().is_some_and(|r| r.interval == i))
    })
    .await?;
    let item_expand = expand.under("data");
    let mut data = Vec::with_capacity(items.len());
    for price in &items {
        data.push(respond(&state, &ctx, price, &item_expand).await?.0);
    }
    Ok(Json(list::envelope(data, has_more, "/v1/prices")))
}
