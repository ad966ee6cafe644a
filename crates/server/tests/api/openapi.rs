//! `GET /openapi.json` against the code: the document is served and is
//! OpenAPI 3.1; its operations are exactly the routes the source defines
//! (both directions), each of them answers, no other method on their paths
//! does; and real responses of both dialects validate against the schemas
//! the document gives them.
//!
//! The routes are read from the source itself: every `.route("PATH",
//! get(..).post(..))` under `src/http/`. A route added there without its
//! operation in `openapi/openapi.json` (regenerate it with
//! `crates/server/openapi/generate.py`), or an operation left in the
//! document after its route went, fails here.

use crate::helpers::{TestApp, KEY};
use crate::signing;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// `/v1/prices/{price}` → `/v1/prices/{}`: parameter names may differ.
fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// The document as this build embeds it.
fn document() -> Value {
    serde_json::from_str(checkoutd::http::openapi::DOCUMENT).expect("openapi.json is JSON")
}

/// (METHOD, normalized path) of every operation in the document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), normalize(path)));
            }
        }
    }
    ops
}

/// Rust source with `//` comments removed (string literals kept).
fn without_comments(source: &str) -> String {
    source
        .lines()
        .map(|line| {
            let mut in_string = false;
            let mut prev = ' ';
            for (i, c) in line.char_indices() {
                match c {
                    '"' if prev != '\\' => in_string = !in_string,
                    '/' if !in_string && prev == '/' => return &line[..i - 1],
                    _ => {}
                }
                prev = c;
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The argument list of a call whose `(` is at `open`, up to its `)`.
fn call_args(text: &str, open: usize) -> &str {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut prev = ' ';
    for (i, c) in text[open..].char_indices() {
        match c {
            '"' if prev != '\\' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..open + i];
                }
            }
            _ => {}
        }
        prev = c;
    }
    panic!("unbalanced .route( call");
}

/// `get(`, `.post(`, `axum::routing::get(`: HTTP methods a method router names.
fn methods_in(args: &str) -> Vec<String> {
    let mut found = Vec::new();
    for method in METHODS {
        let needle = format!("{method}(");
        let mut from = 0;
        while let Some(at) = args[from..].find(&needle) {
            let start = from + at;
            let before = args[..start].chars().next_back().unwrap_or(' ');
            if !(before.is_alphanumeric() || before == '_') {
                found.push(method.to_uppercase());
            }
            from = start + needle.len();
        }
    }
    found.sort();
    found.dedup();
    found
}

/// (METHOD, normalized path) of every `.route(…)` in `dir`, recursively.
fn routes_in_source(dir: &Path, out: &mut BTreeSet<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("read src/http") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            routes_in_source(&path, out);
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = without_comments(&std::fs::read_to_string(&path).expect("read source"));
        let mut from = 0;
        while let Some(at) = text[from..].find(".route(") {
            let open = from + at + ".route".len();
            let args = call_args(&text, open);
            let first = args.find('"').expect("route path literal");
            let len = args[first + 1..].find('"').expect("end of literal");
            let route = &args[first + 1..first + 1 + len];
            let methods = methods_in(&args[first + 1 + len..]);
            assert!(
                !methods.is_empty(),
                "{}: route {route} names no HTTP method this test can read",
                path.display()
            );
            for m in methods {
                out.insert((m, normalize(route)));
            }
            from = open + args.len();
        }
    }
}

#[tokio::test]
async fn the_document_is_served_and_is_openapi_3_1() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let resp = app
        .client
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .expect("request");

    // Assert
    assert_eq!(resp.status(), StatusCode::OK);
    let content_type = resp.headers()["content-type"].to_str().expect("ascii");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let served: Value = resp.json().await.expect("the document is JSON");
    let version = served["openapi"].as_str().expect("openapi field");
    assert!(version.starts_with("3.1."), "openapi {version}");
    assert_eq!(served, document());
    assert_eq!(served["info"]["title"], "checkoutd");
    for scheme in ["stripeBearer", "stripeBasic", "gr4vyBearer"] {
        assert!(
            served["components"]["securitySchemes"]
                .get(scheme)
                .is_some(),
            "no {scheme} security scheme"
        );
    }
    // 3.1 spells nullable as a type: no 3.0 `nullable` anywhere.
    assert!(!checkoutd::http::openapi::DOCUMENT.contains("\"nullable\""));
}

