//! Parsing of checkout-session parameters into domain inputs, resolving
//! price, tax-rate and shipping-rate ids into snapshots on the way.
//!
//! Parameters Stripe has but checkoutd does not implement answer a 400
//! naming them (never "unknown parameter", which would mislead, and never
//! silently ignored).

use super::context::Ctx;
use super::error::{StripeError, StripeResult};
use super::form::{element, Params};
use super::inline::Inline;
use super::params::{metadata_patch, new_metadata};
use super::{prices, shipping_rates};
use crate::app::catalog;
use crate::http::AppState;
use checkout_domain::catalog::{Price, ShippingRate, TaxRate};
use checkout_domain::metadata::{self, MetadataPatch};
use checkout_domain::session::{
    Address, AdjustableQuantity, LineItemUpdate, NewLineItem, PaymentIntentData,
    PaymentIntentDataUpdate, ShippingDetails,
};

/// Locales of the spec (plus endive's `hi-IN`).
pub const LOCALES: &[&str] = &[
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr",
    "fr-CA", "hi-IN", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl",
    "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
];

/// Create parameters Stripe documents that checkoutd does not implement.
pub const UNSUPPORTED_CREATE: &[&str] = &[
    "adaptive_pricing",
    "after_expiration",
    "branding_settings",
    "consent_collection",
    "custom_fields",
    "custom_text",
    "customer",
    "customer_account",
    "customer_update",
    "discounts",
    "excluded_payment_method_types",
    "integration_identifier",
    "invoice_creation",
    "managed_payments",
    "name_collection",
    "optional_items",
    "origin_context",
    "payment_method_collection",
    "payment_method_configuration",
    "payment_method_data",
    "payment_method_options",
    "saved_payment_method_options",
    "setup_intent_data",
    "subscription_data",
    "tax_id_collection",
    "wallet_options",
];

/// A 400 for a Stripe parameter checkoutd does not implement.
pub fn unsupported(param: &str) -> StripeError {
    StripeError::invalid_request(
        format!("The parameter `{param}` is not supported by checkoutd yet."),
        Some(param.to_owned()),
    )
}

/// An active price by id.
async fn load_price(state: &AppState, ctx: &Ctx, id: &str, param: &str) -> StripeResult<Price> {
    let price: Price = catalog::retrieve(&*state.store, ctx, id, Some(param)).await?;
    if !price.active {
        return Err(StripeError::invalid_request(
            "The price specified is inactive. This field only accepts active prices.",
            Some(param.to_owned()),
        ));
    }
    Ok(price)
}

/// `price` or `price_data` of one line; `None` when neither is given.
async fn line_price(
    state: &AppState,
    ctx: &Ctx,
    l: &mut Params,
    inline: &mut Inline,
) -> StripeResult<Option<Price>> {
    let by_id = l.string("price", 5000)?;
    let data = l.required_object("price_data")?;
    match (by_id, data) {
        (Some(_), Some(_)) => Err(StripeError::invalid_request(
            "You may only specify one of these parameters: price, price_data.",
            Some(l.path("price")),
        )),
        (Some(id), None) => load_price(state, ctx, &id, &l.path("price"))
            .await
            .map(Some),
        (None, Some(d)) => prices::price_from_data(state, ctx, d, inline)
            .await
            .map(Some),
        (None, None) => Ok(None),
    }
}

/// `tax_rates[]` of one line: `Some(vec![])` for `tax_rates=`.
async fn line_tax_rates(
    state: &AppState,
    ctx: &Ctx,
    l: &mut Params,
) -> StripeResult<Option<Vec<TaxRate>>> {
    let Some(ids) = l.string_array("tax_rates", 5000)? else {
        return Ok(None);
    };
    let path = l.path("tax_rates");
    if ids.len() > 5 {
        return Err(StripeError::invalid_request(
            format!(
                "You may only specify up to 5 tax rates per line item, but you passed {}.",
                ids.len()
            ),
            Some(path),
        ));
    }
    let mut rates = Vec::with_capacity(ids.len());
    for id in ids {
        let rate: TaxRate = catalog::retrieve(&*state.store, ctx, &id, Some(&path)).await?;
        if !rate.active {
            return Err(StripeError::invalid_request(
                format!("The tax rate `{id}` is inactive and cannot be used."),
                Some(path),
            ));
        }
        rates.push(rate);
    }
    Ok(Some(rates))
}

