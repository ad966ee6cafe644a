"""Raw responses validated against Stripe's own schemas.

The schemas come from `schemas/stripe_subset.json` (see
`tools/extract_schemas.py`), converted from OpenAPI 3.0 to JSON Schema in
`schema_support.py`. Beyond type-checking what is there, DESIGN.md promises
that every field of the schema is present (nullable or inapplicable ones as
`null`), except the includable ones, which appear only when expanded.
"""

from __future__ import annotations

import pytest
import stripe

from schema_support import assert_valid, property_names, required_fields
from support import RETURN_URL, SUCCESS_URL, make_price, unique

# Fields that Stripe only includes when asked for with expand[].
INCLUDABLE = {
    "checkout.session": {"line_items"},
    "item": {"discounts", "taxes"},
    "price": {"currency_options", "tiers"},
    "product": set(),
    "shipping_rate": set(),
    "tax_rate": set(),
}


def assert_complete(name: str, obj: dict) -> None:
    """Every required field, and every non-includable field, is present."""
    missing_required = [f for f in required_fields(name) if f not in obj]
    assert not missing_required, f"{name} lacks required fields {missing_required}"
    missing = [f for f in property_names(name) if f not in INCLUDABLE[name] and f not in obj]
    assert not missing, f"{name} lacks fields {missing} (DESIGN.md: every field of the schema, null when empty)"
    # Fields beyond the schema are allowed: newer API versions add some
    # (e.g. endive's `allowed_payment_method_types`).


def get_json(server, path, params=None):
    response = server.http("GET", path, params)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:2000]}"
    return response.json()


@pytest.fixture
def rich_session(server):
    """A payment session with two lines, exclusive and inclusive taxes and two shipping options."""
    exclusive = stripe.TaxRate.create(display_name="Sales tax", percentage=8.25, inclusive=False, country="US", state="CA")
    inclusive = stripe.TaxRate.create(display_name="VAT", percentage=20, inclusive=True, country="GB")
    shirt = make_price(1099, name="T-shirt", tax_behavior="exclusive")
    ground = stripe.ShippingRate.create(
        display_name="Ground",
        type="fixed_amount",
        fixed_amount={"amount": 500, "currency": "usd"},
        delivery_estimate={"minimum": {"unit": "business_day", "value": 3}, "maximum": {"unit": "business_day", "value": 5}},
    )
    express = stripe.ShippingRate.create(
        display_name="Express", type="fixed_amount", fixed_amount={"amount": 1500, "currency": "usd"}
    )
    return stripe.checkout.Session.create(
        mode="payment",
        success_url=SUCCESS_URL,
        line_items=[
            {"price": shirt.id, "quantity": 2, "tax_rates": [exclusive.id]},
            {
                "price_data": {"currency": "usd", "unit_amount": 600, "product_data": {"name": "Mug"}},
                "quantity": 1,
                "tax_rates": [inclusive.id],
            },
        ],
        shipping_options=[{"shipping_rate": ground.id}, {"shipping_rate": express.id}],
        metadata={"order": unique()},
        customer_email="schema@example.com",
    )


# ---------------------------------------------------------------------------
# checkout.session and item
# ---------------------------------------------------------------------------


def test_a_retrieved_session_matches_the_checkout_session_schema(server, rich_session):
    # Act
    body = get_json(server, f"/v1/checkout/sessions/{rich_session.id}")

    # Assert
    assert_valid("checkout.session", body)
    assert_complete("checkout.session", body)
    assert "line_items" not in body


def test_a_session_expanded_with_line_items_matches_the_schema(server, rich_session):
    # Act
    body = get_json(server, f"/v1/checkout/sessions/{rich_session.id}", {"expand": ["line_items"]})

    # Assert
    assert_valid("checkout.session", body)
    assert_complete("checkout.session", body)
    line_items = body["line_items"]
    assert line_items["object"] == "list"
    assert line_items["url"] == f"/v1/checkout/sessions/{rich_session.id}/line_items"
    assert len(line_items["data"]) == 2
    for item in line_items["data"]:
        assert_valid("item", item)
        assert_complete("item", item)
        assert "taxes" not in item


