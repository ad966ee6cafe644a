//! The hosted page over plain HTTP: what it renders, its headers, how its
//! form posts are checked, and that paying completes a session exactly once.
//! (The same flows in a real browser are in `tests/e2e`.)

use crate::helpers::{TestApp, KEY};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::Value;

/// A client that does not follow redirects (the success URL is elsewhere).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn open(url: &str) -> Page {
    let resp = browser().get(url).send().await.expect("GET page");
    Page {
        status: resp.status(),
        headers: resp.headers().clone(),
        body: resp.text().await.unwrap_or_default(),
    }
}

/// POST the form as Chromium does (same-origin fetch metadata).
async fn submit(url: &str, form: &[(&str, &str)]) -> Page {
    submit_from(url, form, "same-origin").await
}

async fn submit_from(url: &str, form: &[(&str, &str)], site: &str) -> Page {
    let resp = browser()
        .post(url)
        .header("sec-fetch-site", site)
        .header("origin", "null")
        .form(form)
        .send()
        .await
        .expect("POST page");
    Page {
        status: resp.status(),
        headers: resp.headers().clone(),
        body: resp.text().await.unwrap_or_default(),
    }
}

/// The `value` of the hidden input named `name`.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden input") + marker.len();
    let end = html[start..].find('"').expect("end of value") + start;
    html[start..end].to_owned()
}

/// Two shipping options ($5 Standard, $15 Express), a 2 × $10.99 line and a
/// 1 × $5.00 line; ships to US and GB.
async fn shop_session(app: &TestApp, success_url: &str) -> (Value, String, String) {
    let price = app.price(1099, "usd").await;
    let mug = app.price(500, "usd").await;
    let standard = app.shipping_rate(500, "usd").await;
    let express = app.shipping_rate(1500, "usd").await;
    let form = [
        ("mode", "payment"),
        ("success_url", success_url),
        ("cancel_url", "https://example.com/cancel"),
        ("line_items[0][price]", price.as_str()),
        ("line_items[0][quantity]", "2"),
        ("line_items[1][price]", mug.as_str()),
        ("line_items[1][quantity]", "1"),
        ("shipping_options[0][shipping_rate]", standard.as_str()),
        ("shipping_options[1][shipping_rate]", express.as_str()),
        ("shipping_address_collection[allowed_countries][0]", "US"),
        ("shipping_address_collection[allowed_countries][1]", "GB"),
        ("customer_email", "jenny@example.com"),
    ];
    let s = app.ok("/v1/checkout/sessions", &form).await;
    (s, standard, express)
}

const SUCCESS: &str = "https://example.com/ok";

fn url_of(s: &Value) -> String {
    s["url"].as_str().expect("hosted url").to_owned()
}

/// A complete, valid pay form for the page in `html`.
fn pay_form(html: &str, card: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf_token", hidden(html, "csrf_token")),
        ("order", hidden(html, "order")),
        ("action", "pay".into()),
        ("email", "jenny@example.com".into()),
        ("name", "Jenny Rosen".into()),
        ("address_line1", "510 Townsend St".into()),
        ("address_city", "San Francisco".into()),
        ("address_state", "CA".into()),
        ("address_postal_code", "94103".into()),
        ("address_country", "US".into()),
        ("card_number", card.into()),
        ("card_expiry", "12 / 40".into()),
        ("card_cvc", "123".into()),
    ]
}

