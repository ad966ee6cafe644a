"""Checkout Sessions through stripe-python: create, totals, retrieve/expand,
line items, list filters, expire, and the test helpers."""

from __future__ import annotations

import pytest
import requests
import stripe

from support import (
    CANCEL_URL,
    RETURN_URL,
    SUCCESS_URL,
    ids,
    make_price,
    make_session,
    unique,
    wait_for,
)


@pytest.fixture(autouse=True)
def no_retries():
    saved = stripe.max_network_retries
    stripe.max_network_retries = 0
    yield
    stripe.max_network_retries = saved


def _tax_rate(percentage, inclusive):
    return stripe.TaxRate.create(display_name=unique("Tax "), percentage=percentage, inclusive=inclusive)


def _shipping_rate(amount, currency="usd", name=None):
    return stripe.ShippingRate.create(
        display_name=name or unique("Ship "),
        type="fixed_amount",
        fixed_amount={"amount": amount, "currency": currency},
    )


# ---------------------------------------------------------------------------
# create
# ---------------------------------------------------------------------------


def test_stripes_documented_example_two_items_at_1099_total_2198(server):
    # Arrange
    price = make_price(1099, "usd", name="T-shirt")

    # Act
    session = stripe.checkout.Session.create(
        mode="payment",
        success_url=SUCCESS_URL,
        cancel_url=CANCEL_URL,
        line_items=[{"price": price.id, "quantity": 2}],
    )

    # Assert
    assert session.object == "checkout.session"
    assert session.id.startswith("cs_test_")
    assert session.livemode is False
    assert session.mode == "payment"
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.currency == "usd"
    assert session.amount_subtotal == 2198
    assert session.amount_total == 2198
    assert session.total_details.amount_discount == 0
    assert session.total_details.amount_tax == 0
    assert session.success_url == SUCCESS_URL
    assert session.cancel_url == CANCEL_URL
    assert session.ui_mode == "hosted_page"
    assert session.url.startswith(server.base + "/c/pay/")
    assert session.id in session.url
    assert session.client_secret is None
    assert session.expires_at - session.created == 24 * 3600
    assert "line_items" not in session


def test_the_hosted_url_serves_the_payment_page():
    # Arrange
    session = make_session()

    # Act
    page = requests.get(session.url, timeout=30)

    # Assert
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")


def test_a_session_sells_an_inline_price_data_with_product_data():
    # Act
    session = make_session(
        line_items=[
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 2500,
                    "product_data": {"name": "Concert ticket", "description": "Row A"},
                },
                "quantity": 3,
            }
        ]
    )

    # Assert
    assert session.currency == "eur"
    assert session.amount_subtotal == 7500
    assert session.amount_total == 7500
    items = stripe.checkout.Session.list_line_items(session.id)
    assert len(items.data) == 1
    item = items.data[0]
    assert item.object == "item"
    assert item.description == "Concert ticket"
    assert item.quantity == 3
    assert item.amount_subtotal == 7500
    assert item.price.unit_amount == 2500
    assert item.price.currency == "eur"
    assert isinstance(item.price.product, str) and item.price.product.startswith("prod_")


def test_quantities_multiply_and_lines_add_up():
    # Arrange
    a = make_price(500)
    b = make_price(1250)

    # Act
    session = make_session(line_items=[{"price": a.id, "quantity": 3}, {"price": b.id, "quantity": 2}])

    # Assert
    assert session.amount_subtotal == 1500 + 2500
    assert session.amount_total == 4000


def test_an_exclusive_tax_rate_is_added_on_top_of_the_subtotal():
    # Arrange
    price = make_price(1000)
    tax = _tax_rate(10, inclusive=False)

    # Act
    session = make_session(line_items=[{"price": price.id, "quantity": 2, "tax_rates": [tax.id]}])

    # Assert
    assert session.amount_subtotal == 2000
    assert session.total_details.amount_tax == 200
    assert session.amount_total == 2200
    item = stripe.checkout.Session.list_line_items(session.id).data[0]
    assert item.amount_subtotal == 2000
    assert item.amount_tax == 200
    assert item.amount_total == 2200


