//! Products, prices, shipping rates and tax rates.

use crate::helpers::{assert_error, TestApp};

#[tokio::test]
async fn metadata_keys_are_set_deleted_and_cleared() {
    let app = TestApp::spawn().await;
    let id = app
        .ok(
            "/v1/products",
            &[("name", "x"), ("metadata[a]", "1"), ("metadata[b]", "2")],
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/products/{id}");
    let p = app
        .ok(&path, &[("metadata[a]", ""), ("metadata[c]", "3")])
        .await;
    assert_eq!(p["metadata"], serde_json::json!({ "b": "2", "c": "3" }));
    let p = app.ok(&path, &[("metadata", "")]).await;
    assert_eq!(p["metadata"], serde_json::json!({}));
    let long = "k".repeat(41);
    let (status, body) = app
        .post(&path, &[(&format!("metadata[{long}]"), "v")])
        .await;
    assert_error(status, &body, 400, Some(&format!("metadata[{long}]")), "Metadata keys can have up to 40 characters, but you passed in a key that is 41 characters.");
}

#[tokio::test]
async fn prices_store_lowercase_currency_and_decimal_amounts() {
    let app = TestApp::spawn().await;
    let product = app.product("Tea").await;
    let p = app
        .ok(
            "/v1/prices",
            &[
                ("currency", "EUR"),
                ("unit_amount_decimal", "250.50"),
                ("product", &product),
            ],
        )
        .await;
    assert_eq!(p["currency"], "eur");
    assert_eq!(p["unit_amount"], serde_json::Value::Null);
    assert_eq!(p["unit_amount_decimal"], "250.5");
    assert_eq!(p["type"], "one_time");
    let (status, body) = app
        .post(
            "/v1/prices",
            &[
                ("currency", "usd"),
                ("unit_amount", "1"),
                ("unit_amount_decimal", "1"),
                ("product", &product),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("unit_amount"),
        "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
    );
    let (status, body) = app
        .post(
            "/v1/prices",
            &[
                ("currency", "usx"),
                ("unit_amount", "1"),
                ("product", &product),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("currency"),
        "Invalid currency: usx",
    );
    let (status, body) = app
        .post(
            "/v1/prices",
            &[
                ("currency", "usd"),
                ("unit_amount", "1"),
                ("product", "prod_nope"),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        404,
        Some("product"),
        "No such product: 'prod_nope'",
    );
}

#[tokio::test]
async fn recurring_prices_and_inline_products() {
    let app = TestApp::spawn().await;
    let p = app
        .ok(
            "/v1/prices",
            &[
                ("currency", "usd"),
                ("unit_amount", "900"),
                ("recurring[interval]", "month"),
                ("product_data[name]", "Plan"),
                ("expand[]", "product"),
            ],
        )
        .await;
    assert_eq!(p["type"], "recurring");
    assert_eq!(p["recurring"]["interval"], "month");
    assert_eq!(p["recurring"]["interval_count"], 1);
    assert_eq!(p["product"]["name"], "Plan");
    let (status, _) = app
        .get(
            &format!("/v1/products/{}", p["product"]["id"].as_str().unwrap()),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let (_, listed) = app.get("/v1/prices", &[("type", "recurring")]).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn tax_rates_keep_four_decimals_and_reject_more() {
    let app = TestApp::spawn().await;
    let r = app
        .ok(
            "/v1/tax_rates",
            &[
                ("display_name", "VAT"),
                ("percentage", "19.1234"),
                ("inclusive", "true"),
                ("country", "DE"),
            ],
        )
        .await;
    assert_eq!(r["percentage"], 19.1234);
    assert_eq!(r["inclusive"], true);
    let (status, body) = app
        .post(
            "/v1/tax_rates",
            &[
                ("display_name", "VAT"),
                ("percentage", "1.23456"),
                ("inclusive", "true"),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("percentage"),
        "Invalid decimal: 1.23456",
    );
    let (status, body) = app
        .post(
            "/v1/tax_rates",
            &[("display_name", "VAT"), ("percentage", "5")],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("inclusive"),
        "Missing required param: inclusive.",
    );
    let (_, inactive) = app
        .post(
            &format!("/v1/tax_rates/{}", r["id"].as_str().unwrap()),
            &[("active", "false")],
        )
        .await;
    assert_eq!(inactive["active"], false);
    let (_, listed) = app.get("/v1/tax_rates", &[("active", "true")]).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn shipping_rates_keep_currency_options_and_estimates() {
    let app = TestApp::spawn().await;
    let r = app
        .ok(
            "/v1/shipping_rates",
            &[
                ("display_name", "Express"),
                ("fixed_amount[amount]", "1500"),
                ("fixed_amount[currency]", "usd"),
                ("fixed_amount[currency_options][eur][amount]", "1400"),
                ("delivery_estimate[minimum][unit]", "business_day"),
                ("delivery_estimate[minimum][value]", "1"),
                ("tax_behavior", "exclusive"),
            ],
        )
        .await;
    assert_eq!(r["fixed_amount"]["currency_options"]["eur"]["amount"], 1400);
    assert_eq!(r["delivery_estimate"]["minimum"]["unit"], "business_day");
    assert_eq!(r["delivery_estimate"]["maximum"], serde_json::Value::Null);
    assert_eq!(r["type"], "fixed_amount");
    let (status, body) = app
        .post("/v1/shipping_rates", &[("display_name", "x")])
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("fixed_amount"),
        "Missing required param: fixed_amount.",
    );
}
