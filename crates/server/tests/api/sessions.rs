//! Checkout sessions: create rules, totals, retrieve, list, line items,
//! expire and the test helpers.

use crate::helpers::{assert_error, TestApp, KEY};
use serde_json::Value;

#[tokio::test]
async fn stripes_documented_example_1099_usd_times_2() {
    let app = TestApp::spawn().await;
    let price = app.price(1099, "usd").await;
    let s = app.session(&price, "2", &[]).await;
    assert_eq!(s["amount_subtotal"], 2198);
    assert_eq!(s["amount_total"], 2198);
    assert_eq!(s["status"], "open");
    assert_eq!(s["payment_status"], "unpaid");
    assert_eq!(s["object"], "checkout.session");
    let id = s["id"].as_str().unwrap();
    assert!(id.starts_with("cs_test_"));
    assert_eq!(s["url"], format!("{}/c/pay/{id}", app.base));
    assert_eq!(s["client_secret"], Value::Null);
    assert_eq!(s["return_url"], Value::Null);
    assert!(
        s.get("line_items").is_none(),
        "line_items appear only when expanded"
    );
}

#[tokio::test]
async fn exclusive_and_inclusive_taxes_and_shipping_make_the_total() {
    let app = TestApp::spawn().await;
    let price = app.price(1000, "usd").await;
    let ex = app.tax_rate("8.25", false).await;
    let inc = app.tax_rate("20", true).await;
    let ship = app.shipping_rate(500, "usd").await;
    let s = app
        .session(
            &price,
            "1",
            &[
                ("line_items[0][tax_rates][0]", &ex),
                ("line_items[1][price]", &price),
                ("line_items[1][quantity]", "1"),
                ("line_items[1][tax_rates][0]", &inc),
                ("shipping_options[0][shipping_rate]", &ship),
                ("expand[]", "line_items.data.taxes"),
                ("expand[]", "total_details.breakdown"),
            ],
        )
        .await;
    // Line 0: 1000 + 82.5 → 83 exclusive; line 1: 1000 incl. 166.67 → 167.
    assert_eq!(s["amount_subtotal"], 2000);
    assert_eq!(s["total_details"]["amount_tax"], 83 + 167);
    assert_eq!(s["total_details"]["amount_shipping"], 500);
    assert_eq!(s["amount_total"], 2000 + 83 + 500);
    assert_eq!(s["shipping_cost"]["amount_total"], 500);
    assert_eq!(s["shipping_cost"]["shipping_rate"], ship.as_str());
    let items = s["line_items"]["data"].as_array().unwrap();
    assert_eq!(items[0]["amount_total"], 1083);
    assert_eq!(items[1]["amount_total"], 1000);
    assert_eq!(items[1]["taxes"][0]["amount"], 167);
    assert_eq!(items[1]["taxes"][0]["rate"]["id"], inc.as_str());
    assert_eq!(
        s["total_details"]["breakdown"]["taxes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn zero_and_three_decimal_currencies_use_the_same_integer_rules() {
    let app = TestApp::spawn().await;
    let yen = app.price(1000, "jpy").await;
    let tax = app.tax_rate("10", false).await;
    let s = app
        .session(&yen, "3", &[("line_items[0][tax_rates][0]", &tax)])
        .await;
    assert_eq!(s["currency"], "jpy");
    assert_eq!(s["amount_total"], 3300);
    let dinar = app.price(1250, "kwd").await;
    let s = app.session(&dinar, "2", &[]).await;
    assert_eq!(s["amount_total"], 2500);
}

#[tokio::test]
async fn fractional_minor_units_and_overflow_are_400s() {
    let app = TestApp::spawn().await;
    let form = |amount: &'static str, qty: &'static str| {
        vec![
            ("mode", "payment"),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount_decimal]", amount),
            ("line_items[0][price_data][product_data][name]", "Bolt"),
            ("line_items[0][quantity]", qty),
        ]
    };
    let (status, body) = app.post("/v1/checkout/sessions", &form("10.5", "1")).await;
    assert_error(
        status,
        &body,
        400,
        Some("line_items[0][price]"),
        "Checkout does not currently support usd prices with fractional minor units",
    );
    let ok = app
        .ok("/v1/checkout/sessions", &form("1099.000", "1"))
        .await;
    assert_eq!(ok["amount_total"], 1099);
    let (status, body) = app
        .post("/v1/checkout/sessions", &form("9223372036854775807", "2"))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn expires_at_must_be_30_minutes_to_24_hours_away() {
    let app = TestApp::spawn().await;
    let price = app.price(100, "usd").await;
    let now = checkoutd::clock::real_now();
    let soon = (now + 60).to_string();
    let (status, body) = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
                ("expires_at", &soon),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("expires_at"),
        "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
    );
    let late = (now + 25 * 3600).to_string();
    let (status, body) = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
                ("expires_at", &late),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("expires_at"),
        "The `expires_at` timestamp must be less than 24 hours",
    );
    let s = app.session(&price, "1", &[]).await;
    let lifetime = s["expires_at"].as_i64().unwrap() - s["created"].as_i64().unwrap();
    assert_eq!(lifetime, 24 * 3600);
}