fn as_refs<'a>(form: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn with(
    form: &[(&'static str, String)],
    key: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    let mut out: Vec<_> = form.iter().filter(|(k, _)| *k != key).cloned().collect();
    out.push((key, value.to_owned()));
    out
}

async fn session(app: &TestApp, id: &str) -> Value {
    let (status, body) = app.get(&format!("/v1/checkout/sessions/{id}"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn completed_events(app: &TestApp, id: &str) -> usize {
    let (status, body) = app
        .get(
            "/v1/events",
            &[("type", "checkout.session.completed"), ("limit", "100")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["object"]["id"] == id)
        .count()
}

#[tokio::test]
async fn the_page_shows_the_items_totals_and_a_labelled_form() {
    // Arrange
    let app = TestApp::spawn().await;
    let (s, standard, express) = shop_session(&app, SUCCESS).await;

    // Act
    let page = open(&url_of(&s)).await;

    // Assert
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.headers["content-type"], "text/html; charset=utf-8",
        "{:?}",
        page.headers
    );
    let html = &page.body;
    assert!(html.contains("data-state=\"open\""));
    assert!(html.contains("Qty 2 × $10.99"));
    assert!(html.contains(">$21.98<"), "line amount");
    assert!(html.contains("id=\"subtotal\">$26.98<"));
    assert!(html.contains("id=\"shipping-amount\">$5.00<"));
    assert!(html.contains("id=\"total\">$31.98<"));
    for token in [
        "email",
        "name",
        "cc-number",
        "cc-exp",
        "cc-csc",
        "address-line1",
        "address-line2",
        "address-level2",
        "address-level1",
        "postal-code",
        "country",
    ] {
        assert!(
            html.contains(&format!("autocomplete=\"{token}\"")),
            "no control with autocomplete={token}"
        );
    }
    assert!(html.contains(&format!(
        "name=\"shipping_rate\" value=\"{standard}\" checked"
    )));
    assert!(html.contains(&format!("name=\"shipping_rate\" value=\"{express}\">")));
    assert!(
        html.contains("value=\"jenny@example.com\""),
        "email prefilled"
    );
    assert!(html.contains("<option value=\"GB\">United Kingdom</option>"));
    assert!(html.contains("<option value=\"US\">United States</option>"));
    assert!(!html.contains("value=\"FR\""), "only allowed countries");
    assert!(html.contains("href=\"https://example.com/cancel\""));
    assert_eq!(
        html.matches("<label for=").count(),
        11,
        "every field labelled"
    );
}

#[tokio::test]
async fn zero_and_three_decimal_currencies_are_formatted_by_their_exponent() {
    let app = TestApp::spawn().await;
    for (amount, currency, shown) in [(1000, "jpy", "¥1,000"), (1250, "kwd", "KWD 1.250")] {
        let price = app.price(amount, currency).await;
        let s = app.session(&price, "1", &[]).await;
        let page = open(&url_of(&s)).await;
        assert!(
            page.body.contains(&format!("id=\"total\">{shown}<")),
            "{currency}: {}",
            page.body
        );
    }
}

#[tokio::test]
async fn names_are_escaped_and_no_secret_or_merchant_data_reaches_the_page() {
    // Arrange
    let app = TestApp::spawn().await;
    let form = [
        ("mode", "payment"),
        ("success_url", "https://example.com/ok"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "100"),
        (
            "line_items[0][price_data][product_data][name]",
            "<script>alert(1)</script>",
        ),
        ("line_items[0][quantity]", "1"),
        ("metadata[internal]", "merchant-only-note"),
        ("client_reference_id", "internal-ref-42"),
    ];
    let s = app.ok("/v1/checkout/sessions", &form).await;

    // Act
    let page = open(&url_of(&s)).await;

    // Assert
    assert!(!page.body.contains("<script>alert"));
    assert!(page
        .body
        .contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    for secret in [KEY, "sk_test_", "merchant-only-note", "internal-ref-42"] {
        assert!(!page.body.contains(secret), "page leaks {secret}");
    }
}

#[tokio::test]
async fn an_unknown_session_is_a_404_page() {
    let app = TestApp::spawn().await;
    for path in ["/c/pay/cs_test_nope", "/c/pay/not-an-id", "/c/pay/%3Cx%3E"] {
        let page = open(&format!("{}{path}", app.base)).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.body.contains("Page not found"));
        assert!(!page.body.contains("<form"));
    }
}

#[tokio::test]
async fn an_expired_session_shows_its_state_and_no_form() {
    // Arrange
    let app = TestApp::spawn().await;
    let (s, ..) = shop_session(&app, SUCCESS).await;
    let url = url_of(&s);
    let before = open(&url).await;
    let id = s["id"].as_str().unwrap();
    app.ok(&format!("/v1/checkout/sessions/{id}/expire"), &[])
        .await;

    // Act
    let page = open(&url).await;
    let paid = submit(&url, &as_refs(&pay_form(&before.body, "4242424242424242"))).await;

    // Assert
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-state=\"expired\""));
    assert!(page.body.contains("This checkout has expired"));
    assert!(!page.body.contains("<form"));
    assert!(!page.body.contains("<input"));
    assert!(paid.body.contains("data-state=\"expired\""));
    assert_eq!(session(&app, id).await["status"], "expired");
}

#[tokio::test]
async fn a_session_past_its_expiry_on_the_account_clock_takes_no_payment() {
    // Arrange: the account's clock moves past `expires_at`
    let app = TestApp::spawn().await;
    let (s, ..) = shop_session(&app, SUCCESS).await;
    let url = url_of(&s);
    let before = open(&url).await;
    app.ok("/v1/test_helpers/clock/advance", &[("seconds", "90000")])
        .await;

    // Act
    let page = open(&url).await;
    let paid = submit(&url, &as_refs(&pay_form(&before.body, "4242424242424242"))).await;

    // Assert
    assert!(page.body.contains("data-state=\"expired\""));
    assert!(!page.body.contains("<form"));
    assert!(paid.body.contains("data-state=\"expired\""));
    assert_ne!(
        session(&app, s["id"].as_str().unwrap()).await["status"],
        "complete"
    );
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    // Arrange
    let app = TestApp::spawn().await;
    let (s, ..) = shop_session(&app, SUCCESS).await;

    // Act
    let pages = [
        open(&url_of(&s)).await,
        open(&format!("{}/c/pay/cs_test_unknown", app.base)).await,
    ];

    // Assert
    for page in &pages {
        let h = &page.headers;
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("form-action 'self'"), "{csp}");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["cache-control"], "no-store");
    }
    let csp = pages[0].headers["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("form-action 'self' https://example.com"),
        "the success URL's origin may receive the post's redirect: {csp}"
    );
}

