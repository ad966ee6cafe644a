//! The conventions every Stripe endpoint shares: auth, errors, request ids,
//! versions, idempotency, pagination, the form decoder, isolation.

use crate::helpers::{assert_error, TestApp, KEY, LIVE_KEY, OTHER_KEY};
use reqwest::StatusCode;

#[tokio::test]
async fn a_request_without_a_key_gets_stripes_401() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .get(format!("{}/v1/products", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp
        .headers()
        .get("request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("req_"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(
        body["error"]["message"],
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
    );
}

#[tokio::test]
async fn an_unknown_key_is_rejected_and_shown_redacted() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .get_as("sk_test_not_a_real_key_9876", "/v1/products", &[])
        .await;
    assert_error(
        status,
        &body,
        401,
        None,
        "Invalid API Key provided: sk_test_********9876",
    );
    assert!(!body.to_string().contains("not_a_real"));
}

#[tokio::test]
async fn basic_auth_with_the_key_as_user_works() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .get(format!("{}/v1/products", app.base))
        .basic_auth(KEY, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn stripe_version_is_echoed_and_defaults_to_endive() {
    let app = TestApp::spawn().await;
    let url = format!("{}/v1/products", app.base);
    let resp = app
        .client
        .get(&url)
        .bearer_auth(KEY)
        .header("Stripe-Version", "2025-03-31.basil")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["stripe-version"], "2025-03-31.basil");
    let resp = app.client.get(&url).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(resp.headers()["stripe-version"], "2026-10-28.endive");
}

#[tokio::test]
async fn unknown_parameters_are_rejected_with_their_full_path() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post("/v1/products", &[("name", "x"), ("colour", "red")])
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("colour"),
        "Received unknown parameter: colour",
    );
    assert_eq!(body["error"]["code"], "parameter_unknown");
    let (status, body) = app
        .post(
            "/v1/products",
            &[("name", "x"), ("package_dimensions[depth]", "1")],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("package_dimensions[height]"),
        "Missing required param: package_dimensions[height].",
    );
    let price = app.price(100, "usd").await;
    let (status, body) = app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
                ("line_items[0][colour]", "red"),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("line_items[0][colour]"),
        "Received unknown parameter: line_items[0][colour]",
    );
}

#[tokio::test]
async fn bad_integers_booleans_enums_and_lengths_have_stripe_messages() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/v1/shipping_rates",
            &[
                ("display_name", "x"),
                ("fixed_amount[amount]", "abc"),
                ("fixed_amount[currency]", "usd"),
            ],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("fixed_amount[amount]"),
        "Invalid integer: abc",
    );
    let (status, body) = app
        .post("/v1/products", &[("name", "x"), ("active", "maybe")])
        .await;
    assert_error(status, &body, 400, Some("active"), "Invalid boolean: maybe");
    let (status, body) = app.post("/v1/checkout/sessions", &[("mode", "rent")]).await;
    assert_error(
        status,
        &body,
        400,
        Some("mode"),
        "Invalid mode: must be one of payment, setup, or subscription",
    );
    let long = "x".repeat(23);
    let (status, body) = app
        .post(
            "/v1/products",
            &[("name", "x"), ("statement_descriptor", &long)],
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        Some("statement_descriptor"),
        "Invalid string: ",
    );
    assert_eq!(body["error"]["code"], "string_too_long");
    let (status, body) = app.post("/v1/products", &[]).await;
    assert_error(
        status,
        &body,
        400,
        Some("name"),
        "Missing required param: name.",
    );
}

#[tokio::test]
async fn array_indexes_must_be_sequential_from_zero() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/v1/products", &[("expand[1]", "x")]).await;
    assert_error(
        status,
        &body,
        400,
        Some("expand"),
        "If passing an array with explicit keys",
    );
}

#[tokio::test]
async fn brackets_may_be_percent_encoded_and_spaces_plus_or_percent_20() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(format!("{}/v1/products", app.base))
        .bearer_auth(KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Red+hat%20large&metadata%5Bsize%5D=L")
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["name"], "Red hat large");
    assert_eq!(body["metadata"]["size"], "L");
}

#[tokio::test]
async fn garbage_bodies_get_a_clean_4xx() {
    let app = TestApp::spawn().await;
    for body in [&b"name=%FF%FE"[..], b"name[=x", b"a=1&a[b]=2", b"[x]=1"] {
        let resp = app
            .client
            .post(format!("{}/v1/products", app.base))
            .bearer_auth(KEY)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{}", String::from_utf8_lossy(body));
        let json: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(json["error"]["type"], "invalid_request_error");
    }
    let huge = format!("name={}", "x".repeat(2 * 1024 * 1024));
    let resp = app
        .client
        .post(format!("{}/v1/products", app.base))
        .bearer_auth(KEY)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let (status, body) = app.get("/v1/products", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"].as_array().unwrap().len(),
        0,
        "nothing was written"
    );
}