def test_the_literal_expand_brackets_form_is_accepted(server, rich_session):
    # Arrange: curl users write expand[]=line_items, the SDKs expand[0]=line_items
    response = server.http("GET", f"/v1/checkout/sessions/{rich_session.id}?expand[]=line_items")

    # Assert
    assert response.status_code == 200, response.text
    assert response.json()["line_items"]["object"] == "list"


def test_line_items_listed_directly_match_the_item_schema(server, rich_session):
    # Act
    body = get_json(server, f"/v1/checkout/sessions/{rich_session.id}/line_items")

    # Assert
    assert_valid("checkout.session.properties.line_items", body)
    assert body["url"] == f"/v1/checkout/sessions/{rich_session.id}/line_items"
    for item in body["data"]:
        assert_valid("item", item)
        assert_complete("item", item)
        assert_valid("price", item["price"])
        assert_complete("price", item["price"])


def test_line_items_with_expanded_taxes_match_the_item_schema(server, rich_session):
    # Act
    body = get_json(server, f"/v1/checkout/sessions/{rich_session.id}/line_items", {"expand": ["data.taxes"]})

    # Assert
    for item in body["data"]:
        assert_valid("item", item)
        assert isinstance(item["taxes"], list) and item["taxes"]
        for tax in item["taxes"]:
            assert_valid("tax_rate", tax["rate"])


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"ui_mode": "embedded_page", "return_url": RETURN_URL}, id="embedded_page"),
        pytest.param({"ui_mode": "elements", "return_url": RETURN_URL}, id="elements"),
        pytest.param({"success_url": SUCCESS_URL}, id="hosted_page"),
    ],
)
def test_sessions_of_every_ui_mode_match_the_schema(server, params):
    # Arrange
    session = stripe.checkout.Session.create(
        mode="payment", line_items=[{"price": make_price().id, "quantity": 1}], **params
    )

    # Act
    body = get_json(server, f"/v1/checkout/sessions/{session.id}")

    # Assert
    assert_valid("checkout.session", body)
    assert_complete("checkout.session", body)


def test_setup_and_subscription_sessions_match_the_schema(server):
    # Arrange
    setup = stripe.checkout.Session.create(mode="setup", currency="usd", success_url=SUCCESS_URL)
    monthly = make_price(900, recurring={"interval": "month"})
    subscription = stripe.checkout.Session.create(
        mode="subscription", success_url=SUCCESS_URL, line_items=[{"price": monthly.id, "quantity": 1}]
    )

    # Act
    bodies = [get_json(server, f"/v1/checkout/sessions/{s.id}") for s in (setup, subscription)]

    # Assert
    for body in bodies:
        assert_valid("checkout.session", body)
        assert_complete("checkout.session", body)


def test_completed_and_expired_sessions_match_the_schema(server, rich_session):
    # Arrange
    other = stripe.checkout.Session.create(
        mode="payment", success_url=SUCCESS_URL, line_items=[{"price": make_price().id, "quantity": 1}]
    )
    server.complete_session(rich_session.id, email="done@example.com", name="Jenny Rosen")
    stripe.checkout.Session.expire(other.id)

    # Act
    bodies = [get_json(server, f"/v1/checkout/sessions/{s.id}") for s in (rich_session, other)]

    # Assert
    for body in bodies:
        assert_valid("checkout.session", body)
        assert_complete("checkout.session", body)
    assert bodies[0]["status"] == "complete"
    assert bodies[1]["status"] == "expired"


