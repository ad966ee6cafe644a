//! The async-stripe SDK (1.0.0-rc.10) against an in-process checkoutd:
//! requests built by the SDK's own builders, responses decoded into the
//! SDK's types and checked strictly (see `support` for what "strictly"
//! means), then the values asserted.
//!
//! Run: `cargo test -p sdk-rust-tests` (SQLite in a temp dir), or with
//! `CHECKOUTD_TEST_DATABASE_URL=postgres://…` for a fresh PostgreSQL
//! database per test.

mod support;

use std::collections::HashMap;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionShippingOptions, ExpireCheckoutSession, ListCheckoutSession,
    ListLineItemsCheckoutSession, ProductData, RetrieveCheckoutSession,
};
use stripe_product::price::{
    CreatePrice, CreatePriceRecurring, CreatePriceRecurringInterval, ListPrice, RetrievePrice,
};
use stripe_product::product::{CreateProduct, ListProduct, RetrieveProduct};
use stripe_product::shipping_rate::{
    CreateShippingRate, CreateShippingRateDeliveryEstimate,
    CreateShippingRateDeliveryEstimateMaximum, CreateShippingRateDeliveryEstimateMaximumUnit,
    CreateShippingRateDeliveryEstimateMinimum, CreateShippingRateDeliveryEstimateMinimumUnit,
    CreateShippingRateFixedAmount, ListShippingRate, RetrieveShippingRate,
};
use stripe_product::tax_rate::{CreateTaxRate, ListTaxRate, RetrieveTaxRate};
use stripe_shared::{
    CheckoutSession, CheckoutSessionItem, CheckoutSessionMode, CheckoutSessionPaymentStatus,
    CheckoutSessionRedirectOnCompletion, CheckoutSessionStatus, CheckoutSessionUiMode, Price,
    PriceType, Product, RecurringInterval, ShippingRate, ShippingRateDeliveryEstimateBoundUnit,
    TaxRate,
};
use stripe_types::{Currency, Expandable, List};
use support::{sdk_api_version, try_decode_strict, Sdk, Server};

const SUCCESS_URL: &str = "https://example.com/success?session_id={CHECKOUT_SESSION_ID}";
const CANCEL_URL: &str = "https://example.com/cancel";

/// The catalog the sessions sell from. The product is created raw and
/// only its id is kept, so that the session tests do not hinge on the
/// `Product` decode, which has a test of its own.
struct Catalog {
    product_id: String,
    price: Price,
    tax_rate: TaxRate,
    shipping_rate: ShippingRate,
}

async fn raw_product(sdk: &Sdk, name: &str) -> String {
    let (status, body) = sdk.raw("POST", "/v1/products", &[("name", name)]).await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    v["id"].as_str().expect("product id").to_owned()
}

async fn create_tax_rate(sdk: &Sdk) -> TaxRate {
    sdk.send(
        &CreateTaxRate::new("Sales tax", false, 8.25)
            .country("US")
            .state("CA")
            .jurisdiction("US - CA"),
    )
    .await
}

async fn create_shipping_rate(sdk: &Sdk) -> ShippingRate {
    sdk.send(
        &CreateShippingRate::new("Ground")
            .fixed_amount(CreateShippingRateFixedAmount::new(500, Currency::USD))
            .delivery_estimate(CreateShippingRateDeliveryEstimate {
                minimum: Some(CreateShippingRateDeliveryEstimateMinimum::new(
                    CreateShippingRateDeliveryEstimateMinimumUnit::BusinessDay,
                    2,
                )),
                maximum: Some(CreateShippingRateDeliveryEstimateMaximum::new(
                    CreateShippingRateDeliveryEstimateMaximumUnit::BusinessDay,
                    5,
                )),
            }),
    )
    .await
}