#[tokio::test]
async fn the_page_is_english_with_en_gb_dates_when_asked() {
    let app = TestApp::spawn().await;
    let price = app.price(1099, "gbp").await;
    for (locale, lang, month_first) in [("en-GB", "en-GB", false), ("fr", "en", true)] {
        let s = app.session(&price, "1", &[("locale", locale)]).await;
        let page = open(&url_of(&s)).await;
        assert!(
            page.body.contains(&format!("<html lang=\"{lang}\">")),
            "{locale}"
        );
        assert!(page.body.contains("id=\"total\">£10.99<"));
        assert!(page.body.contains("This checkout expires on"));
        let expires = page.body.split("expires on ").nth(1).unwrap();
        assert_eq!(
            expires.starts_with(|c: char| c.is_ascii_alphabetic()),
            month_first,
            "{locale}: {expires}"
        );
    }
}

#[tokio::test]
async fn the_assets_are_served_with_their_types_and_no_sniffing() {
    let app = TestApp::spawn().await;
    for (path, kind) in [
        ("/c/assets/checkout.css", "text/css; charset=utf-8"),
        ("/c/assets/checkout.js", "text/javascript; charset=utf-8"),
    ] {
        let page = open(&format!("{}{path}", app.base)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.headers["content-type"], kind);
        assert_eq!(page.headers["x-content-type-options"], "nosniff");
        assert!(!page.body.is_empty());
    }
}

#[tokio::test]
async fn only_embedded_sessions_may_be_framed() {
    // Arrange
    let app = TestApp::spawn().await;
    let price = app.price(1000, "usd").await;
    let form = [
        ("mode", "payment"),
        ("ui_mode", "embedded_page"),
        (
            "return_url",
            "https://shop.example/done?id={CHECKOUT_SESSION_ID}",
        ),
        ("line_items[0][price]", price.as_str()),
        ("line_items[0][quantity]", "1"),
    ];
    let s = app.ok("/v1/checkout/sessions", &form).await;
    let id = s["id"].as_str().unwrap();

    // Act
    let page = open(&format!("{}/c/pay/{id}", app.base)).await;

    // Assert
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(csp.contains("https://shop.example"), "{csp}");
    assert!(page.headers.get("x-frame-options").is_none());
}