def test_an_inclusive_tax_rate_is_carved_out_of_the_total():
    # Arrange
    price = make_price(1200)
    tax = _tax_rate(20, inclusive=True)

    # Act
    session = make_session(line_items=[{"price": price.id, "quantity": 1, "tax_rates": [tax.id]}])

    # Assert
    assert session.amount_subtotal == 1200
    assert session.total_details.amount_tax == 200
    assert session.amount_total == 1200
    item = stripe.checkout.Session.list_line_items(session.id).data[0]
    assert item.amount_tax == 200
    assert item.amount_total == 1200


def test_tax_is_computed_on_the_line_subtotal_not_per_unit():
    # Arrange: 3 x 333 = 999; 10 % of 999 = 99.9 -> 100 (per unit it would be 3 x 33 = 99)
    price = make_price(333)
    tax = _tax_rate(10, inclusive=False)

    # Act
    session = make_session(line_items=[{"price": price.id, "quantity": 3, "tax_rates": [tax.id]}])

    # Assert
    assert session.total_details.amount_tax == 100
    assert session.amount_total == 1099


def test_each_tax_rate_of_a_line_is_rounded_on_its_own():
    # Arrange: 1.25 % of 1001 = 12.5125 -> 13, twice = 26 (one 2.5 % rate would give 25)
    price = make_price(1001)
    first = _tax_rate(1.25, inclusive=False)
    second = _tax_rate(1.25, inclusive=False)

    # Act
    session = make_session(line_items=[{"price": price.id, "quantity": 1, "tax_rates": [first.id, second.id]}])

    # Assert
    assert session.total_details.amount_tax == 26
    assert session.amount_total == 1027


def test_an_inclusive_tax_is_rounded_to_the_minor_unit():
    # Arrange: 1000 - 1000 / 1.07 = 65.42 -> 65
    price = make_price(1000)
    tax = _tax_rate(7, inclusive=True)

    # Act
    session = make_session(line_items=[{"price": price.id, "quantity": 1, "tax_rates": [tax.id]}])

    # Assert
    assert session.total_details.amount_tax == 65
    assert session.amount_total == 1000


def test_totals_combine_lines_taxes_and_shipping():
    # Arrange
    exclusive = _tax_rate(8.25, inclusive=False)
    inclusive = _tax_rate(20, inclusive=True)
    shirt = make_price(1099, name="T-shirt")
    ground = _shipping_rate(500)

    # Act
    session = make_session(
        line_items=[
            {"price": shirt.id, "quantity": 2, "tax_rates": [exclusive.id]},
            {
                "price_data": {"currency": "usd", "unit_amount": 600, "product_data": {"name": "Mug"}},
                "quantity": 1,
                "tax_rates": [inclusive.id],
            },
        ],
        shipping_options=[{"shipping_rate": ground.id}],
    )

    # Assert: 2198 * 8.25 % = 181.335 -> 181 (added); 600 - 600 / 1.2 = 100 (included)
    assert session.amount_subtotal == 2198 + 600
    assert session.total_details.amount_tax == 181 + 100
    assert session.total_details.amount_shipping == 500
    assert session.amount_total == 2798 + 500 + 181
    items = stripe.checkout.Session.list_line_items(session.id).data
    assert [(i.amount_subtotal, i.amount_tax, i.amount_total) for i in items] == [(2198, 181, 2379), (600, 100, 600)]


def test_a_zero_decimal_currency_is_summed_in_whole_units():
    # Arrange
    price = make_price(1500, "jpy")
    tax = _tax_rate(10, inclusive=False)

    # Act
    session = make_session(line_items=[{"price": price.id, "quantity": 2, "tax_rates": [tax.id]}])

    # Assert
    assert session.currency == "jpy"
    assert session.amount_subtotal == 3000
    assert session.total_details.amount_tax == 300
    assert session.amount_total == 3300


def test_line_item_taxes_are_listed_when_expanded():
    # Arrange
    price = make_price(1000)
    tax = _tax_rate(10, inclusive=False)
    session = make_session(line_items=[{"price": price.id, "quantity": 1, "tax_rates": [tax.id]}])

    # Act
    items = stripe.checkout.Session.list_line_items(session.id, expand=["data.taxes"])

    # Assert
    taxes = items.data[0].taxes
    assert len(taxes) == 1
    assert taxes[0].amount == 100
    assert taxes[0].rate.id == tax.id
    assert taxes[0].taxable_amount == 1000


