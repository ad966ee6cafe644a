//! Golden tests of body validation: the SDK's captured bodies pass (and are
//! echoed with only the spec's defaults added), and each broken limit gives
//! exactly one detail with its pointer, Pydantic type and message.

use super::*;
use crate::http::gr4vy::schema::CHECKOUT_SESSION_UPDATE;
use serde_json::json;

const CAPTURE: &str = include_str!("../../../tests/fixtures/gr4vy/sdk-python-capture.json");

fn captured_body(name: &str) -> Value {
    let capture: Value = serde_json::from_str(CAPTURE).expect("capture is JSON");
    let exchange = capture["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no exchange {name}"));
    serde_json::from_str(exchange["request"]["body_raw"].as_str().expect("body_raw"))
        .expect("body is JSON")
}

fn check(body: Value) -> Result<Value, Vec<Detail>> {
    validate(&body, &CHECKOUT_SESSION_UPDATE)
}

/// The single detail a body produces, as (pointer, type, message).
fn one_error(body: Value) -> (String, String, String) {
    let details = check(body).expect_err("invalid");
    assert_eq!(details.len(), 1, "{details:?}");
    let d = &details[0];
    assert_eq!(d.location, "body");
    (d.pointer.clone(), d.kind.clone(), d.message.clone())
}

fn item(extra: Value) -> Value {
    let mut item = json!({"name": "Ticket", "quantity": 1, "unit_amount": 100});
    for (k, v) in extra.as_object().expect("object") {
        item[k] = v.clone();
    }
    json!({"cart_items": [item]})
}

#[test]
fn the_captured_update_body_passes_and_gains_only_defaults() {
    // Arrange
    let body = captured_body("update_full");
    // Act
    let normalised = check(body.clone()).expect("valid");
    // Assert
    let mut expected = body;
    expected["cart_items"][0]["discount_amount"] = json!(0);
    expected["cart_items"][0]["tax_amount"] = json!(0);
    assert_eq!(normalised, expected);
}

#[test]
fn every_captured_body_passes() {
    for name in [
        "update_full",
        "update_no_fields",
        "update_explicit_nulls",
        "update_expires_in",
        "create_empty_body_model",
        "create_with_body",
    ] {
        assert!(check(captured_body(name)).is_ok(), "{name}");
    }
}

#[test]
fn defaults_fill_absent_fields_but_not_explicit_nulls() {
    let out = check(json!({
        "cart_items": [{"name": "a", "quantity": 2.0, "unit_amount": 1, "tax_amount": null}],
        "airline": {},
        "payment_service_id": "4137B1CF39AC42A8BAD61C680D5DAB6B"
    }))
    .expect("valid");
    assert_eq!(
        out,
        json!({
            "cart_items": [{"name": "a", "quantity": 2, "unit_amount": 1, "tax_amount": null, "discount_amount": 0}],
            "airline": {"ticket_delivery_method": "electronic"},
            "payment_service_id": "4137b1cf-39ac-42a8-bad6-1c680d5dab6b"
        })
    );
}

#[test]
fn every_offending_field_gets_its_own_detail() {
    let details = check(json!({
        "cart_items": [
            {"name": "", "quantity": 0, "unit_amount": -1, "product_type": "teleport", "colour": "red"},
            {"unit_amount": 1}
        ],
        "metadata": {"order_id": 7},
        "currency": "usd",
        "expires_in": 60,
        "unknown": true
    }))
    .expect_err("invalid");
    let got: Vec<Value> = details
        .iter()
        .map(|d| serde_json::to_value(d).expect("serialize"))
        .collect();
    assert_eq!(
        got,
        vec![
            json!({"location": "body", "pointer": "/cart_items/0/name", "message": "String should have at least 1 character", "type": "string_too_short"}),
            json!({"location": "body", "pointer": "/cart_items/0/quantity", "message": "Input should be greater than 0", "type": "greater_than"}),
            json!({"location": "body", "pointer": "/cart_items/0/unit_amount", "message": "Input should be greater than or equal to 0", "type": "greater_than_equal"}),
            json!({"location": "body", "pointer": "/cart_items/0/product_type", "message": "Input should be 'physical', 'discount', 'shipping_fee', 'sales_tax', 'digital', 'gift_card', 'store_credit' or 'surcharge'", "type": "enum"}),
            json!({"location": "body", "pointer": "/cart_items/0/colour", "message": "Extra inputs are not permitted", "type": "extra_forbidden"}),
            json!({"location": "body", "pointer": "/cart_items/1/name", "message": "Field required", "type": "missing"}),
            json!({"location": "body", "pointer": "/cart_items/1/quantity", "message": "Field required", "type": "missing"}),
            json!({"location": "body", "pointer": "/metadata/order_id", "message": "Input should be a valid string", "type": "string_type"}),
            json!({"location": "body", "pointer": "/currency", "message": "String should match pattern '^[A-Z]{3}$'", "type": "string_pattern_mismatch"}),
            json!({"location": "body", "pointer": "/expires_in", "message": "Input should be greater than or equal to 3600", "type": "greater_than_equal"}),
            json!({"location": "body", "pointer": "/unknown", "message": "Extra inputs are not permitted", "type": "extra_forbidden"}),
        ]
    );
}