async fn catalog(sdk: &Sdk) -> Catalog {
    let product_id = raw_product(sdk, "T-shirt").await;
    let price: Price = sdk
        .send(
            &CreatePrice::new(Currency::USD)
                .product(product_id.as_str())
                .unit_amount(2000),
        )
        .await;
    Catalog {
        product_id,
        price,
        tax_rate: create_tax_rate(sdk).await,
        shipping_rate: create_shipping_rate(sdk).await,
    }
}

/// A `payment` session: 2 × the catalog price with the tax rate, 1 × an
/// inline "Gift wrap" at 15.00, and the shipping rate as the only option.
///
/// Expected totals: lines 4000 + 1500 = 5500; tax 8.25 % of 4000 = 330
/// (exclusive); shipping 500; total 6330.
fn payment_session(c: &Catalog) -> CreateCheckoutSession {
    let shirt = CreateCheckoutSessionLineItems {
        price: Some(c.price.id.to_string()),
        quantity: Some(2),
        tax_rates: Some(vec![c.tax_rate.id.to_string()]),
        ..Default::default()
    };
    let mut wrap_price = CreateCheckoutSessionLineItemsPriceData::new(Currency::USD);
    wrap_price.unit_amount = Some(1500);
    let mut wrap_product = ProductData::new("Gift wrap");
    wrap_product.description = Some("Recycled paper".to_owned());
    wrap_price.product_data = Some(wrap_product);
    let wrap = CreateCheckoutSessionLineItems {
        price_data: Some(wrap_price),
        quantity: Some(1),
        ..Default::default()
    };
    CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .line_items(vec![shirt, wrap])
        .shipping_options(vec![CreateCheckoutSessionShippingOptions {
            shipping_rate: Some(c.shipping_rate.id.to_string()),
            shipping_rate_data: None,
        }])
        .success_url(SUCCESS_URL)
        .cancel_url(CANCEL_URL)
        .customer_email("buyer@example.com")
        .client_reference_id("order-42")
        .metadata(HashMap::from([("order".to_owned(), "42".to_owned())]))
}

fn expandable_id<T: stripe_types::Object>(e: &Option<Expandable<T>>) -> Option<String>
where
    T::Id: ToString,
{
    e.as_ref().map(|e| e.id().to_string())
}