def test_a_session_list_page_holds_schema_valid_sessions(fresh_server):
    # Arrange: a server of its own, so the page holds only this test's sessions
    client = fresh_server.client()
    tax = client.v1.tax_rates.create({"display_name": "VAT", "percentage": 20, "inclusive": True})
    rate = client.v1.shipping_rates.create(
        {"display_name": "Ground", "type": "fixed_amount", "fixed_amount": {"amount": 500, "currency": "usd"}}
    )
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 1200, "product_data": {"name": "Lamp"}})
    for _ in range(2):
        client.v1.checkout.sessions.create(
            {
                "mode": "payment",
                "success_url": SUCCESS_URL,
                "line_items": [{"price": price.id, "quantity": 1, "tax_rates": [tax.id]}],
                "shipping_options": [{"shipping_rate": rate.id}],
            }
        )

    # Act
    body = get_json(fresh_server, "/v1/checkout/sessions", {"limit": 5})

    # Assert
    assert body["object"] == "list"
    assert body["url"] == "/v1/checkout/sessions"
    assert body["has_more"] is False
    assert len(body["data"]) == 2
    for session in body["data"]:
        assert_valid("checkout.session", session)
        assert_complete("checkout.session", session)


# ---------------------------------------------------------------------------
# catalog objects
# ---------------------------------------------------------------------------


def test_a_product_matches_the_product_schema(server):
    # Arrange
    product = stripe.Product.create(
        name=unique("Schema product "), description="d", metadata={"a": "1"}, unit_label="pcs", url="https://example.com/p"
    )

    # Act
    body = get_json(server, f"/v1/products/{product.id}")

    # Assert
    assert_valid("product", body)
    assert_complete("product", body)


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"unit_amount": 1099}, id="one_time"),
        pytest.param({"unit_amount_decimal": "10.5"}, id="decimal"),
        pytest.param({"unit_amount": 2000, "recurring": {"interval": "month"}}, id="recurring"),
        pytest.param({"unit_amount": 1200, "tax_behavior": "inclusive"}, id="tax_behavior"),
    ],
)
def test_a_price_matches_the_price_schema(server, extra):
    # Arrange
    response = server.http("POST", "/v1/prices", {"currency": "usd", "product_data": {"name": unique("P ")}, **extra})
    assert response.status_code == 200, response.text

    # Act
    body = get_json(server, f"/v1/prices/{response.json()['id']}")

    # Assert
    assert_valid("price", body)
    assert_complete("price", body)
    assert isinstance(body["unit_amount_decimal"], str)


def test_a_shipping_rate_matches_the_shipping_rate_schema(server):
    # Arrange
    rate = stripe.ShippingRate.create(
        display_name="Ground",
        type="fixed_amount",
        fixed_amount={"amount": 500, "currency": "usd", "currency_options": {"eur": {"amount": 450}}},
        delivery_estimate={"minimum": {"unit": "day", "value": 1}, "maximum": {"unit": "week", "value": 1}},
        tax_behavior="exclusive",
    )

    # Act
    body = get_json(server, f"/v1/shipping_rates/{rate.id}")

    # Assert
    assert_valid("shipping_rate", body)
    assert_complete("shipping_rate", body)


def test_a_tax_rate_matches_the_tax_rate_schema(server):
    # Arrange
    rate = stripe.TaxRate.create(
        display_name="Sales tax", percentage=7.2525, inclusive=False, country="US", state="TX", jurisdiction="TX"
    )

    # Act
    body = get_json(server, f"/v1/tax_rates/{rate.id}")

    # Assert
    assert_valid("tax_rate", body)
    assert_complete("tax_rate", body)


@pytest.mark.parametrize(
    "path, schema",
    [
        ("/v1/products", "product"),
        ("/v1/prices", "price"),
        ("/v1/shipping_rates", "shipping_rate"),
        ("/v1/tax_rates", "tax_rate"),
    ],
)
def test_catalog_list_pages_hold_schema_valid_objects(server, path, schema):
    # Arrange: make sure at least one object of each kind exists
    stripe.TaxRate.create(display_name="List VAT", percentage=5, inclusive=True)
    stripe.ShippingRate.create(display_name="List ship", type="fixed_amount", fixed_amount={"amount": 1, "currency": "usd"})
    make_price(100)

    # Act
    body = get_json(server, path, {"limit": 3})

    # Assert
    assert body["object"] == "list"
    assert body["url"] == path
    assert body["data"]
    for obj in body["data"]:
        assert_valid(schema, obj)
        assert_complete(schema, obj)