#[tokio::test]
async fn the_documented_operations_are_exactly_the_routes_in_the_source() {
    // Arrange
    let mut routes = BTreeSet::new();
    routes_in_source(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http"),
        &mut routes,
    );
    let ops = documented(&document());

    // Act
    let undocumented: Vec<_> = routes.difference(&ops).collect();
    let unrouted: Vec<_> = ops.difference(&routes).collect();

    // Assert
    assert!(routes.len() > 30, "the source scan found only {routes:?}");
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routes missing from openapi.json (run crates/server/openapi/generate.py after describing them \
         there): {undocumented:?}\noperations in openapi.json that no route serves: {unrouted:?}"
    );
}

/// Whether a response is what the router gives a URL or method it does not
/// serve: Stripe's "Unrecognized request URL" 404, a 405, or axum's empty 404.
fn is_unknown(status: StatusCode, body: &str) -> bool {
    status == StatusCode::METHOD_NOT_ALLOWED
        || (status == StatusCode::NOT_FOUND
            && (body.is_empty() || body.contains("Unrecognized request URL")))
}

/// A concrete URL for a documented path (parameters filled with a
/// plausible id that does not exist).
fn concrete(path: &str) -> String {
    if path.starts_with("/checkout/") {
        path.replace("{session_id}", "4137b1cf-39ac-42a8-bad6-1c680d5dab6b")
    } else if path.starts_with("/c/pay/") {
        path.replace("{id}", "cs_test_openapiprobe")
    } else {
        path.replace("{id}", "openapi_probe")
    }
}