#[tokio::test]
async fn posts_without_the_form_token_or_from_another_site_are_refused() {
    // Arrange
    let app = TestApp::spawn().await;
    let (s, ..) = shop_session(&app, SUCCESS).await;
    let url = url_of(&s);
    let page = open(&url).await;
    let good = pay_form(&page.body, "4242424242424242");

    // Act
    let no_token = submit(&url, &as_refs(&with(&good, "csrf_token", ""))).await;
    let wrong_token = submit(&url, &as_refs(&with(&good, "csrf_token", "00ff"))).await;
    let cross_site = submit_from(&url, &as_refs(&good), "cross-site").await;
    let evil_origin = browser()
        .post(&url)
        .header("origin", "https://evil.example")
        .form(&as_refs(&good))
        .send()
        .await
        .unwrap();

    // Assert
    for page in [&no_token, &wrong_token, &cross_site] {
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(page.body.contains("data-state=\"forbidden\""));
    }
    assert_eq!(evil_origin.status(), StatusCode::FORBIDDEN);
    let stored = session(&app, s["id"].as_str().unwrap()).await;
    assert_eq!(stored["status"], "open");
}

#[tokio::test]
async fn the_decline_card_shows_a_message_and_keeps_the_session_open() {
    // Arrange
    let app = TestApp::spawn().await;
    let (s, ..) = shop_session(&app, SUCCESS).await;
    let url = url_of(&s);
    let page = open(&url).await;

    // Act
    let declined = submit(&url, &as_refs(&pay_form(&page.body, "4000 0000 0000 0002"))).await;

    // Assert
    assert_eq!(declined.status, StatusCode::PAYMENT_REQUIRED);
    assert!(declined.body.contains("Your card was declined."));
    assert!(declined.body.contains("role=\"alert\""));
    assert!(declined.body.contains("<form"), "the form is shown again");
    assert!(
        declined.body.contains("value=\"510 Townsend St\""),
        "input kept"
    );
    let stored = session(&app, s["id"].as_str().unwrap()).await;
    assert_eq!(stored["status"], "open");
    assert_eq!(stored["payment_status"], "unpaid");
}

#[tokio::test]
async fn invalid_details_are_rejected_field_by_field() {
    // Arrange
    let app = TestApp::spawn().await;
    let (s, ..) = shop_session(&app, SUCCESS).await;
    let url = url_of(&s);
    let page = open(&url).await;
    let good = pay_form(&page.body, "4242424242424242");

    // Act
    let luhn = submit(
        &url,
        &as_refs(&with(&good, "card_number", "4242 4242 4242 4241")),
    )
    .await;
    let country = submit(&url, &as_refs(&with(&good, "address_country", "FR"))).await;
    let email = submit(&url, &as_refs(&with(&good, "email", "not-an-email"))).await;
    let past = submit(&url, &as_refs(&with(&good, "card_expiry", "01/20"))).await;

    // Assert
    assert_eq!(luhn.status, StatusCode::BAD_REQUEST);
    assert!(luhn.body.contains("Your card number is invalid."));
    assert!(
        country.body.contains("We can&#39;t ship to this country."),
        "{}",
        country.body
    );
    assert!(email.body.contains("Your email address is invalid."));
    assert!(past
        .body
        .contains("Your card&#39;s expiration date is in the past."));
    assert_eq!(
        session(&app, s["id"].as_str().unwrap()).await["status"],
        "open"
    );
}

#[tokio::test]
async fn choosing_a_shipping_option_recomputes_the_totals_the_api_reports() {
    // Arrange
    let app = TestApp::spawn().await;
    let (s, _, express) = shop_session(&app, SUCCESS).await;
    let url = url_of(&s);
    let page = open(&url).await;
    let form = [
        ("csrf_token", hidden(&page.body, "csrf_token")),
        ("order", hidden(&page.body, "order")),
        ("action", "update_shipping".into()),
        ("email", "jenny@example.com".into()),
        ("shipping_rate", express.clone()),
    ];

    // Act
    let updated = submit(&url, &as_refs(&form)).await;
    let again = open(&url).await;

    // Assert: post-redirect-get back to the page, which shows the new total
    assert_eq!(updated.status, StatusCode::SEE_OTHER);
    let id = s["id"].as_str().unwrap();
    assert_eq!(updated.headers["location"], id);
    assert!(
        again.body.contains("id=\"total\">$41.98<"),
        "{}",
        again.body
    );
    assert!(again.body.contains(&format!(
        "name=\"shipping_rate\" value=\"{express}\" checked"
    )));
    let stored = session(&app, id).await;
    assert_eq!(stored["amount_total"], 4198);
    assert_eq!(stored["shipping_cost"]["shipping_rate"], express.as_str());
    assert_eq!(stored["total_details"]["amount_shipping"], 1500);
}

