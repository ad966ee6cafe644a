//! `POST /v1/checkout/sessions/{id}`: every update parameter, atomicity,
//! state rules and concurrency.

use crate::helpers::{assert_error, TestApp};
use serde_json::{json, Value};

fn line_ids(s: &Value) -> Vec<String> {
    s["line_items"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn stripes_documented_metadata_example_changes_nothing_else() {
    let app = TestApp::spawn().await;
    let price = app.price(1099, "usd").await;
    let s = app.session(&price, "2", &[]).await;
    let path = format!("/v1/checkout/sessions/{}", s["id"].as_str().unwrap());
    let updated = app.ok(&path, &[("metadata[order_id]", "6735")]).await;
    assert_eq!(updated["metadata"], json!({ "order_id": "6735" }));
    let mut before = s.clone();
    before["metadata"] = json!({ "order_id": "6735" });
    assert_eq!(updated, before);
    let updated = app
        .ok(&path, &[("metadata[order_id]", ""), ("metadata[k]", "v")])
        .await;
    assert_eq!(updated["metadata"], json!({ "k": "v" }));
    let updated = app.ok(&path, &[("metadata", "")]).await;
    assert_eq!(updated["metadata"], json!({}));
}

/// Metadata updates leave the lines as their stored JSON, never decoded
/// (`checkout_domain::lines`): whichever way the session is read next (a
/// retrieve or a list that expands them, an update that changes them, a
/// node with nothing in memory), its lines and totals are what they were.
#[tokio::test]
async fn lines_left_undecoded_by_metadata_updates_read_back_whole() {
    let mut app = TestApp::spawn().await;
    let a = app.price(100, "usd").await;
    let b = app.price(250, "usd").await;
    let tax = app.tax_rate("10", false).await;
    let expand = [
        ("expand[]", "line_items"),
        ("expand[]", "total_details.breakdown"),
    ];
    let mut form = vec![
        ("line_items[1][price]", b.as_str()),
        ("line_items[1][quantity]", "2"),
        ("line_items[1][tax_rates][0]", &tax),
        ("line_items[1][metadata][sku]", "B-1"),
    ];
    form.extend(expand);
    let s = app.session(&a, "1", &form).await;
    let id = s["id"].as_str().unwrap();
    let path = format!("/v1/checkout/sessions/{id}");
    let whole = |v: &Value| {
        (
            v["line_items"].clone(),
            v["total_details"].clone(),
            v["amount_total"].clone(),
        )
    };
    let before = whole(&s);
    assert_eq!(s["amount_total"], 100 + 500 + 50);

    for round in 0..2 {
        // Twice: the second update finds the first one's memo entry.
        for value in ["1", "2"] {
            let u = app.ok(&path, &[("metadata[order]", value)]).await;
            assert_eq!(u["metadata"]["order"], value);
            assert!(u.get("line_items").is_none(), "not expanded: {u}");
            assert_eq!(u["amount_total"], s["amount_total"]);
        }
        let (_, got) = app.get(&path, &expand).await;
        assert_eq!(whole(&got), before, "round {round}");
        let (_, list) = app
            .get(
                "/v1/checkout/sessions",
                &[("limit", "1"), ("expand[]", "data.line_items")],
            )
            .await;
        assert_eq!(list["data"][0]["id"], s["id"]);
        assert_eq!(list["data"][0]["line_items"], before.0);
        let (_, page) = app.get(&format!("{path}/line_items"), &[]).await;
        assert_eq!(page["data"], before.0["data"]);
        // Expanded, the response of a metadata update renders the lines.
        let mut with_lines = vec![("metadata[order]", "3")];
        with_lines.extend(expand);
        let u = app.ok(&path, &with_lines).await;
        assert_eq!(whole(&u), before);
        // Nothing in memory: the next update reads the session from the file.
        app.restart().await;
    }

    // A metadata update, then a change of a line: decoded from the JSON the
    // metadata update kept.
    app.ok(&path, &[("metadata[order]", "4")]).await;
    let ids: Vec<String> = before.0["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    let mut change = vec![
        ("line_items[0][id]", ids[0].as_str()),
        ("line_items[0][quantity]", "3"),
        ("line_items[1][id]", ids[1].as_str()),
    ];
    change.extend(expand);
    let u = app.ok(&path, &change).await;
    assert_eq!(u["line_items"]["data"][0]["quantity"], 3);
    assert_eq!(u["line_items"]["data"][1], before.0["data"][1]);
    assert_eq!(u["amount_total"], 300 + 500 + 50);
    assert_eq!(u["metadata"]["order"], "4");
    let (_, got) = app.get(&path, &expand).await;
    assert_eq!(whole(&got), whole(&u));
}

#[tokio::test]
async fn line_items_are_added_removed_reordered_and_updated_in_one_request() {
    let app = TestApp::spawn().await;
    let a = app.price(100, "usd").await;
    let b = app.price(250, "usd").await;
    let tax = app.tax_rate("10", false).await;
    let s = app
        .session(
            &a,
            "1",
            &[
                ("line_items[1][price]", &b),
                ("line_items[1][quantity]", "2"),
                ("line_items[1][tax_rates][0]", &tax),
                ("expand[]", "line_items"),
            ],
        )
        .await;
    let ids = line_ids(&s);
    let path = format!("/v1/checkout/sessions/{}", s["id"].as_str().unwrap());
    // Keep B first with quantity 4 and no tax, drop A, add an inline line.
    let u = app
        .ok(
            &path,
            &[
                ("line_items[0][id]", &ids[1]),
                ("line_items[0][quantity]", "4"),
                ("line_items[0][tax_rates]", ""),
                ("line_items[0][metadata][sku]", "B-1"),
                ("line_items[1][price_data][currency]", "usd"),
                ("line_items[1][price_data][unit_amount]", "75"),
                ("line_items[1][price_data][product_data][name]", "Sticker"),
                ("line_items[1][quantity]", "3"),
                ("expand[]", "line_items"),
            ],
        )
        .await;
    let new_ids = line_ids(&u);
    assert_eq!(new_ids.len(), 2);
    assert_eq!(new_ids[0], ids[1]);
    assert!(!new_ids.contains(&ids[0]));
    let items = u["line_items"]["data"].as_array().unwrap();
    assert_eq!(items[0]["quantity"], 4);
    assert_eq!(items[0]["amount_tax"], 0);
    assert_eq!(items[0]["metadata"]["sku"], "B-1");
    assert_eq!(items[1]["description"], "Sticker");
    assert_eq!(u["amount_subtotal"], 1000 + 225);
    assert_eq!(u["amount_total"], 1225);
}

#[tokio::test]
async fn bad_line_item_updates_name_the_exact_param_and_change_nothing() {
    let app = TestApp::spawn().await;
    let a = app.price(100, "usd").await;
    let eur = app.price(100, "eur").await;
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
    let s = app.session(&a, "1", &[("expand[]", "line_items")]).await;
    let id = &line_ids(&s)[0];
    let path = format!("/v1/checkout/sessions/{}", s["id"].as_str().unwrap());
    let (status, body) = app.post(&path, &[("line_items[0][id]", "li_nope")]).await;
    assert_error(
        status,
        &body,
        400,
        Some("line_items[0][id]"),
        "The line item `li_nope` does not exist",
    );
    let (status, body) = app
        .post(
            &path,
            &[
                ("line_items[0][id]", id),
                ("line_items[1][id]", id),
                ("line_items[2][quantity]", "1"),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("line_items[1][id]"),
        "The line item",
    );
    let (status, body) = app
        .post(
            &path,
            &[
                ("line_items[0][id]", id),
                ("line_items[1][quantity]", "1"),
                ("line_items[2][quantity]", "1"),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("line_items[1][price]"),
        "Missing required param: line_items[1][price].",
    );
    let (status, body) = app
        .post(
            &path,
            &[
                ("line_items[0][id]", id),
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
        .post(
            &path,
            &[
                ("line_items[0][id]", id),
                ("line_items[1][price]", &monthly),
                ("line_items[1][quantity]", "1"),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("line_items[1][price]"),
        "You specified `payment` mode but passed a recurring price.",
    );
    let mut many: Vec<(String, String)> = Vec::new();
    for i in 0..101 {
        many.push((format!("line_items[{i}][price]"), a.clone()));
        many.push((format!("line_items[{i}][quantity]"), "1".into()));
    }
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body) = app.post(&path, &many).await;
    assert_error(
        status,
        &body,
        400,
        Some("line_items"),
        "You may only specify up to 100 line items",
    );
    // Atomic: valid metadata beside an invalid line item is not applied.
    let (status, _) = app
        .post(
            &path,
            &[("metadata[x]", "1"), ("line_items[0][id]", "li_nope")],
        )
        .await;
    assert_eq!(status, 400);
    let (_, after) = app.get(&path, &[("expand[]", "line_items")]).await;
    assert_eq!(after, s);
}

#[tokio::test]
async fn shipping_options_are_replaced_and_cleared() {
    let app = TestApp::spawn().await;
    let price = app.price(1000, "usd").await;
    let cheap = app.shipping_rate(300, "usd").await;
    let s = app
        .session(
            &price,
            "1",
            &[("shipping_options[0][shipping_rate]", &cheap)],
        )
        .await;
    assert_eq!(s["amount_total"], 1300);
    let path = format!("/v1/checkout/sessions/{}", s["id"].as_str().unwrap());
    let u = app
        .ok(
            &path,
            &[
                (
                    "shipping_options[0][shipping_rate_data][display_name]",
                    "Express",
                ),
                (
                    "shipping_options[0][shipping_rate_data][fixed_amount][amount]",
                    "1500",
                ),
                (
                    "shipping_options[0][shipping_rate_data][fixed_amount][currency]",
                    "usd",
                ),
                ("shipping_options[1][shipping_rate]", &cheap),
            ],
        )
        .await;
    assert_eq!(u["shipping_options"].as_array().unwrap().len(), 2);
    assert_eq!(u["shipping_cost"]["amount_total"], 1500);
    assert_eq!(u["total_details"]["amount_shipping"], 1500);
    assert_eq!(u["amount_total"], 2500);
    let cleared = app.ok(&path, &[("shipping_options", "")]).await;
    assert_eq!(cleared["shipping_cost"], Value::Null);
    assert_eq!(cleared["shipping_options"], json!([]));
    assert_eq!(cleared["amount_total"], 1000);
}

#[tokio::test]
async fn collected_information_is_for_embedded_and_elements_only() {
    let app = TestApp::spawn().await;
    let price = app.price(1000, "usd").await;
    let details = [
        ("collected_information[shipping_details][name]", "Ann"),
        (
            "collected_information[shipping_details][address][line1]",
            "1 Main St",
        ),
        (
            "collected_information[shipping_details][address][country]",
            "US",
        ),
        (
            "collected_information[shipping_details][address][postal_code]",
            "94107",
        ),
    ];
    let hosted = app.session(&price, "1", &[]).await;
    let (status, body) = app
        .post(
            &format!("/v1/checkout/sessions/{}", hosted["id"].as_str().unwrap()),
            &details,
        )
        .await;
    assert_error(status, &body, 400, Some("collected_information"), "`collected_information` can only be set on Checkout Sessions with `ui_mode` of `embedded_page`, `elements` or `form`");
    let elements = app
        .ok(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("ui_mode", "elements"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    let u = app
        .ok(
            &format!("/v1/checkout/sessions/{}", elements["id"].as_str().unwrap()),
            &details,
        )
        .await;
    assert_eq!(
        u["collected_information"]["shipping_details"]["name"],
        "Ann"
    );
    assert_eq!(
        u["collected_information"]["shipping_details"]["address"]["postal_code"],
        "94107"
    );
    let (status, body) = app
        .post(
            &format!("/v1/checkout/sessions/{}", elements["id"].as_str().unwrap()),
            &[
                ("collected_information[shipping_details][name]", "Ann"),
                (
                    "collected_information[shipping_details][address][line1]",
                    "x",
                ),
                (
                    "collected_information[shipping_details][address][country]",
                    "usa",
                ),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("collected_information[shipping_details][address][country]"),
        "Invalid country: usa",
    );
}

#[tokio::test]
async fn payment_intent_data_is_updatable() {
    let app = TestApp::spawn().await;
    let price = app.price(1000, "usd").await;
    let s = app.session(&price, "1", &[]).await;
    let path = format!("/v1/checkout/sessions/{}", s["id"].as_str().unwrap());
    let (status, body) = app
        .post(
            &path,
            &[
                ("payment_intent_data[description]", "Order 7"),
                ("payment_intent_data[metadata][a]", "b"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post(
            &path,
            &[("payment_intent_data[setup_future_usage]", "sometimes")],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("payment_intent_data[setup_future_usage]"),
        "Invalid payment_intent_data[setup_future_usage]",
    );
}

#[tokio::test]
async fn sessions_that_are_not_open_cannot_be_updated() {
    let app = TestApp::spawn().await;
    let price = app.price(1000, "usd").await;
    let s = app.session(&price, "1", &[]).await;
    let id = s["id"].as_str().unwrap();
    let expired = app
        .ok(&format!("/v1/checkout/sessions/{id}/expire"), &[])
        .await;
    let (status, body) = app
        .post(
            &format!("/v1/checkout/sessions/{id}"),
            &[("metadata[a]", "b")],
        )
        .await;
    assert_error(status, &body, 400, None, "This Checkout Session is no longer open (status: expired). Only open Checkout Sessions can be updated.");
    assert_eq!(
        app.get(&format!("/v1/checkout/sessions/{id}"), &[]).await.1,
        expired
    );
    let (status, body) = app
        .post(
            "/v1/checkout/sessions/cs_test_nope",
            &[("metadata[a]", "b")],
        )
        .await;
    assert_error(
        status,
        &body,
        404,
        None,
        "No such checkout.session: 'cs_test_nope'",
    );
}

#[tokio::test]
async fn concurrent_updates_never_lose_a_write() {
    let app = TestApp::spawn().await;
    let price = app.price(100, "usd").await;
    let s = app
        .session(&price, "1", &[("expand[]", "line_items")])
        .await;
    let line = line_ids(&s)[0].clone();
    let path = format!("/v1/checkout/sessions/{}", s["id"].as_str().unwrap());
    let keys: Vec<String> = (0..32).map(|i| format!("k{i}")).collect();
    let mut requests = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let mut form = vec![(format!("metadata[{key}]"), i.to_string())];
        if i % 8 == 0 {
            form.push(("line_items[0][id]".into(), line.clone()));
            form.push(("line_items[0][quantity]".into(), (i + 1).to_string()));
        }
        requests.push(
            app.client
                .post(format!("{}{path}", app.base))
                .bearer_auth(crate::helpers::KEY)
                .form(&form)
                .send(),
        );
    }
    for r in futures::future::join_all(requests).await {
        assert_eq!(r.unwrap().status(), 200);
    }
    let (_, after) = app.get(&path, &[("expand[]", "line_items")]).await;
    for key in &keys {
        assert!(
            after["metadata"].get(key).is_some(),
            "lost {key}: {}",
            after["metadata"]
        );
    }
    let qty = after["line_items"]["data"][0]["quantity"].as_i64().unwrap();
    assert!(
        [1, 9, 17, 25].contains(&qty),
        "quantity {qty} is one of the written values"
    );
    assert_eq!(after["amount_subtotal"].as_i64().unwrap(), qty * 100);
    assert_eq!(after["amount_total"], after["amount_subtotal"]);
}
