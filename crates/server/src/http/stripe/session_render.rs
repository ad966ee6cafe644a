//! The `checkout.session` and `item` objects as Stripe renders them.
//!
//! Every field of the spec's schema is present; nullable ones are `null`
//! when they don't apply, and so are a few optional ones DESIGN.md names
//! (`return_url` and `redirect_on_completion` on hosted sessions).
//! Includables (`line_items`, item `taxes`, `total_details.breakdown`,
//! `shipping_cost.taxes`) appear only when expanded. Requests pinned to an
//! API version before 2026-03-25 get the old `ui_mode` names (`hosted`,
//! `embedded`, `custom`), as typed clients of those versions expect.

use super::expand::Expand;
use super::{prices, shipping_rates, tax_rates};
use checkout_domain::catalog::TaxRate;
use checkout_domain::session::{Address, LineItem, Mode, Session, Status, UiMode};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value};
use std::sync::LazyLock;

/// First API version with the new `ui_mode` names.
const NEW_UI_NAMES_SINCE: &str = "2026-03-25";

/// Paths a session response can expand.
pub const SESSION_EXPANDABLE: &[&str] = &[
    "line_items.data.taxes",
    "line_items.data.price.product",
    "line_items.data.discounts",
    "total_details.breakdown",
    "shipping_cost.taxes",
    "shipping_cost.shipping_rate",
    "shipping_options.shipping_rate",
];

/// Paths a line item can expand.
pub const ITEM_EXPANDABLE: &[&str] = &["taxes", "discounts", "price.product"];

/// How a response is rendered: its expansions, API version and base URL.
pub struct View<'a> {
    pub expand: &'a Expand,
    pub api_version: &'a str,
    pub public_url: &'a str,
}

fn ui_mode_name(ui: UiMode, api_version: &str) -> &'static str {
    if api_version < NEW_UI_NAMES_SINCE {
        match ui {
            UiMode::HostedPage => "hosted",
            UiMode::EmbeddedPage => "embedded",
            UiMode::Elements => "custom",
            UiMode::Form => "form",
        }
    } else {
        ui.as_str()
    }
}

fn address(a: &Address) -> Value {
    json!({
        "city": a.city, "country": a.country, "line1": a.line1,
        "line2": a.line2, "postal_code": a.postal_code, "state": a.state,
    })
}

fn tax_entry(amount: i64, rate: Option<&TaxRate>, taxable: i64) -> Value {
    json!({
        "amount": amount,
        "rate": rate.map(tax_rates::render),
        "taxability_reason": null,
        "taxable_amount": taxable,
    })
}

/// One line item (`object: "item"`).
pub fn item(line: &LineItem, expand: &Expand) -> Value {
    let mut v = json!({
        "id": line.id,
        "object": "item",
        "adjustable_quantity": line.adjustable_quantity.as_ref().map(|a| json!({
            "enabled": a.enabled,
            "maximum": a.maximum.or(a.enabled.then_some(99)),
            "minimum": a.minimum.or(a.enabled.then_some(0)),
        })),
        "amount_discount": line.totals.amount_discount,
        "amount_subtotal": line.totals.amount_subtotal,
        "amount_tax": line.totals.amount_tax,
        "amount_total": line.totals.amount_total,
        "currency": line.price.currency,
        "description": line.price.product_name,
        "metadata": line.metadata,
        "price": prices::render(&line.price, None),
        "quantity": line.quantity,
    });
    if expand.has("discounts") {
        v["discounts"] = json!([]);
    }
    if expand.has("taxes") {
        let taxes: Vec<Value> = line
            .totals
            .taxes
            .iter()
            .map(|t| {
                tax_entry(
                    t.amount,
                    line.tax_rates.iter().find(|r| r.id == t.rate_id),
                    t.taxable_amount,
                )
            })
            .collect();
        v["taxes"] = json!(taxes);
    }
    v
}

/// Σ taxes per rate over all lines, for `total_details.breakdown`.
fn breakdown(s: &Session) -> Value {
    let mut taxes: Vec<(String, i64, i64, &TaxRate)> = Vec::new();
    for line in &s.line_items {
        for t in &line.totals.taxes {
            let Some(rate) = line.tax_rates.iter().find(|r| r.id == t.rate_id) else {
                continue;
            };
            match taxes.iter_mut().find(|(id, ..)| *id == t.rate_id) {
                Some(entry) => {
                    entry.1 = entry.1.saturating_add(t.amount);
                    entry.2 = entry.2.saturating_add(t.taxable_amount);
                }
                None => taxes.push((t.rate_id.clone(), t.amount, t.taxable_amount, rate)),
            }
        }
    }
    json!({
        "discounts": [],
        "taxes": taxes.iter().map(|(_, amount, taxable, rate)| tax_entry(*amount, Some(rate), *taxable)).collect::<Vec<_>>(),
    })
}

