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
use super::json_out::Object;
use super::{prices, shipping_rates, tax_rates};
use checkout_domain::catalog::TaxRate;
use checkout_domain::session::{Address, LineItem, Mode, Session, Status, UiMode};
use serde_json::{json, Value};

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
fn breakdown(lines: &[LineItem]) -> Value {
    let mut taxes: Vec<(String, i64, i64, &TaxRate)> = Vec::new();
    for line in lines {
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
pub fn line_items_list(id: &str, lines: &[LineItem], expand: &Expand) -> Value {
    let data: Vec<Value> = lines.iter().take(10).map(|l| item(l, expand)).collect();
    json!({
        "object": "list",
        "data": data,
        "has_more": lines.len() > 10,
        "url": format!("/v1/checkout/sessions/{id}/line_items"),
    })
}

// Constant sub-objects, as JSON text.
const AUTOMATIC_TAX: &str = r#"{"enabled":false,"liability":null,"provider":null,"status":null}"#;
const BRANDING_SETTINGS: &str = r##"{"background_color":"#ffffff","border_style":"rounded","button_color":"#0074d4","display_name":"checkoutd","font_family":"default","icon":null,"logo":null}"##;
const CUSTOM_TEXT: &str = r#"{"after_submit":null,"shipping_address":null,"submit":null,"terms_of_service_acceptance":null}"#;
const EMPTY_OBJECT: &str = "{}";
const EMPTY_LIST: &str = "[]";
const PHONE_NUMBER_COLLECTION: &str = r#"{"enabled":false}"#;
const TAX_ID_COLLECTION: &str = r#"{"enabled":false,"required":"never"}"#;

fn write_address(o: &mut Object<'_>, a: &Address) {
    o.opt_str("city", a.city.as_deref());
    o.opt_str("country", a.country.as_deref());
    o.opt_str("line1", a.line1.as_deref());
    o.opt_str("line2", a.line2.as_deref());
    o.opt_str("postal_code", a.postal_code.as_deref());
    o.opt_str("state", a.state.as_deref());
}

/// The session object, appended to `out` (see [`super::json_out`] for why by
/// hand rather than through `Serialize`).
pub fn write(out: &mut Vec<u8>, s: &Session, view: &View<'_>) -> serde_json::Result<()> {
    let expand = view.expand;
    let lines = &s.line_items;
    let payment = s.mode != Mode::Setup;
    let hosted = s.ui_mode.is_hosted();
    // `card` when none were given.
    let methods = |o: &mut Object<'_>, key| match s.payment_method_types.as_slice() {
        [] => o.raw(key, r#"["card"]"#),
        given => o.value(key, given),
    };
    let mut o = Object::begin(out);
    o.str("id", &s.id);
    o.str("object", "checkout.session");
    o.null("adaptive_pricing");
    o.null("after_expiration");
    o.null("allow_promotion_codes");
    methods(&mut o, "allowed_payment_method_types");
    o.opt_int(
        "amount_subtotal",
        payment.then_some(s.totals.amount_subtotal),
    );
    o.opt_int("amount_total", payment.then_some(s.totals.amount_total));
    o.raw("automatic_tax", AUTOMATIC_TAX);
    o.opt_str(
        "billing_address_collection",
        s.billing_address_collection.as_deref(),
    );
    o.raw("branding_settings", BRANDING_SETTINGS);
    o.opt_str("cancel_url", s.cancel_url.as_deref());
    o.opt_str("client_reference_id", s.client_reference_id.as_deref());
    o.opt_str("client_secret", s.client_secret.as_deref());
    o.opt_object(
        "collected_information",
        s.collected_shipping.as_ref(),
        |c, d| {
            c.null("business_name");
            c.null("individual_name");
            c.object("shipping_details", |sd| {
                sd.object("address", |a| write_address(a, &d.address));
                sd.str("name", &d.name);
            });
        },
    );
    o.null("consent");
    o.null("consent_collection");
    o.int("created", s.created);
    o.value("currency", &s.currency);
    o.null("currency_conversion");
    o.raw("custom_fields", EMPTY_LIST);
    o.raw("custom_text", CUSTOM_TEXT);
    o.null("customer");
    o.null("customer_account");
    o.opt_str(
        "customer_creation",
        (s.mode == Mode::Payment).then_some("if_required"),
    );
    o.opt_object("customer_details", s.customer_details.as_ref(), |c, d| {
        c.opt_object("address", d.address.as_ref(), write_address);
        c.null("business_name");
        c.opt_str("email", d.email.as_deref());
        c.null("individual_name");
        c.opt_str("name", d.name.as_deref());
        c.opt_str("phone", d.phone.as_deref());
        c.str("tax_exempt", "none");
        c.raw("tax_ids", EMPTY_LIST);
    });
    o.opt_str("customer_email", s.customer_email.as_deref());
    o.raw("discounts", EMPTY_LIST);
    o.raw("excluded_payment_method_types", EMPTY_LIST);
    o.int("expires_at", s.expires_at);
    o.null("integration_identifier");
    o.null("invoice");
    o.null("invoice_creation");
    o.bool("livemode", s.livemode);
    o.opt_str("locale", s.locale.as_deref());
    o.null("managed_payments");
    o.value("metadata", &s.metadata);
    o.str("mode", s.mode.as_str());
    o.raw("name_collection", EMPTY_OBJECT);
    o.null("optional_items");
    o.null("origin_context");
    o.opt_str("payment_intent", s.payment_intent.as_deref());
    o.null("payment_link");
    o.opt_str("payment_method_collection", payment.then_some("always"));
    o.null("payment_method_configuration_details");
    o.raw("payment_method_options", EMPTY_OBJECT);
    methods(&mut o, "payment_method_types");
    o.str("payment_status", s.payment_status.as_str());
    o.opt_object(
        "permissions",
        s.update_shipping_details.as_deref(),
        |p, u| p.str("update_shipping_details", u),
    );
    o.raw("phone_number_collection", PHONE_NUMBER_COLLECTION);
    o.null("recovered_from");
    o.opt_str(
        "redirect_on_completion",
        (!hosted).then(|| s.redirect_on_completion.as_deref().unwrap_or("always")),
    );
    o.opt_str("return_url", s.return_url.as_deref());
    o.null("saved_payment_method_options");
    o.opt_str("setup_intent", s.setup_intent.as_deref());
    o.opt_object(
        "shipping_address_collection",
        s.shipping_allowed_countries.as_ref(),
        |c, countries| c.value("allowed_countries", countries),
    );
    o.opt_object("shipping_cost", s.selected_rate(), |c, rate| {
        let amount = s.shipping_amount(rate).unwrap_or(0);
        c.int("amount_subtotal", amount);
        c.int("amount_tax", 0);
        c.int("amount_total", amount);
        if expand.has("shipping_cost.shipping_rate") {
            c.value("shipping_rate", &shipping_rates::render(rate));
        } else {
            c.str("shipping_rate", &rate.id);
        }
        if expand.has("shipping_cost.taxes") {
            c.raw("taxes", EMPTY_LIST);
        }
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
    o.value("shipping_options", &shipping_options);
    o.str("status", s.status.as_str());
    o.opt_str("submit_type", s.submit_type.as_deref());
    o.opt_str("subscription", s.subscription.as_deref());
    o.opt_str("success_url", s.success_url.as_deref());
    o.raw("tax_id_collection", TAX_ID_COLLECTION);
    o.opt_object("total_details", payment.then_some(()), |t, ()| {
        t.int("amount_discount", s.totals.amount_discount);
        t.int("amount_shipping", s.totals.amount_shipping);
        t.int("amount_tax", s.totals.amount_tax);
        if expand.has("total_details.breakdown") {
            t.value("breakdown", &breakdown(lines));
        }
    });
    o.str("ui_mode", ui_mode_name(s.ui_mode, view.api_version));
    if hosted && s.status == Status::Open {
        o.str("url", &[view.public_url, "/c/pay/", &s.id].concat());
    } else {
        o.null("url");
    }
    o.null("wallet_options");
    let presentment = s.currency.filter(|_| payment);
    o.opt_object("presentment_details", presentment, |p, currency| {
        p.int("presentment_amount", s.totals.amount_total);
        p.value("presentment_currency", &currency);
    });
    if expand.has("line_items") {
        let items = line_items_list(&s.id, lines, &expand.under("line_items").under("data"));
        o.value("line_items", &items);
    }
    o.end()
}

/// The session object as a JSON value, for what patches or embeds the tree
/// (events, lists, expanded products).
pub fn session(s: &Session, view: &View<'_>) -> Value {
    let mut out = Vec::with_capacity(4096);
    // Every field is a plain value or a string-keyed map: unreachable,
    // but a log line beats a panic if that ever changes.
    let parsed = write(&mut out, s, view)
        .map_err(|e| e.to_string())
        .and_then(|()| serde_json::from_slice(&out).map_err(|e| e.to_string()));
    parsed.unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not render a session");
        Value::Null
    })
}

/// A session in its events: unexpanded, at the event's API version.
impl crate::app::events::EventObject for Session {
    fn event_object(&self, call: &crate::app::Call, public_url: &str) -> Value {
        let view = View {
            expand: &Expand::default(),
            api_version: &call.api_version,
            public_url,
        };
        session(self, &view)
    }
}