#[tokio::test]
async fn a_product_deserializes_into_the_sdk_product_type() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let product: Product = sdk
        .send(
            &CreateProduct::new("T-shirt")
                .description("A plain cotton T-shirt")
                .metadata(HashMap::from([("sku".to_owned(), "TS-1".to_owned())])),
        )
        .await;
    assert!(product.id.as_str().starts_with("prod_"));
    assert_eq!(product.name, "T-shirt");
    assert_eq!(
        product.description.as_deref(),
        Some("A plain cotton T-shirt")
    );
    assert_eq!(
        product.metadata.get("sku").map(String::as_str),
        Some("TS-1")
    );
    assert!(product.active);
    assert!(!product.livemode);

    let got: Product = sdk.send(&RetrieveProduct::new(product.id.as_str())).await;
    assert_eq!(got.id, product.id);
    let listed: List<Product> = sdk.send(&ListProduct::new()).await;
    assert_eq!(listed.url, "/v1/products");
    assert_eq!(listed.data.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn prices_with_unit_amount_and_unit_amount_decimal_deserialize_into_the_sdk_price_type() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let product_id = raw_product(&sdk, "T-shirt").await;

    let price: Price = sdk
        .send(
            &CreatePrice::new(Currency::USD)
                .product(product_id.as_str())
                .unit_amount(2000),
        )
        .await;
    assert!(price.id.as_str().starts_with("price_"));
    assert_eq!(price.unit_amount, Some(2000));
    assert_eq!(price.unit_amount_decimal.as_deref(), Some("2000"));
    assert_eq!(price.currency, Currency::USD);
    assert_eq!(price.type_, PriceType::OneTime);
    assert_eq!(price.product.id().as_str(), product_id);
    assert!(price.recurring.is_none());
    assert!(price.active);

    let decimal: Price = sdk
        .send(
            &CreatePrice::new(Currency::USD)
                .product(product_id.as_str())
                .unit_amount_decimal("1250.5"),
        )
        .await;
    assert_eq!(decimal.unit_amount_decimal.as_deref(), Some("1250.5"));
    assert_eq!(
        decimal.unit_amount, None,
        "a fractional unit_amount_decimal has no whole unit_amount"
    );

    let got: Price = sdk.send(&RetrievePrice::new(price.id.as_str())).await;
    assert_eq!(got.unit_amount, Some(2000));
    let listed: List<Price> = sdk.send(&ListPrice::new()).await;
    assert_eq!(listed.url, "/v1/prices");
    assert_eq!(listed.data.len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_tax_rate_deserializes_into_the_sdk_tax_rate_type() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let rate = create_tax_rate(&sdk).await;
    assert!(rate.id.as_str().starts_with("txr_"));
    assert_eq!(rate.percentage, 8.25);
    assert!(!rate.inclusive);
    assert!(rate.active);
    assert_eq!(rate.display_name, "Sales tax");
    assert_eq!(rate.country.as_deref(), Some("US"));
    assert_eq!(rate.state.as_deref(), Some("CA"));
    assert_eq!(rate.jurisdiction.as_deref(), Some("US - CA"));

    let got: TaxRate = sdk.send(&RetrieveTaxRate::new(rate.id.as_str())).await;
    assert_eq!(got.id, rate.id);
    let listed: List<TaxRate> = sdk.send(&ListTaxRate::new()).await;
    assert_eq!(listed.url, "/v1/tax_rates");
    assert_eq!(listed.data.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_shipping_rate_with_a_delivery_estimate_deserializes_into_the_sdk_shipping_rate_type() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let rate = create_shipping_rate(&sdk).await;
    assert!(rate.id.as_str().starts_with("shr_"));
    assert_eq!(rate.display_name.as_deref(), Some("Ground"));
    let fixed = rate.fixed_amount.as_ref().expect("fixed_amount");
    assert_eq!((fixed.amount, fixed.currency.clone()), (500, Currency::USD));
    let estimate = rate.delivery_estimate.as_ref().expect("delivery_estimate");
    let min = estimate.minimum.as_ref().expect("minimum");
    let max = estimate.maximum.as_ref().expect("maximum");
    assert_eq!(
        (min.unit.clone(), min.value),
        (ShippingRateDeliveryEstimateBoundUnit::BusinessDay, 2)
    );
    assert_eq!(
        (max.unit.clone(), max.value),
        (ShippingRateDeliveryEstimateBoundUnit::BusinessDay, 5)
    );

    let got: ShippingRate = sdk.send(&RetrieveShippingRate::new(rate.id.as_str())).await;
    assert_eq!(got.id, rate.id);
    let listed: List<ShippingRate> = sdk.send(&ListShippingRate::new()).await;
    assert_eq!(listed.url, "/v1/shipping_rates");
    assert_eq!(listed.data.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_payment_session_with_two_lines_tax_and_shipping_deserializes_with_its_line_items() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let c = catalog(&sdk).await;

    let created: CheckoutSession = sdk.send(&payment_session(&c)).await;
    assert!(created.id.as_str().starts_with("cs_test_"));
    assert_eq!(created.mode, CheckoutSessionMode::Payment);
    assert_eq!(created.status, Some(CheckoutSessionStatus::Open));
    assert_eq!(created.payment_status, CheckoutSessionPaymentStatus::Unpaid);
    assert_eq!(created.ui_mode, Some(CheckoutSessionUiMode::HostedPage));
    assert_eq!(created.currency, Some(Currency::USD));
    assert_eq!(created.amount_subtotal, Some(5500));
    assert_eq!(created.amount_total, Some(6330));
    let totals = created.total_details.as_ref().expect("total_details");
    assert_eq!(
        (
            totals.amount_discount,
            totals.amount_tax,
            totals.amount_shipping
        ),
        (0, 330, Some(500))
    );
    let cost = created.shipping_cost.as_ref().expect("shipping_cost");
    assert_eq!((cost.amount_subtotal, cost.amount_total), (500, 500));
    assert_eq!(
        cost.shipping_rate.as_ref().map(|r| r.id().to_string()),
        Some(c.shipping_rate.id.to_string())
    );
    assert_eq!(created.shipping_options.len(), 1);
    assert_eq!(created.shipping_options[0].shipping_amount, 500);
    assert_eq!(created.customer_email.as_deref(), Some("buyer@example.com"));
    assert_eq!(created.client_reference_id.as_deref(), Some("order-42"));
    assert_eq!(
        created
            .metadata
            .as_ref()
            .and_then(|m| m.get("order"))
            .map(String::as_str),
        Some("42")
    );
    assert_eq!(created.success_url.as_deref(), Some(SUCCESS_URL));
    assert_eq!(created.cancel_url.as_deref(), Some(CANCEL_URL));
    assert_eq!(
        created.url.as_deref(),
        Some(format!("{}/c/pay/{}", server.base, created.id).as_str())
    );
    assert!(
        created.line_items.is_none(),
        "line_items is includable: absent unless expanded"
    );
    assert!(!created.livemode);

    // Retrieve with line_items expanded (the SDK encodes `expand[0]=…`).
    let got: CheckoutSession = sdk
        .send(
            &RetrieveCheckoutSession::new(created.id.clone()).expand(vec!["line_items".to_owned()]),
        )
        .await;
    assert_eq!(got.id, created.id);
    assert_eq!(got.amount_total, Some(6330));
    let items = got.line_items.as_ref().expect("line_items expanded");
    assert_eq!(items.data.len(), 2);
    assert!(!items.has_more);
    assert_eq!(
        items.url,
        format!("/v1/checkout/sessions/{}/line_items", created.id)
    );
    let shirt = &items.data[0];
    assert_eq!(shirt.quantity, Some(2));
    assert_eq!(
        (
            shirt.amount_subtotal,
            shirt.amount_tax,
            shirt.amount_discount,
            shirt.amount_total
        ),
        (4000, 330, 0, 4330)
    );
    assert_eq!(shirt.description.as_deref(), Some("T-shirt"));
    assert_eq!(
        shirt.price.as_ref().map(|p| p.id.clone()),
        Some(c.price.id.clone())
    );
    assert!(
        shirt.taxes.is_none(),
        "item taxes are includable: absent unless expanded"
    );
    let wrap = &items.data[1];
    assert_eq!(wrap.quantity, Some(1));
    assert_eq!(
        (wrap.amount_subtotal, wrap.amount_tax, wrap.amount_total),
        (1500, 0, 1500)
    );
    assert_eq!(wrap.description.as_deref(), Some("Gift wrap"));
    let wrap_price = wrap.price.as_ref().expect("inline price");
    assert_eq!(wrap_price.unit_amount, Some(1500));
    assert_ne!(wrap_price.product.id().as_str(), c.product_id);

    // The same with the brief's `expand[]=line_items` spelling, raw.
    let raw: CheckoutSession = sdk
        .raw_typed(
            "GET",
            &format!("/v1/checkout/sessions/{}", created.id),
            &[("expand[]", "line_items")],
        )
        .await;
    assert_eq!(raw.line_items.map(|l| l.data.len()), Some(2));

    // Deeper expansions: item taxes (with the full tax rate), the tax
    // breakdown, and the shipping rates as objects.
    let deep: CheckoutSession = sdk
        .send(
            &RetrieveCheckoutSession::new(created.id.clone()).expand(vec![
                "line_items.data.taxes".to_owned(),
                "total_details.breakdown".to_owned(),
                "shipping_cost.shipping_rate".to_owned(),
                "shipping_options.shipping_rate".to_owned(),
            ]),
        )
        .await;
    let items = deep.line_items.as_ref().expect("line_items");
    let taxes = items.data[0].taxes.as_ref().expect("taxes expanded");
    assert_eq!(taxes.len(), 1);
    assert_eq!(taxes[0].amount, 330);
    assert_eq!(taxes[0].taxable_amount, Some(4000));
    assert_eq!(taxes[0].rate.id, c.tax_rate.id);
    assert_eq!(items.data[1].taxes.as_ref().map(Vec::len), Some(0));
    let breakdown = deep
        .total_details
        .as_ref()
        .and_then(|t| t.breakdown.as_ref())
        .expect("breakdown expanded");
    assert_eq!(breakdown.taxes.len(), 1);
    assert_eq!(breakdown.taxes[0].amount, 330);
    let rate = deep
        .shipping_cost
        .as_ref()
        .and_then(|s| s.shipping_rate.as_ref())
        .and_then(Expandable::as_object)
        .expect("shipping_cost.shipping_rate expanded");
    assert_eq!(rate.id, c.shipping_rate.id);
    assert!(deep.shipping_options[0].shipping_rate.is_object());

    // List its line items into the SDK's list type.
    let listed: List<CheckoutSessionItem> = sdk
        .send(&ListLineItemsCheckoutSession::new(created.id.clone()))
        .await;
    assert_eq!(listed.data.len(), 2);
    assert!(!listed.has_more);
    assert_eq!(
        listed.url,
        format!("/v1/checkout/sessions/{}/line_items", created.id)
    );
    assert_eq!(listed.data[0].amount_total, 4330);
    assert_eq!(listed.data[1].amount_total, 1500);
    let paged: List<CheckoutSessionItem> = sdk
        .send(
            &ListLineItemsCheckoutSession::new(created.id.clone())
                .limit(1)
                .expand(vec!["data.taxes".to_owned()]),
        )
        .await;
    assert_eq!(paged.data.len(), 1);
    assert!(paged.has_more);
    assert_eq!(paged.data[0].taxes.as_ref().map(|t| t[0].amount), Some(330));

    server.stop().await;
}

#[tokio::test]
async fn listing_sessions_deserializes_into_the_sdk_list_type() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let c = catalog(&sdk).await;
    let first: CheckoutSession = sdk.send(&payment_session(&c)).await;
    let second: CheckoutSession = sdk.send(&payment_session(&c)).await;

    let all: List<CheckoutSession> = sdk.send(&ListCheckoutSession::new()).await;
    assert_eq!(all.url, "/v1/checkout/sessions");
    assert!(!all.has_more);
    let ids: Vec<&str> = all.data.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&first.id.as_str()) && ids.contains(&second.id.as_str()));
    assert!(all.data.iter().all(|s| s.amount_total == Some(6330)));

    let page: List<CheckoutSession> = sdk
        .send(
            &ListCheckoutSession::new()
                .limit(1)
                .expand(vec!["data.line_items".to_owned()]),
        )
        .await;
    assert_eq!(page.data.len(), 1);
    assert!(page.has_more);
    assert_eq!(
        page.data[0].line_items.as_ref().map(|l| l.data.len()),
        Some(2)
    );

    let open: List<CheckoutSession> = sdk
        .send(&ListCheckoutSession::new().status(CheckoutSessionStatus::Open))
        .await;
    assert_eq!(open.data.len(), 2);

    server.stop().await;
}