#[tokio::test]
async fn an_unknown_url_is_a_stripe_404() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/v1/nothing_here", &[]).await;
    assert_error(
        status,
        &body,
        404,
        None,
        "Unrecognized request URL (GET: /v1/nothing_here)",
    );
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response() {
    let app = TestApp::spawn().await;
    let send = |name: &'static str| {
        app.client
            .post(format!("{}/v1/products", app.base))
            .bearer_auth(KEY)
            .header("Idempotency-Key", "key-1")
            .form(&[("name", name)])
            .send()
    };
    let first = send("Hat").await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: serde_json::Value = first.json().await.unwrap();
    let again = send("Hat").await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    let other = send("Scarf").await.unwrap();
    assert_eq!(other.status(), 400);
    let other: serde_json::Value = other.json().await.unwrap();
    assert_eq!(other["error"]["type"], "idempotency_error");
    assert!(other["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Keys for idempotent requests can only be used with the same parameters"));
    let (_, list) = app.get("/v1/products", &[]).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_request_does_not_burn_its_idempotency_key() {
    let app = TestApp::spawn().await;
    let send = |form: Vec<(&'static str, &'static str)>| {
        app.client
            .post(format!("{}/v1/products", app.base))
            .bearer_auth(KEY)
            .header("Idempotency-Key", "retry-me")
            .form(&form)
            .send()
    };
    assert_eq!(
        send(vec![("name", "x"), ("bogus", "1")])
            .await
            .unwrap()
            .status(),
        400
    );
    let ok = send(vec![("name", "x")]).await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn the_same_key_sent_concurrently_creates_one_object() {
    let app = TestApp::spawn().await;
    let requests = (0..8).map(|_| {
        app.client
            .post(format!("{}/v1/products", app.base))
            .bearer_auth(KEY)
            .header("Idempotency-Key", "same-time")
            .form(&[("name", "Once")])
            .send()
    });
    let responses = futures::future::join_all(requests).await;
    let mut ids = std::collections::HashSet::new();
    for r in responses {
        let r = r.unwrap();
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap();
        match status.as_u16() {
            200 => {
                ids.insert(body["id"].as_str().unwrap().to_owned());
            }
            409 => assert_eq!(body["error"]["type"], "idempotency_error"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ids.len(), 1);
    let (_, list) = app.get("/v1/products", &[]).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn another_accounts_objects_are_404_and_modes_never_mix() {
    let app = TestApp::spawn().await;
    let id = app.product("Mine").await;
    let (status, body) = app
        .get_as(OTHER_KEY, &format!("/v1/products/{id}"), &[])
        .await;
    assert_error(
        status,
        &body,
        404,
        None,
        &format!("No such product: '{id}'"),
    );
    let (status, body) = app
        .get_as(LIVE_KEY, &format!("/v1/products/{id}"), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (_, live) = app
        .post_as(LIVE_KEY, "/v1/products", &[("name", "Live")])
        .await;
    assert_eq!(live["livemode"], true);
    let (_, listed) = app.get("/v1/products", &[]).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["livemode"], false);
}

#[tokio::test]
async fn lists_page_newest_first_in_both_directions() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(app.product(&format!("p{i}")).await);
    }
    ids.reverse(); // newest first
    let (_, page1) = app.get("/v1/products", &[("limit", "3")]).await;
    let got: Vec<&str> = page1["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, &ids[0..3]);
    assert_eq!(page1["has_more"], true);
    assert_eq!(page1["url"], "/v1/products");
    let (_, page2) = app
        .get(
            "/v1/products",
            &[("limit", "3"), ("starting_after", &ids[2])],
        )
        .await;
    let got: Vec<&str> = page2["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, &ids[3..6]);
    let (_, back) = app
        .get(
            "/v1/products",
            &[("limit", "2"), ("ending_before", &ids[3])],
        )
        .await;
    let got: Vec<&str> = back["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, &ids[1..3]);
    assert_eq!(back["has_more"], true);
    let (status, body) = app.get("/v1/products", &[("limit", "101")]).await;
    assert_error(status, &body, 400, Some("limit"), "Invalid limit");
    let (status, body) = app
        .get("/v1/products", &[("starting_after", "prod_missing")])
        .await;
    assert_error(
        status,
        &body,
        404,
        Some("starting_after"),
        "No such product: 'prod_missing'",
    );
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/readyz"] {
        assert_eq!(
            app.client
                .get(format!("{}{path}", app.base))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let _ = app.get("/v1/products", &[]).await;
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("checkoutd_requests_total"), "{text}");
}
