//! `/v1/prices`: create, retrieve, update, list — and the `price_data`
//! parser that checkout sessions share.
//!
//! Only `per_unit` billing is supported; `tiered` billing, `currency_options`,
//! `custom_unit_amount`, `transform_quantity` and metered usage answer a 400
//! that says so rather than being ignored.

use super::context::Ctx;
use super::error::{StripeError, StripeResult};
use super::expand::Expand;
use super::form::Params;
use super::inline::Inline;
use super::kit::{self, FromParams, Resource};
use super::params::{
    currency, decimal, metadata_patch, new_metadata, required_currency, tax_behavior,
};
use super::products;
use crate::app::catalog::{self, catalog_object, patch_fields, patch_metadata, Filter, Patch};
use crate::http::AppState;
use crate::ids;
use axum::routing::get;
use axum::Router;
use checkout_domain::catalog::{Interval, Price, Product, Recurring, TaxBehavior};
use checkout_domain::metadata::MetadataPatch;
use checkout_domain::{Currency, DomainError, DomainResult};
use rust_decimal::Decimal;
use serde_json::{json, Value};

pub const KIND: &str = "price";

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    type T = Price;
    Router::new()
        .route(
            "/v1/prices",
            get(kit::list_objects::<T>).post(kit::create_object::<T>),
        )
        .route(
            "/v1/prices/{id}",
            get(kit::retrieve_object::<T>).post(kit::update_object::<T>),
        )
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

/// Where a new price's product comes from.
pub enum ProductRef {
    /// `product`: an existing product, and the parameter's path.
    Id { id: String, param: String },
    /// `product_data`: a product made with the price.
    Data(Box<Product>),
}