#[tokio::test]
async fn a_session_completed_by_the_test_helper_deserializes_as_paid() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let c = catalog(&sdk).await;
    let created: CheckoutSession = sdk.send(&payment_session(&c)).await;

    // checkoutd's test helper has no SDK builder: raw form, typed answer.
    let completed: CheckoutSession = sdk
        .raw_typed(
            "POST",
            &format!("/v1/test_helpers/checkout/sessions/{}/complete", created.id),
            &[("email", "payer@example.com"), ("name", "Pat Payer")],
        )
        .await;
    assert_eq!(completed.status, Some(CheckoutSessionStatus::Complete));

    let got: CheckoutSession = sdk
        .send(
            &RetrieveCheckoutSession::new(created.id.clone()).expand(vec!["line_items".to_owned()]),
        )
        .await;
    assert_eq!(got.status, Some(CheckoutSessionStatus::Complete));
    assert_eq!(got.payment_status, CheckoutSessionPaymentStatus::Paid);
    assert_eq!(got.url, None, "a completed session has no url");
    assert_eq!(got.amount_total, Some(6330));
    let pi = expandable_id(&got.payment_intent).expect("payment_intent");
    assert!(pi.starts_with("pi_"), "{pi}");
    let details = got.customer_details.as_ref().expect("customer_details");
    assert_eq!(details.email.as_deref(), Some("payer@example.com"));
    assert_eq!(details.name.as_deref(), Some("Pat Payer"));
    assert_eq!(got.line_items.as_ref().map(|l| l.data.len()), Some(2));

    let complete: List<CheckoutSession> = sdk
        .send(&ListCheckoutSession::new().status(CheckoutSessionStatus::Complete))
        .await;
    assert_eq!(complete.data.len(), 1);
    assert_eq!(complete.data[0].id, created.id);

    server.stop().await;
}