#[tokio::test]
async fn paying_completes_the_session_and_redirects_to_the_success_url() {
    // Arrange
    let app = TestApp::spawn().await;
    let (s, _, express) =
        shop_session(&app, "https://example.com/ok?session={CHECKOUT_SESSION_ID}").await;
    let id = s["id"].as_str().unwrap();
    let url = url_of(&s);
    let page = open(&url).await;
    // Choosing Express with Pay first shows the new total; paying then charges it.
    let first = pay_form(&page.body, "4242 4242 4242 4242");
    let shown = submit(&url, &as_refs(&with(&first, "shipping_rate", &express))).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("Check the new total"));
    assert!(shown.body.contains("id=\"total\">$41.98<"));
    let form = with(
        &pay_form(&shown.body, "4242 4242 4242 4242"),
        "shipping_rate",
        &express,
    );

    // Act
    let paid = submit(&url, &as_refs(&form)).await;

    // Assert
    assert_eq!(paid.status, StatusCode::SEE_OTHER);
    assert_eq!(
        paid.headers["location"],
        format!("https://example.com/ok?session={id}").as_str()
    );
    let done = session(&app, id).await;
    assert_eq!(done["status"], "complete");
    assert_eq!(done["payment_status"], "paid");
    assert_eq!(done["url"], Value::Null);
    assert_eq!(done["amount_total"], 4198);
    assert_eq!(done["shipping_cost"]["shipping_rate"], express.as_str());
    assert_eq!(done["customer_details"]["email"], "jenny@example.com");
    assert_eq!(done["customer_details"]["name"], "Jenny Rosen");
    let shipping = &done["collected_information"]["shipping_details"];
    assert_eq!(shipping["name"], "Jenny Rosen");
    assert_eq!(shipping["address"]["line1"], "510 Townsend St");
    assert_eq!(shipping["address"]["country"], "US");
    assert!(done["payment_intent"].as_str().unwrap().starts_with("pi_"));
    assert_eq!(completed_events(&app, id).await, 1);
    let after = open(&url).await;
    assert!(after.body.contains("data-state=\"complete\""));
    assert!(!after.body.contains("<form"));
}

#[tokio::test]
async fn submitting_twice_completes_once() {
    // Arrange
    let app = TestApp::spawn().await;
    let (s, ..) = shop_session(&app, SUCCESS).await;
    let id = s["id"].as_str().unwrap();
    let url = url_of(&s);
    let page = open(&url).await;
    let form = pay_form(&page.body, "4242424242424242");

    // Act: a double click (two posts at once), then the back button's resubmit
    let refs = as_refs(&form);
    let (a, b) = tokio::join!(submit(&url, &refs), submit(&url, &refs));
    let first = session(&app, id).await;
    let resubmit = submit(&url, &refs).await;

    // Assert
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::SEE_OTHER]);
    let second = if a.status == StatusCode::OK { &a } else { &b };
    assert!(second.body.contains("Already paid"));
    assert!(!second.body.contains("<form"));
    assert_eq!(resubmit.status, StatusCode::OK);
    assert!(resubmit.body.contains("Already paid"));
    let last = session(&app, id).await;
    assert_eq!(last["status"], "complete");
    assert_eq!(last["payment_intent"], first["payment_intent"]);
    assert_eq!(completed_events(&app, id).await, 1);
}

#[tokio::test]
async fn a_post_for_an_order_the_merchant_changed_shows_the_new_total_first() {
    // Arrange
    let app = TestApp::spawn().await;
    let (s, ..) = shop_session(&app, SUCCESS).await;
    let id = s["id"].as_str().unwrap();
    let url = url_of(&s);
    let page = open(&url).await;
    let form = pay_form(&page.body, "4242424242424242");
    let line = app
        .get(&format!("/v1/checkout/sessions/{id}/line_items"), &[])
        .await
        .1["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        &format!("/v1/checkout/sessions/{id}"),
        &[
            ("line_items[0][id]", &line),
            ("line_items[0][quantity]", "5"),
        ],
    )
    .await;

    // Act
    let stale = submit(&url, &as_refs(&form)).await;

    // Assert
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("This order changed"));
    assert!(stale.body.contains("Qty 5"));
    assert_eq!(session(&app, id).await["status"], "open");
}