#[test]
fn cart_item_limits() {
    let long = |n: usize| Value::from("x".repeat(n));
    let cases = [
        (
            json!({"name": long(256)}),
            "/cart_items/0/name",
            "string_too_long",
            "String should have at most 255 characters",
        ),
        (
            json!({"quantity": 100_000_000}),
            "/cart_items/0/quantity",
            "less_than_equal",
            "Input should be less than or equal to 99999999",
        ),
        (
            json!({"quantity": 1.5}),
            "/cart_items/0/quantity",
            "int_from_float",
            "Input should be a valid integer, got a number with a fractional part",
        ),
        (
            json!({"quantity": "1"}),
            "/cart_items/0/quantity",
            "int_type",
            "Input should be a valid integer",
        ),
        (
            json!({"unit_amount": 100_000_000}),
            "/cart_items/0/unit_amount",
            "less_than_equal",
            "Input should be less than or equal to 99999999",
        ),
        (
            json!({"discount_amount": -1}),
            "/cart_items/0/discount_amount",
            "greater_than_equal",
            "Input should be greater than or equal to 0",
        ),
        (
            json!({"tax_amount": 1e300}),
            "/cart_items/0/tax_amount",
            "less_than_equal",
            "Input should be less than or equal to 99999999",
        ),
        (
            json!({"sku": long(201)}),
            "/cart_items/0/sku",
            "string_too_long",
            "String should have at most 200 characters",
        ),
        (
            json!({"sku": ""}),
            "/cart_items/0/sku",
            "string_too_short",
            "String should have at least 1 character",
        ),
        (
            json!({"upc": long(51)}),
            "/cart_items/0/upc",
            "string_too_long",
            "String should have at most 50 characters",
        ),
        (
            json!({"external_identifier": long(201)}),
            "/cart_items/0/external_identifier",
            "string_too_long",
            "String should have at most 200 characters",
        ),
        (
            json!({"categories": ["ok", long(51)]}),
            "/cart_items/0/categories/1",
            "string_too_long",
            "String should have at most 50 characters",
        ),
        (
            json!({"categories": "flights"}),
            "/cart_items/0/categories",
            "list_type",
            "Input should be a valid list",
        ),
        (
            json!({"seller_country": "us"}),
            "/cart_items/0/seller_country",
            "string_pattern_mismatch",
            "String should match pattern '^[A-Z]{2}$'",
        ),
        (
            json!({"tax_exempt": "yes"}),
            "/cart_items/0/tax_exempt",
            "bool_type",
            "Input should be a valid boolean",
        ),
        (
            json!({"unit_of_measure": long(51)}),
            "/cart_items/0/unit_of_measure",
            "string_too_long",
            "String should have at most 50 characters",
        ),
        (
            json!({"commodity_code": ""}),
            "/cart_items/0/commodity_code",
            "string_too_short",
            "String should have at least 1 character",
        ),
        (
            json!({"description": long(256)}),
            "/cart_items/0/description",
            "string_too_long",
            "String should have at most 255 characters",
        ),
        (
            json!({"duty_amount": -5}),
            "/cart_items/0/duty_amount",
            "greater_than_equal",
            "Input should be greater than or equal to 0",
        ),
        (
            json!({"shipping_amount": 100_000_000}),
            "/cart_items/0/shipping_amount",
            "less_than_equal",
            "Input should be less than or equal to 99999999",
        ),
        (
            json!({"name": null}),
            "/cart_items/0/name",
            "string_type",
            "Input should be a valid string",
        ),
    ];
    for (extra, pointer, kind, message) in cases {
        assert_eq!(
            one_error(item(extra.clone())),
            (pointer.to_owned(), kind.to_owned(), message.to_owned()),
            "{extra}"
        );
    }
    assert!(check(item(
        json!({"brand": "Acme", "subcategories": ["a"], "product_url": ""})
    ))
    .is_ok());
}