#[tokio::test]
async fn an_expired_session_deserializes_with_status_expired_and_no_url() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let c = catalog(&sdk).await;
    let _kept: CheckoutSession = sdk.send(&payment_session(&c)).await;
    let doomed: CheckoutSession = sdk.send(&payment_session(&c)).await;

    let expired: CheckoutSession = sdk
        .send(&ExpireCheckoutSession::new(doomed.id.clone()))
        .await;
    assert_eq!(expired.id, doomed.id);
    assert_eq!(expired.status, Some(CheckoutSessionStatus::Expired));
    assert_eq!(expired.payment_status, CheckoutSessionPaymentStatus::Unpaid);
    assert_eq!(expired.url, None);

    let got: CheckoutSession = sdk
        .send(&RetrieveCheckoutSession::new(doomed.id.clone()))
        .await;
    assert_eq!(got.status, Some(CheckoutSessionStatus::Expired));

    let listed: List<CheckoutSession> = sdk
        .send(&ListCheckoutSession::new().status(CheckoutSessionStatus::Expired))
        .await;
    assert_eq!(listed.data.len(), 1);
    assert_eq!(listed.data[0].id, doomed.id);

    server.stop().await;
}

#[tokio::test]
async fn a_setup_session_deserializes_without_amounts_and_completes_with_a_setup_intent() {
    let server = Server::start().await;
    let sdk = server.sdk();

    let created: CheckoutSession = sdk
        .send(
            &CreateCheckoutSession::new()
                .mode(CheckoutSessionMode::Setup)
                .currency(Currency::USD)
                .success_url(SUCCESS_URL),
        )
        .await;
    assert_eq!(created.mode, CheckoutSessionMode::Setup);
    assert_eq!(created.status, Some(CheckoutSessionStatus::Open));
    assert_eq!(
        created.payment_status,
        CheckoutSessionPaymentStatus::NoPaymentRequired
    );
    assert_eq!(created.currency, Some(Currency::USD));
    assert_eq!(created.amount_total, None);
    assert_eq!(created.amount_subtotal, None);
    assert!(created.total_details.is_none());
    assert!(created.url.is_some());

    let completed: CheckoutSession = sdk
        .raw_typed(
            "POST",
            &format!("/v1/test_helpers/checkout/sessions/{}/complete", created.id),
            &[("email", "saver@example.com")],
        )
        .await;
    assert_eq!(completed.status, Some(CheckoutSessionStatus::Complete));
    let seti = expandable_id(&completed.setup_intent).expect("setup_intent");
    assert!(seti.starts_with("seti_"), "{seti}");
    assert!(completed.payment_intent.is_none());

    server.stop().await;
}