def test_the_first_shipping_option_is_selected_and_added_to_the_total():
    # Arrange
    price = make_price(2000)
    ground = _shipping_rate(500)
    express = _shipping_rate(1500)

    # Act
    session = make_session(
        line_items=[{"price": price.id, "quantity": 1}],
        shipping_options=[{"shipping_rate": ground.id}, {"shipping_rate": express.id}],
    )

    # Assert
    assert session.shipping_cost.shipping_rate == ground.id
    assert session.shipping_cost.amount_subtotal == 500
    assert session.shipping_cost.amount_tax == 0
    assert session.shipping_cost.amount_total == 500
    assert session.total_details.amount_shipping == 500
    assert session.amount_subtotal == 2000
    assert session.amount_total == 2500
    assert [o.shipping_rate for o in session.shipping_options] == [ground.id, express.id]
    assert [o.shipping_amount for o in session.shipping_options] == [500, 1500]


def test_inline_shipping_rate_data_creates_a_shipping_rate():
    # Act
    session = make_session(
        shipping_options=[
            {
                "shipping_rate_data": {
                    "display_name": "Next day",
                    "type": "fixed_amount",
                    "fixed_amount": {"amount": 999, "currency": "usd"},
                    "delivery_estimate": {"maximum": {"unit": "day", "value": 1}},
                }
            }
        ]
    )

    # Assert
    rate_id = session.shipping_cost.shipping_rate
    assert rate_id.startswith("shr_")
    rate = stripe.ShippingRate.retrieve(rate_id)
    assert rate.display_name == "Next day"
    assert rate.fixed_amount.amount == 999
    assert session.total_details.amount_shipping == 999


def test_a_session_without_shipping_options_has_no_shipping_cost():
    # Act
    session = make_session()

    # Assert
    assert session.shipping_cost is None
    assert session.shipping_options == []
    assert session.total_details.amount_shipping == 0


def test_a_shipping_rate_uses_its_currency_option_for_a_session_in_that_currency():
    # Arrange
    price = make_price(3000, "eur")
    rate = stripe.ShippingRate.create(
        display_name="EU shipping",
        type="fixed_amount",
        fixed_amount={"amount": 500, "currency": "usd", "currency_options": {"eur": {"amount": 450}}},
    )

    # Act
    session = make_session(line_items=[{"price": price.id, "quantity": 1}], shipping_options=[{"shipping_rate": rate.id}])

    # Assert
    assert session.shipping_cost.amount_total == 450
    assert session.amount_total == 3450


def test_a_setup_mode_session_takes_a_currency_and_no_line_items():
    # Act
    session = stripe.checkout.Session.create(mode="setup", currency="usd", success_url=SUCCESS_URL)

    # Assert
    assert session.mode == "setup"
    assert session.currency == "usd"
    assert session.status == "open"
    assert session.payment_status == "no_payment_required"
    assert stripe.checkout.Session.list_line_items(session.id).data == []


def test_a_subscription_mode_session_sells_a_recurring_price():
    # Arrange
    price = make_price(1500, recurring={"interval": "month"})

    # Act
    session = stripe.checkout.Session.create(
        mode="subscription", success_url=SUCCESS_URL, line_items=[{"price": price.id, "quantity": 1}]
    )

    # Assert
    assert session.mode == "subscription"
    assert session.amount_subtotal == 1500
    assert session.amount_total == 1500
    assert session.payment_status == "unpaid"


def test_an_embedded_page_session_has_a_client_secret_and_no_url():
    # Act
    session = make_session(ui_mode="embedded_page", return_url=RETURN_URL)

    # Assert
    assert session.ui_mode == "embedded_page"
    assert isinstance(session.client_secret, str) and session.client_secret
    assert session.return_url == RETURN_URL
    assert session.url is None
    assert session.success_url is None


def test_an_elements_session_has_a_client_secret_and_no_url():
    # Act
    session = make_session(ui_mode="elements", return_url=RETURN_URL)

    # Assert
    assert session.ui_mode == "elements"
    assert isinstance(session.client_secret, str) and session.client_secret
    assert session.url is None


@pytest.mark.parametrize(
    "alias, canonical, extra",
    [
        ("hosted", "hosted_page", {"success_url": SUCCESS_URL}),
        ("embedded", "embedded_page", {"return_url": RETURN_URL}),
        ("custom", "elements", {"return_url": RETURN_URL}),
    ],
)
def test_pre_dahlia_ui_mode_names_are_accepted_as_aliases(alias, canonical, extra):
    # Act
    session = stripe.checkout.Session.create(
        mode="payment",
        ui_mode=alias,
        line_items=[{"price": make_price().id, "quantity": 1}],
        **extra,
    )

    # Assert
    assert session.ui_mode == canonical