#[test]
fn airline_limits() {
    let leg = json!({"flight_number": "BA117"});
    let legs: Vec<Value> = (0..21).map(|_| leg.clone()).collect();
    let cases = [
        (
            json!({"legs": legs}),
            "/airline/legs",
            "too_long",
            "List should have at most 20 items after validation, not 21",
        ),
        (
            json!({"passengers": vec![json!({}); 21]}),
            "/airline/passengers",
            "too_long",
            "List should have at most 20 items after validation, not 21",
        ),
        (
            json!({"legs": [{"arrival_airport": "JFKX"}]}),
            "/airline/legs/0/arrival_airport",
            "string_too_long",
            "String should have at most 3 characters",
        ),
        (
            json!({"legs": [{"carrier_code": "B"}]}),
            "/airline/legs/0/carrier_code",
            "string_too_short",
            "String should have at least 2 characters",
        ),
        (
            json!({"legs": [{"flight_number": "BA"}]}),
            "/airline/legs/0/flight_number",
            "string_too_short",
            "String should have at least 3 characters",
        ),
        (
            json!({"legs": [{"fare_basis_code": "ABCDEFGHI"}]}),
            "/airline/legs/0/fare_basis_code",
            "string_too_long",
            "String should have at most 8 characters",
        ),
        (
            json!({"legs": [{"route_type": "circle"}]}),
            "/airline/legs/0/route_type",
            "literal_error",
            "Input should be 'round_trip' or 'one_way'",
        ),
        (
            json!({"legs": [{"departure_at": "noon"}]}),
            "/airline/legs/0/departure_at",
            "datetime_from_date_parsing",
            "Input should be a valid datetime or date, invalid character or format",
        ),
        (
            json!({"legs": [{"arrival_country": "GBR"}]}),
            "/airline/legs/0/arrival_country",
            "string_pattern_mismatch",
            "String should match pattern '^[A-Z]{2}$'",
        ),
        (
            json!({"legs": [{"fee_amount": -1}]}),
            "/airline/legs/0/fee_amount",
            "greater_than_equal",
            "Input should be greater than or equal to 0",
        ),
        (
            json!({"legs": [{"stop_over": 1}]}),
            "/airline/legs/0/stop_over",
            "bool_type",
            "Input should be a valid boolean",
        ),
        (
            json!({"legs": ["LHR"]}),
            "/airline/legs/0",
            "model_type",
            "Input should be a valid dictionary or instance of AirlineLeg",
        ),
        (
            json!({"passengers": [{"phone_number": "4155552671"}]}),
            "/airline/passengers/0/phone_number",
            "string_pattern_mismatch",
            "String should match pattern '^\\+[1-9]\\d{1,14}$'",
        ),
        (
            json!({"passengers": [{"age_group": "child"}]}),
            "/airline/passengers/0/age_group",
            "literal_error",
            "Input should be 'adult' or 'infant'",
        ),
        (
            json!({"passengers": [{"date_of_birth": "31/01/1980"}]}),
            "/airline/passengers/0/date_of_birth",
            "date_from_datetime_parsing",
            "Input should be a valid date in the format YYYY-MM-DD",
        ),
        (
            json!({"passengers": [{"frequent_flyer_number": "1234"}]}),
            "/airline/passengers/0/frequent_flyer_number",
            "string_too_short",
            "String should have at least 5 characters",
        ),
        (
            json!({"passengers": [{"email_address": "x".repeat(321)}]}),
            "/airline/passengers/0/email_address",
            "string_too_long",
            "String should have at most 320 characters",
        ),
        (
            json!({"passengers": [{"country_code": "usa"}]}),
            "/airline/passengers/0/country_code",
            "string_pattern_mismatch",
            "String should match pattern '^[A-Z]{2}$'",
        ),
        (
            json!({"ticket_delivery_method": "post"}),
            "/airline/ticket_delivery_method",
            "literal_error",
            "Input should be 'electronic' or 'other'",
        ),
        (
            json!({"issuing_iata_designator": "BAW"}),
            "/airline/issuing_iata_designator",
            "string_too_long",
            "String should have at most 2 characters",
        ),
        (
            json!({"issuing_icao_code": "BA"}),
            "/airline/issuing_icao_code",
            "string_too_short",
            "String should have at least 3 characters",
        ),
        (
            json!({"issuing_carrier_name": ""}),
            "/airline/issuing_carrier_name",
            "string_too_short",
            "String should have at least 1 character",
        ),
        (
            json!({"issued_at": 5}),
            "/airline/issued_at",
            "datetime_type",
            "Input should be a valid datetime",
        ),
        (
            json!({"booking_code": "x".repeat(51)}),
            "/airline/booking_code",
            "string_too_long",
            "String should have at most 50 characters",
        ),
    ];
    for (airline, pointer, kind, message) in cases {
        assert_eq!(
            one_error(json!({ "airline": airline })),
            (pointer.to_owned(), kind.to_owned(), message.to_owned()),
            "{airline}"
        );
    }
    let twenty: Vec<Value> = (0..20).map(|_| json!({})).collect();
    assert!(check(json!({"airline": {"legs": twenty.clone(), "passengers": twenty}})).is_ok());
}