#[tokio::test]
async fn a_subscription_session_with_a_monthly_price_deserializes() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let product_id = raw_product(&sdk, "Membership").await;
    let monthly: Price = sdk
        .send(
            &CreatePrice::new(Currency::USD)
                .product(product_id.as_str())
                .unit_amount(900)
                .recurring(CreatePriceRecurring::new(
                    CreatePriceRecurringInterval::Month,
                )),
        )
        .await;
    assert_eq!(monthly.type_, PriceType::Recurring);
    let recurring = monthly.recurring.as_ref().expect("recurring");
    assert_eq!(
        (recurring.interval.clone(), recurring.interval_count),
        (RecurringInterval::Month, 1)
    );

    let created: CheckoutSession = sdk
        .send(
            &CreateCheckoutSession::new()
                .mode(CheckoutSessionMode::Subscription)
                .line_items(vec![CreateCheckoutSessionLineItems {
                    price: Some(monthly.id.to_string()),
                    quantity: Some(1),
                    ..Default::default()
                }])
                .success_url(SUCCESS_URL),
        )
        .await;
    assert_eq!(created.mode, CheckoutSessionMode::Subscription);
    assert_eq!(created.amount_total, Some(900));
    assert_eq!(created.status, Some(CheckoutSessionStatus::Open));

    let got: CheckoutSession = sdk
        .send(
            &RetrieveCheckoutSession::new(created.id.clone()).expand(vec!["line_items".to_owned()]),
        )
        .await;
    let line = &got.line_items.as_ref().expect("line_items").data[0];
    let price = line.price.as_ref().expect("price");
    assert_eq!(
        price.recurring.as_ref().map(|r| r.interval.clone()),
        Some(RecurringInterval::Month)
    );

    let completed: CheckoutSession = sdk
        .raw_typed(
            "POST",
            &format!("/v1/test_helpers/checkout/sessions/{}/complete", created.id),
            &[("email", "member@example.com")],
        )
        .await;
    assert_eq!(completed.payment_status, CheckoutSessionPaymentStatus::Paid);
    let sub = expandable_id(&completed.subscription).expect("subscription");
    assert!(sub.starts_with("sub_"), "{sub}");

    server.stop().await;
}