#[tokio::test]
async fn every_documented_operation_answers_and_no_other_method_does() {
    // Arrange
    let app = TestApp::spawn().await;
    let doc = document();
    let mut wrong = Vec::new();

    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            // Act
            let url = format!("{}{}", app.base, concrete(path));
            let verb = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let resp = app
                .client
                .request(verb, url)
                .bearer_auth(KEY)
                .header("content-type", "application/x-www-form-urlencoded")
                .send()
                .await
                .expect("request");
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();

            // Assert
            let unknown = is_unknown(status, &body);
            let is_documented = item.get(method).is_some();
            if is_documented && unknown {
                wrong.push(format!(
                    "{} {path} is documented but answers as unrouted: {status} {body}",
                    method.to_uppercase()
                ));
            }
            if !is_documented && !unknown {
                wrong.push(format!(
                    "{} {path} is not documented but answers {status}: {}",
                    method.to_uppercase(),
                    body.chars().take(200).collect::<String>()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The schema the document gives `method path` for `status` (JSON), with
/// the document's components beside it so its `$ref`s resolve.
fn response_schema(doc: &Value, method: &str, path: &str, status: u16) -> Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    let mut response = op["responses"][status.to_string()].clone();
    if let Some(reference) = response["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/responses/");
        response = doc["components"]["responses"][name].clone();
    }
    let schema = response["content"]["application/json"]["schema"].clone();
    assert!(
        schema.is_object(),
        "{method} {path} documents no JSON body for {status}"
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": doc["components"],
    })
}

/// Validate one real response against the document.
fn assert_conforms(doc: &Value, method: &str, path: &str, status: StatusCode, body: &Value) {
    let schema = response_schema(doc, method, path, status.as_u16());
    let validator = jsonschema::draft202012::new(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "{} {path} ({status}) does not match the document:\n  {}\nbody: {body}",
        method.to_uppercase(),
        errors.join("\n  ")
    );
}

/// Send a Stripe request; returns the status and the JSON body.
async fn stripe(
    app: &TestApp,
    method: Method,
    path: &str,
    form: &[(&str, &str)],
    key: Option<&str>,
) -> (StatusCode, Value) {
    let url = format!("{}{path}", app.base);
    let mut builder = app.client.request(method.clone(), url);
    if let Some(key) = key {
        builder = builder.bearer_auth(key);
    }
    builder = if method == Method::POST {
        builder.form(form)
    } else {
        builder.query(form)
    };
    let resp = builder.send().await.expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn real_stripe_responses_match_the_documented_schemas() {
    // Arrange
    let app = TestApp::spawn().await;
    let doc = document();
    let check = |method: &str, path: &str, (status, body): &(StatusCode, Value)| {
        assert_conforms(&doc, method, path, *status, body);
        body.clone()
    };
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            stripe(app, Method::POST, path, &form, Some(KEY)).await
        }
    };
    let s = |v: &str| v.to_owned();

    // Act + Assert: the catalog
    let product = check(
        "post",
        "/v1/products",
        &post(
            "/v1/products",
            vec![
                ("name", s("T-shirt")),
                ("package_dimensions[height]", s("1.5")),
                ("package_dimensions[length]", s("20")),
                ("package_dimensions[weight]", s("3.25")),
                ("package_dimensions[width]", s("10")),
                ("marketing_features[0][name]", s("Soft")),
                ("metadata[sku]", s("ts-1")),
            ],
        )
        .await,
    );
    let product_id = product["id"].as_str().expect("id").to_owned();
    let price = check(
        "post",
        "/v1/prices",
        &post(
            "/v1/prices",
            vec![
                ("currency", s("usd")),
                ("unit_amount", s("1099")),
                ("product", product_id.clone()),
                ("tax_behavior", s("exclusive")),
            ],
        )
        .await,
    );
    let price_id = price["id"].as_str().expect("id").to_owned();
    check(
        "post",
        "/v1/prices",
        &post(
            "/v1/prices",
            vec![
                ("currency", s("eur")),
                ("unit_amount_decimal", s("12.5")),
                ("product_data[name]", s("Club")),
                ("recurring[interval]", s("month")),
            ],
        )
        .await,
    );
    check(
        "get",
        "/v1/prices/{id}",
        &stripe(
            &app,
            Method::GET,
            &format!("/v1/prices/{price_id}"),
            &[("expand[]", "product")],
            Some(KEY),
        )
        .await,
    );
    let tax = check(
        "post",
        "/v1/tax_rates",
        &post(
            "/v1/tax_rates",
            vec![
                ("display_name", s("VAT")),
                ("percentage", s("20")),
                ("inclusive", s("true")),
                ("country", s("DE")),
            ],
        )
        .await,
    );
    let ship = check(
        "post",
        "/v1/shipping_rates",
        &post(
            "/v1/shipping_rates",
            vec![
                ("display_name", s("Ground")),
                ("type", s("fixed_amount")),
                ("fixed_amount[amount]", s("500")),
                ("fixed_amount[currency]", s("usd")),
                ("fixed_amount[currency_options][eur][amount]", s("450")),
                ("delivery_estimate[minimum][unit]", s("business_day")),
                ("delivery_estimate[minimum][value]", s("3")),
            ],
        )
        .await,
    );
    for path in [
        "/v1/products",
        "/v1/prices",
        "/v1/tax_rates",
        "/v1/shipping_rates",
    ] {
        check(
            "get",
            path,
            &stripe(&app, Method::GET, path, &[], Some(KEY)).await,
        );
    }

    // Act + Assert: sessions, hosted and embedded, expanded
    let session = check(
        "post",
        "/v1/checkout/sessions",
        &post(
            "/v1/checkout/sessions",
            vec![
                ("mode", s("payment")),
                ("success_url", s("https://example.com/ok")),
                ("line_items[0][price]", price_id.clone()),
                ("line_items[0][quantity]", s("2")),
                (
                    "line_items[0][tax_rates][0]",
                    tax["id"].as_str().expect("id").to_owned(),
                ),
                (
                    "shipping_options[0][shipping_rate]",
                    ship["id"].as_str().expect("id").to_owned(),
                ),
                ("customer_email", s("a@example.com")),
                ("expand[0]", s("line_items")),
            ],
        )
        .await,
    );
    assert!(
        session["return_url"].is_null(),
        "a hosted session renders return_url as null"
    );
    let id = session["id"].as_str().expect("id").to_owned();
    check(
        "post",
        "/v1/checkout/sessions",
        &post(
            "/v1/checkout/sessions",
            vec![
                ("mode", s("subscription")),
                ("ui_mode", s("embedded_page")),
                ("return_url", s("https://example.com/back")),
                ("line_items[0][price_data][currency]", s("usd")),
                ("line_items[0][price_data][unit_amount]", s("500")),
                ("line_items[0][price_data][product_data][name]", s("Club")),
                ("line_items[0][price_data][recurring][interval]", s("month")),
                ("line_items[0][quantity]", s("1")),
            ],
        )
        .await,
    );
    check(
        "get",
        "/v1/checkout/sessions/{id}",
        &stripe(
            &app,
            Method::GET,
            &format!("/v1/checkout/sessions/{id}"),
            &[
                ("expand[0]", "line_items.data.taxes"),
                ("expand[1]", "line_items.data.price.product"),
                ("expand[2]", "total_details.breakdown"),
                ("expand[3]", "shipping_cost.shipping_rate"),
                ("expand[4]", "shipping_options.shipping_rate"),
            ],
            Some(KEY),
        )
        .await,
    );
    check(
        "post",
        "/v1/checkout/sessions/{id}",
        &post_dynamic(
            &app,
            &format!("/v1/checkout/sessions/{id}"),
            &[("metadata[order]", "6735")],
        )
        .await,
    );
    check(
        "get",
        "/v1/checkout/sessions/{id}/line_items",
        &stripe(
            &app,
            Method::GET,
            &format!("/v1/checkout/sessions/{id}/line_items"),
            &[("expand[]", "data.taxes")],
            Some(KEY),
        )
        .await,
    );
    check(
        "get",
        "/v1/checkout/sessions",
        &stripe(
            &app,
            Method::GET,
            "/v1/checkout/sessions",
            &[("limit", "5")],
            Some(KEY),
        )
        .await,
    );
    check(
        "post",
        "/v1/test_helpers/checkout/sessions/{id}/complete",
        &post_dynamic(
            &app,
            &format!("/v1/test_helpers/checkout/sessions/{id}/complete"),
            &[
                ("name", "Ada Lovelace"),
                ("shipping_details[name]", "Ada Lovelace"),
                ("shipping_details[address][line1]", "1 Main St"),
                ("shipping_details[address][country]", "US"),
            ],
        )
        .await,
    );
    let other = app.session(&price_id, "1", &[]).await;
    check(
        "post",
        "/v1/checkout/sessions/{id}/expire",
        &post_dynamic(
            &app,
            &format!(
                "/v1/checkout/sessions/{}/expire",
                other["id"].as_str().expect("id")
            ),
            &[],
        )
        .await,
    );
    check(
        "post",
        "/v1/test_helpers/clock/advance",
        &post("/v1/test_helpers/clock/advance", vec![("seconds", s("60"))]).await,
    );

    // Act + Assert: events and webhook endpoints
    let events = check(
        "get",
        "/v1/events",
        &stripe(
            &app,
            Method::GET,
            "/v1/events",
            &[("limit", "100")],
            Some(KEY),
        )
        .await,
    );
    for event in events["data"].as_array().expect("events").iter().take(5) {
        let path = format!("/v1/events/{}", event["id"].as_str().expect("id"));
        check(
            "get",
            "/v1/events/{id}",
            &stripe(&app, Method::GET, &path, &[], Some(KEY)).await,
        );
    }
    let endpoint = check(
        "post",
        "/v1/webhook_endpoints",
        &post(
            "/v1/webhook_endpoints",
            vec![
                ("url", s("http://127.0.0.1:9/hook")),
                ("enabled_events[0]", s("checkout.session.completed")),
            ],
        )
        .await,
    );
    let endpoint_path = format!(
        "/v1/webhook_endpoints/{}",
        endpoint["id"].as_str().expect("id")
    );
    check(
        "get",
        "/v1/webhook_endpoints",
        &stripe(&app, Method::GET, "/v1/webhook_endpoints", &[], Some(KEY)).await,
    );
    check(
        "delete",
        "/v1/webhook_endpoints/{id}",
        &stripe(&app, Method::DELETE, &endpoint_path, &[], Some(KEY)).await,
    );

    // Act + Assert: errors
    let unknown = stripe(
        &app,
        Method::POST,
        "/v1/products",
        &[("name", "x"), ("colour", "red")],
        Some(KEY),
    )
    .await;
    assert_eq!(unknown.0, StatusCode::BAD_REQUEST);
    check("post", "/v1/products", &unknown);
    let missing = stripe(&app, Method::GET, "/v1/products/prod_nope", &[], Some(KEY)).await;
    assert_eq!(missing.0, StatusCode::NOT_FOUND);
    check("get", "/v1/products/{id}", &missing);
    let no_key = stripe(&app, Method::GET, "/v1/prices", &[], None).await;
    assert_eq!(no_key.0, StatusCode::UNAUTHORIZED);
    check("get", "/v1/prices", &no_key);
    let huge = "x".repeat(1024 * 1024 + 1);
    let too_large = stripe(
        &app,
        Method::POST,
        "/v1/products",
        &[("name", &huge)],
        Some(KEY),
    )
    .await;
    assert_eq!(too_large.0, StatusCode::PAYLOAD_TOO_LARGE);
    check("post", "/v1/products", &too_large);
}