fn adjustable_quantity(l: &mut Params) -> StripeResult<Option<AdjustableQuantity>> {
    let Some(mut a) = l.required_object("adjustable_quantity")? else {
        return Ok(None);
    };
    let enabled = a.bool("enabled")?.ok_or_else(|| a.missing("enabled"))?;
    let minimum = a.int_in("minimum", 0, 999_999)?;
    let maximum = a.int_in("maximum", 1, 999_999)?;
    a.finish()?;
    Ok(Some(AdjustableQuantity {
        enabled,
        minimum,
        maximum,
    }))
}

fn quantity(l: &mut Params) -> StripeResult<Option<i64>> {
    l.int_in("quantity", 0, 999_999)
}

/// `line_items` on create.
pub async fn new_line_items(
    state: &AppState,
    ctx: &Ctx,
    p: &mut Params,
    inline: &mut Inline,
) -> StripeResult<Vec<NewLineItem>> {
    let Some(items) = p.array("line_items")? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(items.len());
    for (path, v) in items {
        let mut l = element(path, v)?;
        let price = line_price(state, ctx, &mut l, inline)
            .await?
            .ok_or_else(|| l.missing("price"))?;
        let item = NewLineItem {
            price,
            quantity: quantity(&mut l)?,
            tax_rates: line_tax_rates(state, ctx, &mut l)
                .await?
                .unwrap_or_default(),
            adjustable_quantity: adjustable_quantity(&mut l)?,
            metadata: new_metadata(&mut l, "metadata")?,
        };
        if l.has("dynamic_tax_rates") {
            return Err(unsupported(&l.path("dynamic_tax_rates")));
        }
        l.finish()?;
        out.push(item);
    }
    Ok(out)
}

/// `line_items` on update: the whole array, retransmitted.
pub async fn line_item_updates(
    state: &AppState,
    ctx: &Ctx,
    p: &mut Params,
    inline: &mut Inline,
) -> StripeResult<Option<Vec<LineItemUpdate>>> {
    let Some(items) = p.array("line_items")? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(items.len());
    for (path, v) in items {
        let mut l = element(path, v)?;
        let id = l.string("id", 5000)?;
        let price = line_price(state, ctx, &mut l, inline).await?;
        let metadata = metadata_patch(&mut l, "metadata")?;
        // Checked here so a bad key names its line even for a new line.
        if let Some(MetadataPatch::Merge(pairs)) = &metadata {
            for (k, v) in pairs {
                metadata::check_entry(&l.path("metadata"), k, v.as_deref())?;
            }
        }
        let update = LineItemUpdate {
            id,
            price,
            quantity: quantity(&mut l)?,
            tax_rates: line_tax_rates(state, ctx, &mut l).await?,
            adjustable_quantity: adjustable_quantity(&mut l)?,
            metadata,
        };
        l.finish()?;
        out.push(update);
    }
    Ok(Some(out))
}