#[tokio::test]
async fn an_embedded_page_session_deserializes_with_its_client_secret_and_return_url() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let c = catalog(&sdk).await;

    let created: CheckoutSession = sdk
        .send(
            &CreateCheckoutSession::new()
                .mode(CheckoutSessionMode::Payment)
                .ui_mode(CheckoutSessionUiMode::EmbeddedPage)
                .return_url("https://example.com/r")
                .line_items(vec![CreateCheckoutSessionLineItems {
                    price: Some(c.price.id.to_string()),
                    quantity: Some(1),
                    ..Default::default()
                }]),
        )
        .await;
    assert_eq!(created.ui_mode, Some(CheckoutSessionUiMode::EmbeddedPage));
    assert_eq!(created.return_url.as_deref(), Some("https://example.com/r"));
    assert_eq!(
        created.redirect_on_completion,
        Some(CheckoutSessionRedirectOnCompletion::Always)
    );
    assert_eq!(created.url, None, "embedded sessions have no hosted url");
    assert_eq!(created.success_url, None);
    let secret = created.client_secret.as_deref().expect("client_secret");
    assert!(
        secret.starts_with(&format!("{}_secret_", created.id)),
        "{secret}"
    );
    assert_eq!(created.amount_total, Some(2000));

    let got: CheckoutSession = sdk
        .send(&RetrieveCheckoutSession::new(created.id.clone()))
        .await;
    assert_eq!(got.ui_mode, Some(CheckoutSessionUiMode::EmbeddedPage));

    server.stop().await;
}