def test_metadata_and_client_reference_id_are_stored_on_the_session():
    # Act
    session = make_session(metadata={"order": "42"}, client_reference_id="ref-42", customer_email="a@example.com")

    # Assert
    fetched = stripe.checkout.Session.retrieve(session.id)
    assert fetched.metadata.to_dict() == {"order": "42"}
    assert fetched.client_reference_id == "ref-42"
    assert fetched.customer_email == "a@example.com"


def test_a_sessions_metadata_can_be_updated():
    # Arrange
    session = make_session(metadata={"a": "1", "b": "2"})

    # Act
    updated = stripe.checkout.Session.modify(session.id, metadata={"a": "", "c": "3"})

    # Assert
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}


def test_updating_line_items_keeps_lines_by_id_and_recomputes_totals():
    # Arrange
    a = make_price(1000, name="A")
    b = make_price(300, name="B")
    session = make_session(line_items=[{"price": a.id, "quantity": 1}])
    line_a = stripe.checkout.Session.list_line_items(session.id).data[0]

    # Act
    updated = stripe.checkout.Session.modify(
        session.id,
        line_items=[{"id": line_a.id, "quantity": 2}, {"price": b.id, "quantity": 3}],
    )

    # Assert
    assert updated.amount_subtotal == 2000 + 900
    assert updated.amount_total == 2900
    items = stripe.checkout.Session.list_line_items(session.id).data
    assert [(i.id == line_a.id, i.description, i.quantity) for i in items] == [(True, "A", 2), (False, "B", 3)]


def test_updating_shipping_options_selects_the_first_new_option():
    # Arrange
    price = make_price(1000)
    ground = _shipping_rate(500)
    express = _shipping_rate(1500)
    session = make_session(line_items=[{"price": price.id, "quantity": 1}], shipping_options=[{"shipping_rate": ground.id}])

    # Act
    updated = stripe.checkout.Session.modify(session.id, shipping_options=[{"shipping_rate": express.id}])

    # Assert
    assert updated.shipping_cost.shipping_rate == express.id
    assert updated.total_details.amount_shipping == 1500
    assert updated.amount_total == 2500


def test_an_expired_session_cannot_be_updated():
    # Arrange
    session = make_session()
    stripe.checkout.Session.expire(session.id)

    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.checkout.Session.modify(session.id, metadata={"a": "1"})

    # Assert
    assert caught.value.http_status == 400


def test_a_session_created_through_stripe_client_reports_the_same_totals(client):
    # Arrange
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 1099, "product_data": {"name": "T-shirt"}})

    # Act
    session = client.v1.checkout.sessions.create(
        {"mode": "payment", "success_url": SUCCESS_URL, "line_items": [{"price": price.id, "quantity": 2}]}
    )

    # Assert
    assert session.amount_total == 2198
    assert client.v1.checkout.sessions.retrieve(session.id).amount_total == 2198


# ---------------------------------------------------------------------------
# create: rejected
# ---------------------------------------------------------------------------


def _server_now():
    """The account clock's "now", read from a fresh object's `created`."""
    return stripe.Product.create(name=unique("clock probe ")).created


def test_expires_at_earlier_than_30_minutes_is_rejected():
    # Arrange
    now = _server_now()

    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        make_session(expires_at=now + 10 * 60)

    # Assert
    assert caught.value.param == "expires_at"
    assert "at least 30 minutes" in caught.value.user_message


def test_expires_at_later_than_24_hours_is_rejected():
    # Arrange
    now = _server_now()

    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        make_session(expires_at=now + 25 * 3600)

    # Assert
    assert caught.value.param == "expires_at"
    assert "less than 24 hours" in caught.value.user_message


def test_an_expires_at_within_the_window_is_kept():
    # Arrange
    expires_at = _server_now() + 2 * 3600

    # Act
    session = make_session(expires_at=expires_at)

    # Assert
    assert session.expires_at == expires_at


def test_line_items_in_different_currencies_are_rejected():
    # Arrange
    usd = make_price(1000, "usd")
    eur = make_price(1000, "eur")

    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        make_session(line_items=[{"price": usd.id, "quantity": 1}, {"price": eur.id, "quantity": 1}])

    # Assert
    assert caught.value.http_status == 400
    assert caught.value.param.startswith("line_items")