/// `shipping_options`: `Some(vec![])` for `shipping_options=`.
pub async fn shipping_options(
    state: &AppState,
    ctx: &Ctx,
    p: &mut Params,
    inline: &mut Inline,
) -> StripeResult<Option<Vec<ShippingRate>>> {
    let Some(items) = p.array("shipping_options")? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(items.len());
    for (path, v) in items {
        let mut o = element(path, v)?;
        let by_id = o.string("shipping_rate", 5000)?;
        let data = o.required_object("shipping_rate_data")?;
        let rate = match (by_id, data) {
            (Some(_), Some(_)) => return Err(StripeError::invalid_request(
                "You may only specify one of these parameters: shipping_rate, shipping_rate_data.",
                Some(o.path("shipping_rate")),
            )),
            (Some(id), None) => {
                let rate: ShippingRate =
                    catalog::retrieve(&*state.store, ctx, &id, Some(&o.path("shipping_rate")))
                        .await?;
                if !rate.active {
                    return Err(StripeError::invalid_request(
                        format!("The shipping rate `{id}` is inactive and cannot be used."),
                        Some(o.path("shipping_rate")),
                    ));
                }
                rate
            }
            (None, Some(mut d)) => {
                let rate = shipping_rates::rate_from(&mut d, ctx)?;
                d.finish()?;
                inline.add(shipping_rates::KIND, &rate.id, rate.created, &rate)?;
                rate
            }
            (None, None) => return Err(o.missing("shipping_rate")),
        };
        o.finish()?;
        out.push(rate);
    }
    Ok(Some(out))
}

/// `shipping_details` / `collected_information[shipping_details]`.
pub fn shipping_details(mut s: Params) -> StripeResult<ShippingDetails> {
    let name = s.required_string("name", 255)?;
    let mut a = s
        .required_object("address")?
        .ok_or_else(|| s.missing("address"))?;
    let country = a.required_string("country", 5000)?;
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(StripeError::invalid_request(
            format!("Invalid country: {country}; use a two-letter ISO 3166-1 alpha-2 code such as US or DE."),
            Some(a.path("country")),
        ));
    }
    let address = Address {
        line1: Some(a.required_string("line1", 5000)?),
        line2: a.string("line2", 5000)?,
        city: a.string("city", 5000)?,
        state: a.string("state", 5000)?,
        postal_code: a.string("postal_code", 5000)?,
        country: Some(country),
    };
    a.finish()?;
    s.finish()?;
    Ok(ShippingDetails { name, address })
}

/// `payment_intent_data` on create.
pub fn new_payment_intent_data(p: &mut Params) -> StripeResult<PaymentIntentData> {
    let Some(mut d) = p.required_object("payment_intent_data")? else {
        return Ok(PaymentIntentData::default());
    };
    let data = PaymentIntentData {
        description: d.string("description", 1000)?,
        metadata: new_metadata(&mut d, "metadata")?,
        setup_future_usage: d
            .enumeration("setup_future_usage", &["off_session", "on_session"])?
            .map(str::to_owned),
        statement_descriptor: d.string("statement_descriptor", 22)?,
        statement_descriptor_suffix: d.string("statement_descriptor_suffix", 22)?,
    };
    for key in [
        "application_fee_amount",
        "capture_method",
        "on_behalf_of",
        "receipt_email",
        "shipping",
        "transfer_data",
        "transfer_group",
    ] {
        if d.has(key) {
            return Err(unsupported(&d.path(key)));
        }
    }
    d.finish()?;
    Ok(data)
}

/// `payment_intent_data` on update (endive): every field emptyable.
pub fn payment_intent_data_update(p: &mut Params) -> StripeResult<Option<PaymentIntentDataUpdate>> {
    let Some(mut d) = p.required_object("payment_intent_data")? else {
        return Ok(None);
    };
    let sfu = match d.raw_str("setup_future_usage")? {
        None => None,
        Some(s) if s.is_empty() => Some(None),
        Some(s) if s == "off_session" || s == "on_session" => Some(Some(s)),
        Some(s) => {
            return Err(d.enum_error("setup_future_usage", &s, &["off_session", "on_session"]))
        }
    };
    let update = PaymentIntentDataUpdate {
        description: d.emptyable_string("description", 1000)?,
        metadata: metadata_patch(&mut d, "metadata")?,
        setup_future_usage: sfu,
        statement_descriptor: d.emptyable_string("statement_descriptor", 22)?,
        statement_descriptor_suffix: d.emptyable_string("statement_descriptor_suffix", 22)?,
    };
    d.finish()?;
    Ok(Some(update))
}