#[tokio::test]
async fn prose_rules_of_create_are_enforced() {
    let app = TestApp::spawn().await;
    let usd = app.price(100, "usd").await;
    let eur = app.price(100, "eur").await;
    let (status, body) = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", &usd),
                ("line_items[0][quantity]", "1"),
                ("line_items[1][price]", &eur),
                ("line_items[1][quantity]", "1"),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("line_items[1][price]"),
        "All line items must use the same currency.",
    );
    let (status, body) = app
        .post("/v1/checkout/sessions", &[("mode", "payment")])
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("line_items"),
        "`line_items` is required in `payment` mode.",
    );
    let monthly = app
        .ok(
            "/v1/prices",
            &[
                ("currency", "usd"),
                ("unit_amount", "500"),
                ("recurring[interval]", "month"),
                ("product_data[name]", "Plan"),
            ],
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", &monthly),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("line_items[0][price]"),
        "You specified `payment` mode but passed a recurring price.",
    );
    let (status, body) = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("line_items[0][price]", &usd),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("line_items"),
        "You must provide at least one recurring price in `subscription` mode",
    );
    let sub = app
        .ok(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("line_items[0][price]", &monthly),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    assert_eq!(sub["mode"], "subscription");
    let setup = app
        .ok(
            "/v1/checkout/sessions",
            &[("mode", "setup"), ("currency", "usd")],
        )
        .await;
    assert_eq!(setup["payment_status"], "no_payment_required");
    assert_eq!(setup["amount_total"], Value::Null);
    let (status, body) = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", "price_nope"),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        404,
        Some("line_items[0][price]"),
        "No such price: 'price_nope'",
    );
    let six: Vec<(String, String)> = (0..6)
        .map(|i| {
            (
                format!("shipping_options[{i}][shipping_rate_data][display_name]"),
                "x".to_owned(),
            )
        })
        .collect();
    let mut form: Vec<(&str, &str)> = vec![
        ("mode", "payment"),
        ("line_items[0][price]", &usd),
        ("line_items[0][quantity]", "1"),
    ];
    let amounts: Vec<(String, String)> = (0..6)
        .flat_map(|i| {
            [
                (
                    format!("shipping_options[{i}][shipping_rate_data][fixed_amount][amount]"),
                    "1".to_owned(),
                ),
                (
                    format!("shipping_options[{i}][shipping_rate_data][fixed_amount][currency]"),
                    "usd".to_owned(),
                ),
            ]
        })
        .collect();
    form.extend(
        six.iter()
            .chain(&amounts)
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let (status, body) = app.post("/v1/checkout/sessions", &form).await;
    assert_error(
        status,
        &body,
        400,
        Some("shipping_options"),
        "You may only specify up to 5 shipping options",
    );
}