def test_a_recurring_price_in_payment_mode_is_rejected():
    # Arrange
    monthly = make_price(1000, recurring={"interval": "month"})

    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        make_session(line_items=[{"price": monthly.id, "quantity": 1}])

    # Assert
    assert caught.value.http_status == 400
    assert caught.value.param.startswith("line_items")
    assert "recurring" in caught.value.user_message


def test_payment_mode_without_line_items_is_rejected():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.checkout.Session.create(mode="payment", success_url=SUCCESS_URL)

    # Assert
    assert caught.value.http_status == 400
    assert caught.value.param == "line_items"


def test_an_embedded_page_session_without_return_url_is_rejected():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.checkout.Session.create(
            mode="payment", ui_mode="embedded_page", line_items=[{"price": make_price().id, "quantity": 1}]
        )

    # Assert
    assert caught.value.param == "return_url"


def test_a_failed_create_leaves_nothing_behind(fresh_server):
    # Arrange
    client = fresh_server.client()
    usd = client.v1.prices.create({"currency": "usd", "unit_amount": 100, "product_data": {"name": "u"}})
    eur = client.v1.prices.create({"currency": "eur", "unit_amount": 100, "product_data": {"name": "e"}})

    # Act
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.create(
            {
                "mode": "payment",
                "success_url": SUCCESS_URL,
                "line_items": [{"price": usd.id, "quantity": 1}, {"price": eur.id, "quantity": 1}],
            }
        )

    # Assert
    assert client.v1.checkout.sessions.list().data == []


# ---------------------------------------------------------------------------
# retrieve, expand, line items
# ---------------------------------------------------------------------------


def test_retrieving_a_session_returns_what_create_returned():
    # Arrange
    session = make_session()

    # Act
    fetched = stripe.checkout.Session.retrieve(session.id)

    # Assert
    assert fetched.to_dict() == session.to_dict()


def test_line_items_are_included_only_when_expanded():
    # Arrange
    a = make_price(100, name="A")
    b = make_price(200, name="B")
    session = make_session(line_items=[{"price": a.id, "quantity": 1}, {"price": b.id, "quantity": 2}])

    # Act
    plain = stripe.checkout.Session.retrieve(session.id)
    expanded = stripe.checkout.Session.retrieve(session.id, expand=["line_items"])

    # Assert
    assert "line_items" not in plain
    assert expanded.line_items.object == "list"
    assert expanded.line_items.url == f"/v1/checkout/sessions/{session.id}/line_items"
    assert [i.description for i in expanded.line_items.data] == ["A", "B"]
    assert [i.price.id for i in expanded.line_items.data] == [a.id, b.id]
    assert all(i.id.startswith("li_") for i in expanded.line_items.data)


def test_line_items_can_be_expanded_on_create():
    # Act
    session = make_session(expand=["line_items"])

    # Assert
    assert session.line_items.object == "list"
    assert len(session.line_items.data) == 1


def test_expand_follows_dot_paths_into_line_item_prices_and_products():
    # Arrange
    price = make_price(700, name="Poster")
    session = make_session(line_items=[{"price": price.id, "quantity": 1}])

    # Act
    fetched = stripe.checkout.Session.retrieve(session.id, expand=["line_items.data.price.product"])

    # Assert
    product = fetched.line_items.data[0].price.product
    assert isinstance(product, stripe.Product)
    assert product.id == price.product
    assert product.name == "Poster"


def test_shipping_cost_rate_can_be_expanded():
    # Arrange
    rate = _shipping_rate(800, name="Courier")
    session = make_session(shipping_options=[{"shipping_rate": rate.id}])

    # Act
    fetched = stripe.checkout.Session.retrieve(session.id, expand=["shipping_cost.shipping_rate"])

    # Assert
    assert isinstance(fetched.shipping_cost.shipping_rate, stripe.ShippingRate)
    assert fetched.shipping_cost.shipping_rate.display_name == "Courier"


def test_listing_line_items_auto_paginates_in_order():
    # Arrange
    prices = [make_price(100 * (i + 1), name=f"Item {i}") for i in range(5)]
    session = make_session(line_items=[{"price": p.id, "quantity": 1} for p in prices])

    # Act
    page = stripe.checkout.Session.list_line_items(session.id, limit=2)
    items = list(page.auto_paging_iter())

    # Assert
    assert page.object == "list"
    assert page.url == f"/v1/checkout/sessions/{session.id}/line_items"
    assert page.has_more is True
    assert len(page.data) == 2
    assert [i.description for i in items] == [f"Item {i}" for i in range(5)]
    assert len({i.id for i in items}) == 5