#[tokio::test]
async fn the_sdk_sends_its_pinned_stripe_version_and_gets_it_echoed() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let setup = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Setup)
        .currency(Currency::USD)
        .success_url(SUCCESS_URL);
    let created: CheckoutSession = sdk.send(&setup).await;
    let exchange = sdk.last();
    // async-stripe 1.0.0-rc.10 pins 2026-09-30.endive: after 2026-03-25,
    // so checkoutd renders the new `ui_mode` names the SDK's enum knows.
    assert_eq!(sdk_api_version(), "2026-09-30.endive");
    assert_eq!(exchange.stripe_version.as_deref(), Some(sdk_api_version()));
    assert_eq!(created.ui_mode, Some(CheckoutSessionUiMode::HostedPage));

    // Pinned before 2026-03-25, the same request gets the old name
    // `hosted`, which this SDK's enum does not know: its decode "succeeds"
    // with `Unknown("hosted")` and a warning, and the strict check says so
    // (this also proves warnings inside the SDK's `send` are captured).
    let old = sdk.with_version("2025-09-30.clover");
    let problems = match old.try_send(&setup).await {
        Ok(_) => panic!("the old ui_mode name decoded cleanly"),
        Err(p) => p.join("\n"),
    };
    assert_eq!(
        old.last().stripe_version.as_deref(),
        Some("2025-09-30.clover")
    );
    assert!(
        problems.contains("Unknown value 'hosted' for enum 'CheckoutSessionUiMode'"),
        "{problems}"
    );
    server.stop().await;
}

/// The harness itself: a session body that is fine, then broken four ways,
/// each of which must be caught.
#[tokio::test]
async fn the_strict_decode_catches_a_missing_a_mistyped_an_omitted_and_an_unknown_value() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let created: CheckoutSession = sdk
        .send(
            &CreateCheckoutSession::new()
                .mode(CheckoutSessionMode::Setup)
                .currency(Currency::USD)
                .success_url(SUCCESS_URL),
        )
        .await;
    let body: serde_json::Value = serde_json::from_str(&sdk.last().response).expect("JSON");
    assert_eq!(body["id"], created.id.as_str());
    let broken = |f: &dyn Fn(&mut serde_json::Map<String, serde_json::Value>)| {
        let mut v = body.clone();
        f(v.as_object_mut().expect("object"));
        match try_decode_strict::<CheckoutSession>(&v.to_string()) {
            Ok(_) => panic!("a broken body decoded cleanly"),
            Err(problems) => problems.join("\n"),
        }
    };
    // A required field missing: the SDK's own decode fails.
    let p = broken(&|o| {
        o.remove("automatic_tax");
    });
    assert!(
        p.contains("miniserde") && p.contains("missing field `automatic_tax`"),
        "{p}"
    );
    // A mistyped field: the SDK's own decode fails.
    let p = broken(&|o| {
        o.insert("created".into(), "yesterday".into());
    });
    assert!(p.contains("miniserde") && p.contains("at `created`"), "{p}");
    // A nullable field omitted instead of sent as null: the SDK would
    // shrug (an absent `Option` is `None`), the presence check does not.
    let p = broken(&|o| {
        o.remove("cancel_url");
        o["automatic_tax"]
            .as_object_mut()
            .expect("automatic_tax")
            .remove("liability");
    });
    assert!(p.contains("missing field `cancel_url`"), "{p}");
    assert!(p.contains("missing field `automatic_tax.liability`"), "{p}");
    // An enum value the SDK does not know: it would decode as `Unknown`.
    let p = broken(&|o| {
        o.insert("ui_mode".into(), "hosted".into());
    });
    assert!(
        p.contains("Unknown value 'hosted' for enum 'CheckoutSessionUiMode'"),
        "{p}"
    );
    server.stop().await;
}