async fn post_dynamic(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    stripe(app, Method::POST, path, form, Some(KEY)).await
}

#[tokio::test]
async fn real_gr4vy_responses_match_the_documented_schemas() {
    // Arrange
    let dir = tempfile::tempdir().expect("temp dir");
    let key = signing::key(31);
    let pem = signing::write_public_pem(dir.path(), "openapi", &key);
    let app = TestApp::spawn_with(&["--gr4vy-public-keys", &pem.display().to_string()]).await;
    let token = signing::read_write(&key);
    let doc = document();
    let send = |method: Method, path: String, body: Option<Value>, token: Option<String>| {
        let app = &app;
        async move {
            let mut builder = app.client.request(method, format!("{}{path}", app.base));
            if let Some(token) = token {
                builder = builder.bearer_auth(token);
            }
            if let Some(body) = body {
                builder = builder.json(&body);
            }
            let resp = builder.send().await.expect("request");
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            (status, serde_json::from_str(&body).unwrap_or(Value::Null))
        }
    };

    // Act
    let created = send(
        Method::POST,
        "/checkout/sessions".into(),
        Some(json!({
            "cart_items": [{"name": "Ticket", "quantity": 2, "unit_amount": 45000,
                            "categories": ["travel"], "product_type": "digital"}],
            "metadata": {"order": "6735"},
            "buyer": {"display_name": "Ada", "billing_details": {"first_name": "Ada",
                      "address": {"country": "GB", "city": "London"}}},
            "airline": {"passenger_name_record": "ABC123",
                        "legs": [{"departure_airport": "LHR", "arrival_airport": "JFK"}]},
            "amount": 90000, "currency": "GBP", "expires_in": 7200
        })),
        Some(token.clone()),
    )
    .await;
    let id = created.1["id"].as_str().expect("id").to_owned();
    let path = format!("/checkout/sessions/{id}");
    let fetched = send(Method::GET, path.clone(), None, Some(token.clone())).await;
    let updated = send(
        Method::PUT,
        path.clone(),
        Some(json!({"metadata": null, "expires_in": 3600.0})),
        Some(token.clone()),
    )
    .await;
    let bad = send(
        Method::PUT,
        path.clone(),
        Some(json!({"cart_items": [{"name": "", "quantity": 0}]})),
        Some(token.clone()),
    )
    .await;
    let no_token = send(Method::GET, path.clone(), None, None).await;
    let deleted = send(Method::DELETE, path.clone(), None, Some(token.clone())).await;
    let gone = send(Method::GET, path.clone(), None, Some(token)).await;

    // Assert
    assert_eq!(created.0, StatusCode::CREATED);
    let item = "/checkout/sessions/{session_id}";
    assert_conforms(&doc, "post", "/checkout/sessions", created.0, &created.1);
    assert_conforms(&doc, "get", item, fetched.0, &fetched.1);
    assert_conforms(&doc, "put", item, updated.0, &updated.1);
    assert_eq!(bad.0, StatusCode::BAD_REQUEST);
    assert_conforms(&doc, "put", item, bad.0, &bad.1);
    assert_eq!(no_token.0, StatusCode::UNAUTHORIZED);
    assert_conforms(&doc, "get", item, no_token.0, &no_token.1);
    assert_eq!(deleted.0, StatusCode::NO_CONTENT);
    assert_eq!(gone.0, StatusCode::NOT_FOUND);
    assert_conforms(&doc, "get", item, gone.0, &gone.1);
}