#[test]
fn buyer_and_top_level_limits() {
    let cases = [
        (json!({"buyer": {"display_name": ""}}), "/buyer/display_name", "string_too_short", "String should have at least 1 character"),
        (json!({"buyer": {"billing_details": {"phone_number": "+0123"}}}), "/buyer/billing_details/phone_number", "string_pattern_mismatch", "String should match pattern '^\\+[1-9]\\d{1,14}$'"),
        (json!({"buyer": {"billing_details": {"address": {"state_code": "CA"}}}}), "/buyer/billing_details/address/state_code", "string_pattern_mismatch", "String should match pattern '^[A-Z]{2}-[A-Z0-9]{1,3}$'"),
        (json!({"buyer": {"billing_details": {"tax_id": {"value": "1"}}}}), "/buyer/billing_details/tax_id/kind", "missing", "Field required"),
        (json!({"buyer": {"billing_details": {"tax_id": {"value": "1", "kind": "xx.vat"}}}}), "/buyer/billing_details/tax_id/kind", "enum", "Input should be 'ae.trn', 'au.abn', 'ar.dni', 'ar.cuil', 'ar.cuit', 'br.cnpj', 'br.cpf', 'ca.bn', 'ca.gst_hst', 'ca.pst_bc', 'ca.pst_mb', 'ca.pst_sk', 'ca.qst', 'ch.vat', 'cl.tin', 'co.itin', 'co.nit', 'co.cc', 'co.ce', 'co.de', 'co.rc', 'co.ti', 'co.passport', 'es.cif', 'eu.vat', 'gb.vat', 'hk.br', 'id.nik', 'id.npwp', 'in.gst', 'in.pan', 'jp.cn', 'jp.rn', 'kr.brn', 'li.uid', 'mx.curp', 'mx.rfc', 'my.frp', 'my.itn', 'my.nric', 'my.sst', 'no.vat', 'nz.gst', 'pe.ruc', 'ph.tin', 'ru.inn', 'ru.kpp', 'sa.vat', 'sg.gst', 'sg.uen', 'th.id', 'th.vat', 'tw.vat', 'us.ein', 'za.vat', 'bo.ci', 'uy.rut' or 'uy.ci'"),
        (json!({"buyer": {"shipping_details": {"address": {"postal_code": "x".repeat(51)}}}}), "/buyer/shipping_details/address/postal_code", "string_too_long", "String should have at most 50 characters"),
        (json!({"buyer": {"shipping_details": {"tax_id": null}}}), "/buyer/shipping_details/tax_id", "extra_forbidden", "Extra inputs are not permitted"),
        (json!({"buyer": "John"}), "/buyer", "model_type", "Input should be a valid dictionary or instance of GuestBuyer"),
        (json!({"amount": 100_000_000}), "/amount", "less_than_equal", "Input should be less than or equal to 99999999"),
        (json!({"amount": -1}), "/amount", "greater_than_equal", "Input should be greater than or equal to 0"),
        (json!({"payment_service_id": "not-a-uuid"}), "/payment_service_id", "uuid_parsing", "Input should be a valid UUID"),
        (json!({"expires_in": 86400.5}), "/expires_in", "less_than_equal", "Input should be less than or equal to 86400"),
        (json!({"expires_in": null}), "/expires_in", "float_type", "Input should be a valid number"),
        (json!({"expires_in": "3600"}), "/expires_in", "float_type", "Input should be a valid number"),
        (json!({"country": "usa"}), "/country", "string_pattern_mismatch", "String should match pattern '^[A-Z]{2}$'"),
        (json!({"payment_source": "cash"}), "/payment_source", "enum", "Input should be 'ecommerce', 'moto', 'recurring', 'installment' or 'card_on_file'"),
        (json!({"intent": "sale"}), "/intent", "enum", "Input should be 'authorize' or 'capture'"),
        (json!({"metadata": ["a"]}), "/metadata", "dict_type", "Input should be a valid dictionary"),
        (json!({"metadata": {"a/b~c": null}}), "/metadata/a~1b~0c", "string_type", "Input should be a valid string"),
        (json!({"cart_items": {}}), "/cart_items", "list_type", "Input should be a valid list"),
    ];
    for (body, pointer, kind, message) in cases {
        assert_eq!(
            one_error(body.clone()),
            (pointer.to_owned(), kind.to_owned(), message.to_owned()),
            "{body}"
        );
    }
    assert_eq!(
        one_error(json!("session")),
        (
            String::new(),
            "model_type".to_owned(),
            "Input should be a valid dictionary or instance of CheckoutSessionUpdate".to_owned()
        )
    );
    for ok in [3600.0, 86400.0, 7200.5] {
        assert!(check(json!({ "expires_in": ok })).is_ok(), "{ok}");
    }
}