#[tokio::test]
async fn ui_modes_aliases_urls_and_client_secret() {
    let app = TestApp::spawn().await;
    let price = app.price(100, "usd").await;
    let base = [
        ("mode", "payment"),
        ("line_items[0][price]", price.as_str()),
        ("line_items[0][quantity]", "1"),
    ];
    let mut embedded = base.to_vec();
    embedded.extend([
        ("ui_mode", "embedded"),
        ("return_url", "https://example.com/r"),
    ]);
    let s = app.ok("/v1/checkout/sessions", &embedded).await;
    assert_eq!(s["ui_mode"], "embedded_page");
    assert_eq!(s["url"], Value::Null);
    assert!(s["client_secret"]
        .as_str()
        .unwrap()
        .starts_with(s["id"].as_str().unwrap()));
    let mut bad = base.to_vec();
    bad.extend([
        ("ui_mode", "elements"),
        ("success_url", "https://example.com/s"),
    ]);
    let (status, body) = app.post("/v1/checkout/sessions", &bad).await;
    assert_error(
        status,
        &body,
        400,
        Some("success_url"),
        "`success_url` is not allowed when `ui_mode` is `elements`.",
    );
    let mut missing = base.to_vec();
    missing.push(("ui_mode", "embedded_page"));
    let (status, body) = app.post("/v1/checkout/sessions", &missing).await;
    assert_error(
        status,
        &body,
        400,
        Some("return_url"),
        "Missing required param: return_url.",
    );
    let mut custom = base.to_vec();
    custom.push(("ui_mode", "custom"));
    let s = app.ok("/v1/checkout/sessions", &custom).await;
    assert_eq!(s["ui_mode"], "elements");
    // A client pinned before 2026-03-25 sees the names it knows.
    let resp = app
        .client
        .get(format!(
            "{}/v1/checkout/sessions/{}",
            app.base,
            s["id"].as_str().unwrap()
        ))
        .bearer_auth(KEY)
        .header("Stripe-Version", "2025-03-31.basil")
        .send()
        .await
        .unwrap();
    let old: Value = resp.json().await.unwrap();
    assert_eq!(old["ui_mode"], "custom");
}