/// The line-item list embedded in an expanded session (first 10 items, as
/// Stripe's "first handful"; the rest via its `url`).
pub fn line_items_list(s: &Session, expand: &Expand) -> Value {
    let data: Vec<Value> = s
        .line_items
        .iter()
        .take(10)
        .map(|l| item(l, expand))
        .collect();
    json!({
        "object": "list",
        "data": data,
        "has_more": s.line_items.len() > 10,
        "url": format!("/v1/checkout/sessions/{}/line_items", s.id),
    })
}

static AUTOMATIC_TAX: LazyLock<Value> = LazyLock::new(
    || json!({ "enabled": false, "liability": null, "provider": null, "status": null }),
);
static BRANDING_SETTINGS: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "background_color": "#ffffff",
        "border_style": "rounded",
        "button_color": "#0074d4",
        "display_name": "checkoutd",
        "font_family": "default",
        "icon": null,
        "logo": null,
    })
});
static CUSTOM_TEXT: LazyLock<Value> = LazyLock::new(
    || json!({ "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null }),
);
static NAME_COLLECTION: LazyLock<Value> = LazyLock::new(|| json!({}));
static PAYMENT_METHOD_OPTIONS: LazyLock<Value> = LazyLock::new(|| json!({}));
static PHONE_NUMBER_COLLECTION: LazyLock<Value> = LazyLock::new(|| json!({ "enabled": false }));
static TAX_ID_COLLECTION: LazyLock<Value> =
    LazyLock::new(|| json!({ "enabled": false, "required": "never" }));

/// An empty JSON array.
const NONE: &[()] = &[];

/// The session object, written straight into the response: building a
/// `serde_json::Value` tree first (about 90 owned keys in ordered maps)
/// took a fifth of a retrieve's CPU in the benchmark's profile.
pub struct SessionDoc<'a> {
    pub session: &'a Session,
    pub view: &'a View<'a>,
}

impl Serialize for SessionDoc<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (s, view) = (self.session, self.view);
        let expand = view.expand;
        let payment = s.mode != Mode::Setup;
        let hosted = s.ui_mode.is_hosted();
        let url = (hosted && s.status == Status::Open)
            .then(|| format!("{}/c/pay/{}", view.public_url, s.id));
        let selected = s.selected_rate();
        let shipping_cost = selected.map(|rate| {
            let amount = s.shipping_amount(rate).unwrap_or(0);
            let mut cost = json!({
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "shipping_rate": if expand.has("shipping_cost.shipping_rate") { shipping_rates::render(rate) } else { json!(rate.id) },
            });
            if expand.has("shipping_cost.taxes") {
                cost["taxes"] = json!([]);
            }
            cost
        });
        let expand_options = expand.has("shipping_options.shipping_rate");
        let shipping_options: Vec<Value> = s
            .shipping_options
            .iter()
            .map(|rate| {
                json!({
                    "shipping_amount": s.shipping_amount(rate).unwrap_or(0),
                    "shipping_rate": if expand_options { shipping_rates::render(rate) } else { json!(rate.id) },
                })
            })
            .collect();
        let total_details = payment.then(|| {
            let mut t = json!({
                "amount_discount": s.totals.amount_discount,
                "amount_shipping": s.totals.amount_shipping,
                "amount_tax": s.totals.amount_tax,
            });
            if expand.has("total_details.breakdown") {
                t["breakdown"] = breakdown(s);
            }
            t
        });
        let customer_details = s.customer_details.as_ref().map(|c| {
            json!({
                "address": c.address.as_ref().map(address),
                "business_name": null,
                "email": c.email,
                "individual_name": null,
                "name": c.name,
                "phone": c.phone,
                "tax_exempt": "none",
                "tax_ids": [],
            })
        });
        let collected = s.collected_shipping.as_ref().map(|d| {
            json!({
                "business_name": null,
                "individual_name": null,
                "shipping_details": { "address": address(&d.address), "name": d.name },
            })
        });
        let methods = if s.payment_method_types.is_empty() {
            vec!["card".to_owned()]
        } else {
            s.payment_method_types.clone()
        };
        let presentment = match (payment, s.currency) {
            (true, Some(currency)) => Some(
                json!({ "presentment_amount": s.totals.amount_total, "presentment_currency": currency }),
            ),
            _ => None,
        };
        let mut m = ser.serialize_map(None)?;
        m.serialize_entry("id", &s.id)?;
        m.serialize_entry("object", "checkout.session")?;
        m.serialize_entry("adaptive_pricing", &())?;
        m.serialize_entry("after_expiration", &())?;
        m.serialize_entry("allow_promotion_codes", &())?;
        m.serialize_entry("allowed_payment_method_types", &methods)?;
        m.serialize_entry(
            "amount_subtotal",
            &payment.then_some(s.totals.amount_subtotal),
        )?;
        m.serialize_entry("amount_total", &payment.then_some(s.totals.amount_total))?;
        m.serialize_entry("automatic_tax", &*AUTOMATIC_TAX)?;
        m.serialize_entry("billing_address_collection", &s.billing_address_collection)?;
        m.serialize_entry("branding_settings", &*BRANDING_SETTINGS)?;
        m.serialize_entry("cancel_url", &s.cancel_url)?;
        m.serialize_entry("client_reference_id", &s.client_reference_id)?;
        m.serialize_entry("client_secret", &s.client_secret)?;
        m.serialize_entry("collected_information", &collected)?;
        m.serialize_entry("consent", &())?;
        m.serialize_entry("consent_collection", &())?;
        m.serialize_entry("created", &s.created)?;
        m.serialize_entry("currency", &s.currency)?;
        m.serialize_entry("currency_conversion", &())?;
        m.serialize_entry("custom_fields", NONE)?;
        m.serialize_entry("custom_text", &*CUSTOM_TEXT)?;
        m.serialize_entry("customer", &())?;
        m.serialize_entry("customer_account", &())?;
        m.serialize_entry(
            "customer_creation",
            &(s.mode == Mode::Payment).then_some("if_required"),
        )?;
        m.serialize_entry("customer_details", &customer_details)?;
        m.serialize_entry("customer_email", &s.customer_email)?;
        m.serialize_entry("discounts", NONE)?;
        m.serialize_entry("excluded_payment_method_types", NONE)?;
        m.serialize_entry("expires_at", &s.expires_at)?;
        m.serialize_entry("integration_identifier", &())?;
        m.serialize_entry("invoice", &())?;
        m.serialize_entry("invoice_creation", &())?;
        m.serialize_entry("livemode", &s.livemode)?;
        m.serialize_entry("locale", &s.locale)?;
        m.serialize_entry("managed_payments", &())?;
        m.serialize_entry("metadata", &s.metadata)?;
        m.serialize_entry("mode", &s.mode.as_str())?;
        m.serialize_entry("name_collection", &*NAME_COLLECTION)?;
        m.serialize_entry("optional_items", &())?;
        m.serialize_entry("origin_context", &())?;
        m.serialize_entry("payment_intent", &s.payment_intent)?;
        m.serialize_entry("payment_link", &())?;
        m.serialize_entry("payment_method_collection", &payment.then_some("always"))?;
        m.serialize_entry("payment_method_configuration_details", &())?;
        m.serialize_entry("payment_method_options", &*PAYMENT_METHOD_OPTIONS)?;
        m.serialize_entry("payment_method_types", &methods)?;
        m.serialize_entry("payment_status", &s.payment_status.as_str())?;
        m.serialize_entry(
            "permissions",
            &s.update_shipping_details
                .as_ref()
                .map(|u| json!({ "update_shipping_details": u })),
        )?;
        m.serialize_entry("phone_number_collection", &*PHONE_NUMBER_COLLECTION)?;
        m.serialize_entry("recovered_from", &())?;
        m.serialize_entry(
            "redirect_on_completion",
            &(!hosted).then(|| s.redirect_on_completion.as_deref().unwrap_or("always")),
        )?;
        m.serialize_entry("return_url", &s.return_url)?;
        m.serialize_entry("saved_payment_method_options", &())?;
        m.serialize_entry("setup_intent", &s.setup_intent)?;
        m.serialize_entry(
            "shipping_address_collection",
            &s.shipping_allowed_countries
                .as_ref()
                .map(|c| json!({ "allowed_countries": c })),
        )?;
        m.serialize_entry("shipping_cost", &shipping_cost)?;
        m.serialize_entry("shipping_options", &shipping_options)?;
        m.serialize_entry("status", &s.status.as_str())?;
        m.serialize_entry("submit_type", &s.submit_type)?;
        m.serialize_entry("subscription", &s.subscription)?;
        m.serialize_entry("success_url", &s.success_url)?;
        m.serialize_entry("tax_id_collection", &*TAX_ID_COLLECTION)?;
        m.serialize_entry("total_details", &total_details)?;
        m.serialize_entry("ui_mode", &ui_mode_name(s.ui_mode, view.api_version))?;
        m.serialize_entry("url", &url)?;
        m.serialize_entry("wallet_options", &())?;
        m.serialize_entry("presentment_details", &presentment)?;
        if expand.has("line_items") {
            let items = line_items_list(s, &expand.under("line_items").under("data"));
            m.serialize_entry("line_items", &items)?;
        }
        m.end()
    }
}

/// The session object as a JSON value, for what patches or embeds the tree
/// (events, lists, expanded products).
pub fn session(s: &Session, view: &View<'_>) -> Value {
    serde_json::to_value(SessionDoc { session: s, view }).unwrap_or_else(|e| {
        // Every field is a plain value or a string-keyed map: unreachable,
        // but a log line beats a panic if that ever changes.
        tracing::error!(error = %e, "could not render a session");
        Value::Null
    })
}