/// `product` or `product_data` (exactly one).
fn product_ref(p: &mut Params, ctx: &Ctx) -> StripeResult<ProductRef> {
    let by_id = p.string("product", 5000)?;
    let data = p.required_object("product_data")?;
    match (by_id, data) {
        (Some(_), Some(_)) => Err(StripeError::invalid_request(
            "You may only specify one of these parameters: product, product_data.",
            Some(p.path("product")),
        )),
        (Some(id), None) => Ok(ProductRef::Id {
            id,
            param: p.path("product"),
        }),
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
            Ok(ProductRef::Data(Box::new(prod)))
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
    inline: &mut Inline,
) -> StripeResult<Price> {
    let currency = required_currency(&mut p, "currency")?;
    let product = product_ref(&mut p, ctx)?;
    let (product, product_name) = match product {
        ProductRef::Id { id, param } => {
            let prod: Product = catalog::retrieve(&*state.store, ctx, &id, Some(&param)).await?;
            (prod.id, prod.name)
        }
        ProductRef::Data(prod) => {
            inline.add(products::KIND, &prod.id, prod.created, &prod)?;
            (prod.id, prod.name)
        }
    };
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

catalog_object!(Price {
    kind: KIND,
    object: "price",
    events: true,
    render: |p: &Price| render(p, None)
});

/// Create parameters: the price, and where its product comes from (which
/// sets `product` and `product_name`).
pub struct PriceIn {
    price: Price,
    product: ProductRef,
}

impl FromParams for PriceIn {
    fn from_params(p: &mut Params, ctx: &Ctx) -> StripeResult<Self> {
        let currency = required_currency(p, "currency")?;
        if let Some(scheme) = p.enumeration("billing_scheme", &["per_unit", "tiered"])? {
            if scheme == "tiered" {
                return Err(unsupported(p, "billing_scheme", "Tiered pricing"));
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
                return Err(unsupported(p, key, what));
            }
        }
        let product = product_ref(p, ctx)?;
        let price = Price {
            id: ids::object_id("price"),
            livemode: ctx.scope.livemode,
            created: ctx.now,
            active: p.bool("active")?.unwrap_or(true),
            currency,
            product: String::new(),
            product_name: String::new(),
            recurring: recurring(p, true)?,
            tax_behavior: tax_behavior(p)?,
            lookup_key: p.string("lookup_key", 200)?,
            nickname: p.string("nickname", 5000)?,
            metadata: new_metadata(p, "metadata")?,
            unit_amount_decimal: amount(p)?,
        };
        p.bool("transfer_lookup_key")?;
        Ok(Self { price, product })
    }
}

/// Update parameters, each typed as the field it sets.
pub struct PricePatch {
    active: Option<bool>,
    lookup_key: Option<Option<String>>,
    metadata: Option<MetadataPatch>,
    nickname: Option<Option<String>>,
    tax_behavior: Option<TaxBehavior>,
}

impl FromParams for PricePatch {
    fn from_params(p: &mut Params, _: &Ctx) -> StripeResult<Self> {
        if p.has("currency_options") {
            return Err(unsupported(
                p,
                "currency_options",
                "`currency_options` on prices",
            ));
        }
        let patch = Self {
            active: p.bool("active")?,
            lookup_key: p.string("lookup_key", 200)?.map(Some),
            metadata: metadata_patch(p, "metadata")?,
            nickname: p.string("nickname", 5000)?.map(Some),
            tax_behavior: tax_behavior(p)?,
        };
        p.bool("transfer_lookup_key")?;
        Ok(patch)
    }
}

impl Patch<Price> for PricePatch {
    fn apply(&self, price: &mut Price, _: i64) -> DomainResult<()> {
        patch_fields!(price, self; active, lookup_key, nickname);
        patch_metadata(&mut price.metadata, &self.metadata)?;
        if let Some(v) = self.tax_behavior {
            // Stripe lets tax behaviour be set once, from unspecified.
            if price
                .tax_behavior
                .is_some_and(|t| t != TaxBehavior::Unspecified && t != v)
            {
                return Err(DomainError::invalid(
                    "tax_behavior",
                    "The `tax_behavior` of a price cannot be changed once it is `exclusive` or `inclusive`.",
                ));
            }
            price.tax_behavior = Some(v);
        }
        Ok(())
    }
}

/// List filters.
pub struct PriceFilter {
    active: Option<bool>,
    currency: Option<Currency>,
    product: Option<String>,
    recurring: Option<bool>,
    lookup_keys: Option<Vec<String>>,
    interval: Option<Interval>,
}

impl FromParams for PriceFilter {
    fn from_params(p: &mut Params, _: &Ctx) -> StripeResult<Self> {
        let active = p.bool("active")?;
        let currency = currency(p, "currency")?;
        let product = p.string("product", 5000)?;
        let recurring = p
            .enumeration("type", &["one_time", "recurring"])?
            .map(|k| k == "recurring");
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
        Ok(Self {
            active,
            currency,
            product,
            recurring,
            lookup_keys,
            interval,
        })
    }
}

impl Filter<Price> for PriceFilter {
    fn keep(&self, pr: &Price) -> bool {
        self.active.is_none_or(|a| pr.active == a)
            && self.currency.is_none_or(|c| pr.currency == c)
            && self.product.as_ref().is_none_or(|id| &pr.product == id)
            && self.recurring.is_none_or(|r| r == pr.recurring.is_some())
            && self
                .lookup_keys
                .as_ref()
                .is_none_or(|keys| pr.lookup_key.as_ref().is_some_and(|k| keys.contains(k)))
            && self
                .interval
                .is_none_or(|i| pr.recurring.as_ref().is_some_and(|r| r.interval == i))
    }
}

#[async_trait::async_trait]
impl Resource for Price {
    const PATH: &'static str = "/v1/prices";
    const EXPAND: &'static [&'static str] = &["product"];
    type In = PriceIn;
    type Patch = PricePatch;
    type Filter = PriceFilter;

    /// Look the product up, or create the `product_data` one first (with
    /// its `product.created` event), as Stripe does.
    async fn build(state: &AppState, ctx: &Ctx, input: PriceIn) -> StripeResult<Price> {
        let mut price = input.price;
        let prod = match input.product {
            ProductRef::Id { id, param } => {
                catalog::retrieve(&*state.store, ctx, &id, Some(&param)).await?
            }
            ProductRef::Data(prod) => {
                catalog::create(&*state.store, ctx, *prod, Vec::new()).await?
            }
        };
        price.product = prod.id;
        price.product_name = prod.name;
        Ok(price)
    }

    /// `product` is the id unless expanded.
    async fn respond(&self, state: &AppState, ctx: &Ctx, expand: &Expand) -> StripeResult<Value> {
        let product = if expand.has("product") {
            let prod: Product = catalog::retrieve(&*state.store, ctx, &self.product, None).await?;
            Some(products::render(&prod))
        } else {
            None
        };
        Ok(render(self, product))
    }
}