#[tokio::test]
async fn retrieve_expands_line_items_and_line_items_paginate_in_order() {
    let app = TestApp::spawn().await;
    let price = app.price(100, "usd").await;
    let mut form: Vec<(String, String)> = vec![("mode".into(), "payment".into())];
    for i in 0..12 {
        form.push((format!("line_items[{i}][price]"), price.clone()));
        form.push((format!("line_items[{i}][quantity]"), (i + 1).to_string()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let s = app.ok("/v1/checkout/sessions", &form).await;
    let id = s["id"].as_str().unwrap();
    let (_, got) = app
        .get(
            &format!("/v1/checkout/sessions/{id}"),
            &[("expand[]", "line_items")],
        )
        .await;
    assert_eq!(got["line_items"]["object"], "list");
    assert_eq!(
        got["line_items"]["url"],
        format!("/v1/checkout/sessions/{id}/line_items")
    );
    assert_eq!(got["line_items"]["data"].as_array().unwrap().len(), 10);
    assert_eq!(got["line_items"]["has_more"], true);
    let path = format!("/v1/checkout/sessions/{id}/line_items");
    let (_, page) = app.get(&path, &[("limit", "5")]).await;
    let quantities: Vec<i64> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["quantity"].as_i64().unwrap())
        .collect();
    assert_eq!(quantities, vec![1, 2, 3, 4, 5]);
    let last = page["data"][4]["id"].as_str().unwrap();
    let (_, page) = app
        .get(&path, &[("limit", "10"), ("starting_after", last)])
        .await;
    let quantities: Vec<i64> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["quantity"].as_i64().unwrap())
        .collect();
    assert_eq!(quantities, vec![6, 7, 8, 9, 10, 11, 12]);
    assert_eq!(page["has_more"], false);
    let (status, body) = app
        .get(
            &format!("/v1/checkout/sessions/{id}"),
            &[("expand[]", "customer")],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("expand"),
        "This property cannot be expanded (customer).",
    );
}

#[tokio::test]
async fn list_filters_by_status_email_and_created() {
    let app = TestApp::spawn().await;
    let price = app.price(100, "usd").await;
    let a = app.session(&price, "1", &[]).await;
    let b = app.session(&price, "1", &[]).await;
    let _c = app.session(&price, "1", &[]).await;
    let a_id = a["id"].as_str().unwrap();
    app.ok(
        &format!("/v1/test_helpers/checkout/sessions/{a_id}/complete"),
        &[("email", "buyer@example.com")],
    )
    .await;
    app.ok(
        &format!("/v1/checkout/sessions/{}/expire", b["id"].as_str().unwrap()),
        &[],
    )
    .await;
    let ids = |v: &Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (_, by_email) = app
        .get(
            "/v1/checkout/sessions",
            &[("customer_details[email]", "buyer@example.com")],
        )
        .await;
    assert_eq!(ids(&by_email), vec![a_id.to_owned()]);
    let (_, complete) = app
        .get("/v1/checkout/sessions", &[("status", "complete")])
        .await;
    assert_eq!(ids(&complete), vec![a_id.to_owned()]);
    let (_, open) = app
        .get("/v1/checkout/sessions", &[("status", "open")])
        .await;
    assert_eq!(ids(&open).len(), 1);
    let created = a["created"].as_i64().unwrap().to_string();
    let (_, all) = app
        .get("/v1/checkout/sessions", &[("created[gte]", &created)])
        .await;
    assert_eq!(ids(&all).len(), 3);
    let (_, none) = app
        .get("/v1/checkout/sessions", &[("created[lt]", &created)])
        .await;
    assert_eq!(ids(&none).len(), 0);
    let pi = app
        .get(&format!("/v1/checkout/sessions/{a_id}"), &[])
        .await
        .1["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, by_pi) = app
        .get("/v1/checkout/sessions", &[("payment_intent", &pi)])
        .await;
    assert_eq!(ids(&by_pi), vec![a_id.to_owned()]);
}

#[tokio::test]
async fn expire_works_once_and_nulls_the_url() {
    let app = TestApp::spawn().await;
    let price = app.price(100, "usd").await;
    let s = app.session(&price, "1", &[]).await;
    let path = format!("/v1/checkout/sessions/{}/expire", s["id"].as_str().unwrap());
    let expired = app.ok(&path, &[]).await;
    assert_eq!(expired["status"], "expired");
    assert_eq!(expired["url"], Value::Null);
    let (status, body) = app.post(&path, &[]).await;
    assert_error(status, &body, 400, None, "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of `expired`.");
}

#[tokio::test]
async fn advancing_the_clock_expires_due_sessions_once() {
    let app = TestApp::spawn().await;
    let price = app.price(100, "usd").await;
    let s = app.session(&price, "1", &[]).await;
    let id = s["id"].as_str().unwrap();
    let advanced = app
        .ok("/v1/test_helpers/clock/advance", &[("seconds", "3600")])
        .await;
    assert_eq!(advanced["expired_sessions"], 0);
    assert_eq!(
        app.get(&format!("/v1/checkout/sessions/{id}"), &[]).await.1["status"],
        "open"
    );
    let advanced = app
        .ok("/v1/test_helpers/clock/advance", &[("seconds", "86400")])
        .await;
    // The node's own sweeper (polling every 25 ms here) may get to the
    // session between the clock moving and the helper's sweep: then it is
    // that sweep which expired it. Either way it expires exactly once.
    let by_helper = advanced["expired_sessions"].as_i64().unwrap();
    assert!(by_helper <= 1, "{advanced}");
    let got = app.get(&format!("/v1/checkout/sessions/{id}"), &[]).await.1;
    assert_eq!(got["status"], "expired");
    assert_eq!(got["url"], Value::Null);
    let again = app
        .ok("/v1/test_helpers/clock/advance", &[("seconds", "60")])
        .await;
    assert_eq!(again["expired_sessions"], 0);
    let (_, events) = app
        .get("/v1/events", &[("type", "checkout.session.expired")])
        .await;
    assert_eq!(events["data"].as_array().unwrap().len(), 1, "{events}");
    // A new session's created and default expiry follow the advanced clock.
    let later = app.session(&price, "1", &[]).await;
    assert!(later["created"].as_i64().unwrap() >= s["created"].as_i64().unwrap() + 3600 + 86400);
}

#[tokio::test]
async fn completing_a_session_records_the_customer_and_cannot_happen_twice() {
    let app = TestApp::spawn().await;
    let price = app.price(700, "usd").await;
    let ship = app.shipping_rate(300, "usd").await;
    let express = app.shipping_rate(900, "usd").await;
    let s = app
        .session(
            &price,
            "1",
            &[
                ("customer_email", "pre@example.com"),
                ("shipping_options[0][shipping_rate]", &ship),
                ("shipping_options[1][shipping_rate]", &express),
                ("shipping_address_collection[allowed_countries][0]", "US"),
            ],
        )
        .await;
    let path = format!(
        "/v1/test_helpers/checkout/sessions/{}/complete",
        s["id"].as_str().unwrap()
    );
    let (status, body) = app
        .post(
            &path,
            &[
                ("shipping_rate", &express),
                ("shipping_details[name]", "Ann"),
                ("shipping_details[address][line1]", "1 Main"),
                ("shipping_details[address][country]", "FR"),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("shipping_details[address][country]"),
        "This Checkout Session does not ship to `FR`",
    );
    let done = app
        .ok(
            &path,
            &[
                ("shipping_rate", &express),
                ("shipping_details[name]", "Ann"),
                ("shipping_details[address][line1]", "1 Main"),
                ("shipping_details[address][country]", "US"),
            ],
        )
        .await;
    assert_eq!(done["status"], "complete");
    assert_eq!(done["payment_status"], "paid");
    assert_eq!(done["customer_details"]["email"], "pre@example.com");
    assert_eq!(done["shipping_cost"]["amount_total"], 900);
    assert_eq!(done["amount_total"], 1600);
    assert_eq!(
        done["collected_information"]["shipping_details"]["address"]["country"],
        "US"
    );
    assert_eq!(done["url"], Value::Null);
    let (status, _) = app.post(&path, &[]).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn test_helpers_refuse_live_keys() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post_as(
            crate::helpers::LIVE_KEY,
            "/v1/test_helpers/clock/advance",
            &[("seconds", "10")],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        None,
        "Test helpers can only be used with a test mode secret key",
    );
}

/// A node keeps the prices it decoded, by version: a price changed after a
/// session used it is read again, and the next session gets what it is now.
#[tokio::test]
async fn a_price_changed_after_a_session_used_it_is_read_again() {
    let app = TestApp::spawn().await;
    let price = app.price(1000, "usd").await;
    let first = app.session(&price, "1", &[]).await;
    assert_eq!(first["amount_total"], 1000);
    app.ok(
        &format!("/v1/prices/{price}"),
        &[("metadata[tier]", "gold"), ("active", "false")],
    )
    .await;
    let (status, body) = app.create_session(&price, "1", &[]).await;
    assert_error(
        status,
        &body,
        400,
        Some("line_items[0][price]"),
        "The price specified is inactive.",
    );
    app.ok(&format!("/v1/prices/{price}"), &[("active", "true")])
        .await;
    let (_, lines) = app
        .get(
            &format!(
                "/v1/checkout/sessions/{}/line_items",
                app.session(&price, "2", &[]).await["id"].as_str().unwrap()
            ),
            &[],
        )
        .await;
    assert_eq!(lines["data"][0]["price"]["metadata"]["tier"], "gold");
    assert_eq!(lines["data"][0]["amount_total"], 2000);
}