def test_line_items_of_a_session_list_through_stripe_client(client):
    # Arrange
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 300, "product_data": {"name": "Pen"}})
    session = client.v1.checkout.sessions.create(
        {"mode": "payment", "success_url": SUCCESS_URL, "line_items": [{"price": price.id, "quantity": 4}]}
    )

    # Act
    items = list(client.v1.checkout.sessions.line_items.list(session.id, {"limit": 1}).auto_paging_iter())

    # Assert
    assert [(i.description, i.quantity, i.amount_total) for i in items] == [("Pen", 4, 1200)]


# ---------------------------------------------------------------------------
# list sessions
# ---------------------------------------------------------------------------


def test_listing_sessions_auto_paginates_newest_first(fresh_server):
    # Arrange
    client = fresh_server.client()
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}})
    created = [
        client.v1.checkout.sessions.create(
            {"mode": "payment", "success_url": SUCCESS_URL, "line_items": [{"price": price.id, "quantity": i + 1}]}
        )
        for i in range(7)
    ]

    # Act
    page = client.v1.checkout.sessions.list({"limit": 3})
    listed = list(page.auto_paging_iter())

    # Assert
    assert page.url == "/v1/checkout/sessions"
    assert ids(listed) == list(reversed(ids(created)))


def test_listing_sessions_by_status_returns_only_that_status():
    # Arrange
    open_session = make_session()
    expired_session = make_session()
    stripe.checkout.Session.expire(expired_session.id)

    # Act
    expired = list(stripe.checkout.Session.list(status="expired", limit=100).auto_paging_iter())

    # Assert
    assert expired_session.id in ids(expired)
    assert open_session.id not in ids(expired)
    assert {s.status for s in expired} == {"expired"}


def test_listing_sessions_by_customer_email_finds_the_completed_one(server):
    # Arrange
    email = f"{unique('buyer-')}@example.com"
    paid = make_session()
    make_session()  # another open session that must not match
    server.complete_session(paid.id, email=email)

    # Act
    found = stripe.checkout.Session.list(customer_details={"email": email})

    # Assert
    assert ids(found.data) == [paid.id]
    assert found.data[0].customer_details.email == email


def test_listing_sessions_by_created_gte_follows_the_account_clock(fresh_server):
    # Arrange
    client = fresh_server.client()
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}})
    params = {"mode": "payment", "success_url": SUCCESS_URL, "line_items": [{"price": price.id, "quantity": 1}]}
    old = client.v1.checkout.sessions.create(params)
    fresh_server.advance_clock(600)
    newer = [client.v1.checkout.sessions.create(params) for _ in range(2)]

    # Act
    listed = client.v1.checkout.sessions.list({"created": {"gte": newer[0].created}})
    older = client.v1.checkout.sessions.list({"created": {"lt": newer[0].created}})

    # Assert
    assert newer[0].created >= old.created + 600
    assert ids(listed.data) == [newer[1].id, newer[0].id]
    assert ids(older.data) == [old.id]


# ---------------------------------------------------------------------------
# expire
# ---------------------------------------------------------------------------


def test_expiring_an_open_session_marks_it_expired_and_drops_its_url():
    # Arrange
    session = make_session()

    # Act
    expired = stripe.checkout.Session.expire(session.id)

    # Assert
    assert expired.id == session.id
    assert expired.status == "expired"
    assert expired.url is None
    assert stripe.checkout.Session.retrieve(session.id).status == "expired"


def test_expiring_through_stripe_client_works_too(client):
    # Arrange
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}})
    session = client.v1.checkout.sessions.create(
        {"mode": "payment", "success_url": SUCCESS_URL, "line_items": [{"price": price.id, "quantity": 1}]}
    )

    # Act
    expired = client.v1.checkout.sessions.expire(session.id)

    # Assert
    assert expired.status == "expired"


def test_expiring_an_expired_session_again_is_rejected():
    # Arrange
    session = make_session()
    stripe.checkout.Session.expire(session.id)

    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.checkout.Session.expire(session.id)

    # Assert
    assert caught.value.http_status == 400
    assert caught.value.user_message.startswith(
        'Only Checkout Sessions with a status in ["open"] can be expired'
    )
    assert "`expired`" in caught.value.user_message


