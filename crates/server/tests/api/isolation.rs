//! Account and mode isolation on every endpoint of both dialects: one
//! object of every kind is made by one account in test mode, then every
//! route that names it answers 404 (as if it did not exist) to another
//! account's key and to the same account's live key, every list leaves it
//! out, and the owner finds it untouched afterwards.

use crate::helpers::{TestApp, LIVE_KEY, OTHER_KEY};
use crate::signing;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Ids of one object of every kind, owned by `KEY`'s account, test mode.
struct Objects {
    product: String,
    price: String,
    shipping_rate: String,
    tax_rate: String,
    session: String,
    event: String,
    endpoint: String,
    gr4vy_session: String,
}

impl Objects {
    fn all(&self) -> Vec<&str> {
        vec![
            &self.product,
            &self.price,
            &self.shipping_rate,
            &self.tax_rate,
            &self.session,
            &self.event,
            &self.endpoint,
            &self.gr4vy_session,
        ]
    }
}

async fn request(
    app: &TestApp,
    method: Method,
    key: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let url = format!("{}{path}", app.base);
    let builder = app.client.request(method.clone(), url).bearer_auth(key);
    let builder = if method == Method::POST {
        builder.form(form)
    } else {
        builder.query(form)
    };
    let resp = builder.send().await.expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn make_objects(app: &TestApp, gr4vy_token: &str) -> Objects {
    let product = app.product("Owned").await;
    let price = app
        .ok(
            "/v1/prices",
            &[
                ("currency", "usd"),
                ("unit_amount", "1000"),
                ("product", &product),
            ],
        )
        .await["id"]
        .as_str()
        .expect("price id")
        .to_owned();
    let shipping_rate = app.shipping_rate(500, "usd").await;
    let tax_rate = app.tax_rate("8.25", false).await;
    let session = app
        .session(
            &price,
            "1",
            &[
                ("line_items[0][tax_rates][0]", &tax_rate),
                ("shipping_options[0][shipping_rate]", &shipping_rate),
            ],
        )
        .await["id"]
        .as_str()
        .expect("session id")
        .to_owned();
    let endpoint = app
        .ok(
            "/v1/webhook_endpoints",
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("enabled_events[]", "*"),
            ],
        )
        .await["id"]
        .as_str()
        .expect("endpoint id")
        .to_owned();
    let (_, events) = app.get("/v1/events", &[("limit", "1")]).await;
    let event = events["data"][0]["id"]
        .as_str()
        .expect("an event")
        .to_owned();
    let gr4vy = app
        .client
        .post(format!("{}/checkout/sessions", app.base))
        .bearer_auth(gr4vy_token)
        .json(&serde_json::json!({"amount": 1000, "currency": "USD"}))
        .send()
        .await
        .expect("gr4vy create");
    assert_eq!(gr4vy.status(), StatusCode::CREATED);
    let gr4vy_session = gr4vy.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("gr4vy id")
        .to_owned();
    Objects {
        product,
        price,
        shipping_rate,
        tax_rate,
        session,
        event,
        endpoint,
        gr4vy_session,
    }
}