def test_expiring_a_completed_session_is_rejected(server):
    # Arrange
    session = make_session()
    server.complete_session(session.id)

    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.checkout.Session.expire(session.id)

    # Assert
    assert caught.value.user_message.startswith(
        'Only Checkout Sessions with a status in ["open"] can be expired'
    )
    assert "`complete`" in caught.value.user_message


# ---------------------------------------------------------------------------
# test helpers
# ---------------------------------------------------------------------------


def test_the_complete_helper_pays_an_open_session(server):
    # Arrange
    session = make_session()

    # Act
    completed = server.complete_session(session.id, email="payer@example.com")

    # Assert
    assert completed.id == session.id
    assert completed.status == "complete"
    assert completed.payment_status == "paid"
    assert completed.customer_details.email == "payer@example.com"
    assert completed.url is None  # "only present when the session is active"
    fetched = stripe.checkout.Session.retrieve(session.id)
    assert fetched.status == "complete"
    assert fetched.payment_status == "paid"
    assert fetched.customer_details.email == "payer@example.com"


def test_the_complete_helper_defaults_the_email_to_the_sessions_customer_email(server):
    # Arrange
    session = make_session(customer_email="known@example.com")

    # Act
    completed = server.complete_session(session.id)

    # Assert
    assert completed.customer_details.email == "known@example.com"


def test_the_complete_helper_without_any_email_uses_test_at_example_com(server):
    # Arrange
    session = make_session()

    # Act
    completed = server.complete_session(session.id)

    # Assert
    assert completed.customer_details.email == "test@example.com"


def test_the_complete_helper_can_pick_another_shipping_rate(server):
    # Arrange
    price = make_price(2000)
    ground = _shipping_rate(500)
    express = _shipping_rate(1500)
    session = make_session(
        line_items=[{"price": price.id, "quantity": 1}],
        shipping_options=[{"shipping_rate": ground.id}, {"shipping_rate": express.id}],
    )

    # Act
    completed = server.complete_session(session.id, shipping_rate=express.id)

    # Assert
    assert completed.shipping_cost.shipping_rate == express.id
    assert completed.total_details.amount_shipping == 1500
    assert completed.amount_total == 3500


def test_the_complete_helper_refuses_an_expired_session(server):
    # Arrange
    session = make_session()
    stripe.checkout.Session.expire(session.id)

    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        server.complete_session(session.id)

    # Assert
    assert caught.value.http_status == 400
    assert stripe.checkout.Session.retrieve(session.id).status == "expired"


def test_the_complete_helper_over_plain_http_with_bearer_auth(server):
    # Arrange
    session = make_session()

    # Act
    response = server.http(
        "POST", f"/v1/test_helpers/checkout/sessions/{session.id}/complete", {"email": "raw@example.com"}
    )

    # Assert
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "checkout.session"
    assert body["status"] == "complete"
    assert body["customer_details"]["email"] == "raw@example.com"


def test_advancing_the_clock_past_expires_at_expires_the_session(fresh_server):
    # Arrange
    client = fresh_server.client()
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}})
    params = {"mode": "payment", "success_url": SUCCESS_URL, "line_items": [{"price": price.id, "quantity": 1}]}
    probe = client.v1.checkout.sessions.create(params)
    session = client.v1.checkout.sessions.create({**params, "expires_at": probe.created + 3600})
    untouched = client.v1.checkout.sessions.create(params)  # default 24 h

    # Act
    fresh_server.advance_clock(3600 + 60)

    # Assert
    final = wait_for(lambda: client.v1.checkout.sessions.retrieve(session.id).status == "expired", timeout=10)
    assert final, client.v1.checkout.sessions.retrieve(session.id)
    assert client.v1.checkout.sessions.retrieve(session.id).url is None
    assert client.v1.checkout.sessions.retrieve(untouched.id).status == "open"


def test_advancing_the_clock_moves_created_of_new_objects(fresh_server):
    # Arrange
    client = fresh_server.client()
    before = client.v1.products.create({"name": "before"})

    # Act
    fresh_server.advance_clock(7200)
    after = client.v1.products.create({"name": "after"})

    # Assert
    assert after.created >= before.created + 7200
    assert after.created < before.created + 7200 + 120