/// A form of owned strings.
type Form = Vec<(&'static str, String)>;

/// Every Stripe route that names one object: (method, path, form, status
/// for a live key of the owning account). Another account always gets 404.
fn stripe_routes(o: &Objects) -> Vec<(Method, String, Form, u16)> {
    let get = |p: String| (Method::GET, p, vec![], 404);
    let post = |p: String, form: Form| (Method::POST, p, form, 404);
    let cs = &o.session;
    vec![
        get(format!("/v1/products/{}", o.product)),
        post(
            format!("/v1/products/{}", o.product),
            vec![("name", "Taken".into())],
        ),
        get(format!("/v1/prices/{}", o.price)),
        post(
            format!("/v1/prices/{}", o.price),
            vec![("nickname", "taken".into())],
        ),
        get(format!("/v1/shipping_rates/{}", o.shipping_rate)),
        post(
            format!("/v1/shipping_rates/{}", o.shipping_rate),
            vec![("active", "false".into())],
        ),
        get(format!("/v1/tax_rates/{}", o.tax_rate)),
        post(
            format!("/v1/tax_rates/{}", o.tax_rate),
            vec![("active", "false".into())],
        ),
        get(format!("/v1/checkout/sessions/{cs}")),
        post(
            format!("/v1/checkout/sessions/{cs}"),
            vec![("metadata[taken]", "yes".into())],
        ),
        get(format!("/v1/checkout/sessions/{cs}/line_items")),
        post(format!("/v1/checkout/sessions/{cs}/expire"), vec![]),
        // Test helpers refuse live keys outright (400) before any lookup.
        (
            Method::POST,
            format!("/v1/test_helpers/checkout/sessions/{cs}/complete"),
            vec![],
            400,
        ),
        get(format!("/v1/events/{}", o.event)),
        get(format!("/v1/webhook_endpoints/{}", o.endpoint)),
        post(
            format!("/v1/webhook_endpoints/{}", o.endpoint),
            vec![("disabled", "true".into())],
        ),
        (
            Method::DELETE,
            format!("/v1/webhook_endpoints/{}", o.endpoint),
            vec![],
            404,
        ),
        // A Gr4vy session is no Stripe session, even to its owner's key.
        get(format!("/v1/checkout/sessions/{}", o.gr4vy_session)),
    ]
}

/// Creates that refer to another account's objects: a 4xx naming it.
fn referring_creates(o: &Objects) -> Vec<(&'static str, Form)> {
    vec![
        (
            "/v1/prices",
            vec![
                ("currency", "usd".into()),
                ("unit_amount", "100".into()),
                ("product", o.product.clone()),
            ],
        ),
        (
            "/v1/checkout/sessions",
            vec![
                ("mode", "payment".into()),
                ("success_url", "https://example.com/ok".into()),
                ("line_items[0][price]", o.price.clone()),
                ("line_items[0][quantity]", "1".into()),
            ],
        ),
        (
            "/v1/checkout/sessions",
            vec![
                ("mode", "payment".into()),
                ("success_url", "https://example.com/ok".into()),
                ("line_items[0][price_data][currency]", "usd".into()),
                ("line_items[0][price_data][product]", o.product.clone()),
                ("line_items[0][price_data][unit_amount]", "100".into()),
                ("line_items[0][quantity]", "1".into()),
                ("line_items[0][tax_rates][0]", o.tax_rate.clone()),
            ],
        ),
        (
            "/v1/checkout/sessions",
            vec![
                ("mode", "payment".into()),
                ("success_url", "https://example.com/ok".into()),
                ("line_items[0][price_data][currency]", "usd".into()),
                ("line_items[0][price_data][product_data][name]", "X".into()),
                ("line_items[0][price_data][unit_amount]", "100".into()),
                ("line_items[0][quantity]", "1".into()),
                (
                    "shipping_options[0][shipping_rate]",
                    o.shipping_rate.clone(),
                ),
            ],
        ),
    ]
}

const LISTS: &[&str] = &[
    "/v1/products",
    "/v1/prices",
    "/v1/shipping_rates",
    "/v1/tax_rates",
    "/v1/checkout/sessions",
    "/v1/events",
    "/v1/webhook_endpoints",
];

#[tokio::test]
async fn no_other_account_and_no_live_key_can_see_or_touch_an_object() {
    // Arrange: Gr4vy keys for the default account and for `acct_other`.
    let dir = tempfile::tempdir().expect("dir");
    let mine = signing::key(21);
    let theirs = signing::key(22);
    let keys = format!(
        "{},acct_other:{}",
        signing::write_public_pem(dir.path(), "mine", &mine).display(),
        signing::write_public_pem(dir.path(), "theirs", &theirs).display()
    );
    let app = TestApp::spawn_with(&["--gr4vy-public-keys", &keys]).await;
    let o = make_objects(&app, &signing::read_write(&mine)).await;

    // Act + Assert: every route naming an object, as the others.
    for (method, path, form, live_status) in stripe_routes(&o) {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for (key, want) in [(OTHER_KEY, 404), (LIVE_KEY, live_status)] {
            let (status, body) = request(&app, method.clone(), key, &path, &form).await;
            assert_eq!(status.as_u16(), want, "{method} {path} as {key}: {body}");
            assert!(body["error"].is_object(), "{method} {path}: {body}");
        }
    }
    let (status, _) = app
        .get(&format!("/v1/checkout/sessions/{}", o.gr4vy_session), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Creates may not refer to another account's objects.
    for (path, form) in referring_creates(&o) {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for key in [OTHER_KEY, LIVE_KEY] {
            let (status, body) = app.post_as(key, path, &form).await;
            assert!(status.is_client_error(), "POST {path} as {key}: {body}");
            assert_eq!(body["error"]["code"], "resource_missing", "{path}: {body}");
        }
    }

    // Lists leave every object out, and a cursor on one is unknown.
    for list in LISTS {
        for key in [OTHER_KEY, LIVE_KEY] {
            let (status, body) = app.get_as(key, list, &[("limit", "100")]).await;
            assert_eq!(status, StatusCode::OK, "{list}: {body}");
            let text = body.to_string();
            for id in o.all() {
                assert!(!text.contains(id), "{list} as {key} shows {id}");
            }
        }
    }
    let (status, _) = app
        .get_as(OTHER_KEY, "/v1/products", &[("starting_after", &o.product)])
        .await;
    assert!(status.is_client_error());

    // Gr4vy: another account's key, or another merchant account, gets 404.
    let other = signing::read_write(&theirs);
    let mine_token = signing::read_write(&mine);
    let gr = format!("{}/checkout/sessions/{}", app.base, o.gr4vy_session);
    for (token, merchant) in [(&other, "default"), (&mine_token, "someone-else")] {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let mut req = app
                .client
                .request(method.clone(), &gr)
                .bearer_auth(token)
                .header("x-gr4vy-merchant-account-id", merchant);
            if method == Method::PUT {
                req = req.json(&serde_json::json!({"amount": 1}));
            }
            let resp = req.send().await.expect("gr4vy request");
            assert_eq!(
                resp.status(),
                StatusCode::NOT_FOUND,
                "{method} as {merchant}"
            );
            let body: Value = resp.json().await.expect("json");
            assert_eq!(body["code"], "not_found");
        }
    }

    // The owner finds everything as it was.
    let (_, product) = app.get(&format!("/v1/products/{}", o.product), &[]).await;
    assert_eq!(product["name"], "Owned");
    let (_, price) = app.get(&format!("/v1/prices/{}", o.price), &[]).await;
    assert_eq!(price["nickname"], Value::Null);
    let (_, rate) = app
        .get(&format!("/v1/shipping_rates/{}", o.shipping_rate), &[])
        .await;
    assert_eq!(rate["active"], true);
    let (_, tax) = app.get(&format!("/v1/tax_rates/{}", o.tax_rate), &[]).await;
    assert_eq!(tax["active"], true);
    let (_, session) = app
        .get(&format!("/v1/checkout/sessions/{}", o.session), &[])
        .await;
    assert_eq!(session["status"], "open");
    assert_eq!(session["metadata"], serde_json::json!({}));
    let (status, endpoint) = app
        .get(&format!("/v1/webhook_endpoints/{}", o.endpoint), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(endpoint["status"], "enabled");
    let resp = app
        .client
        .get(&gr)
        .bearer_auth(&mine_token)
        .send()
        .await
        .expect("gr4vy get");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["amount"], 1000);
}
