"""Products, prices, shipping rates and tax rates through stripe-python.

Most tests use the module-level style (`stripe.Product.create(...)`, configured
by `stripe.api_base`/`stripe.api_key` in conftest); the list tests use
`stripe.StripeClient` against a server of their own, so the account holds
exactly the objects the test created.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import stripe

from support import ids, unique


# ---------------------------------------------------------------------------
# products
# ---------------------------------------------------------------------------


def test_a_product_is_created_with_its_name_description_and_metadata():
    # Arrange
    name = unique("T-shirt ")

    # Act
    product = stripe.Product.create(
        name=name,
        description="Comfortable gray cotton t-shirt",
        metadata={"sku": "TS-1", "color": "gray"},
    )

    # Assert
    assert product.object == "product"
    assert product.id.startswith("prod_")
    assert product.name == name
    assert product.description == "Comfortable gray cotton t-shirt"
    assert product.active is True
    assert product.livemode is False
    assert product.metadata.to_dict() == {"sku": "TS-1", "color": "gray"}
    assert isinstance(product.created, int) and product.created > 0
    assert product.images == []


def test_a_product_can_be_retrieved_by_its_id():
    # Arrange
    created = stripe.Product.create(name=unique("Mug "), unit_label="mug")

    # Act
    fetched = stripe.Product.retrieve(created.id)

    # Assert
    assert fetched.id == created.id
    assert fetched.name == created.name
    assert fetched.unit_label == "mug"
    assert fetched.created == created.created


def test_updating_a_product_changes_only_the_given_fields():
    # Arrange
    product = stripe.Product.create(name="Old name", description="keep me")

    # Act
    updated = stripe.Product.modify(product.id, name="New name", active=False)

    # Assert
    assert updated.name == "New name"
    assert updated.active is False
    assert updated.description == "keep me"
    assert stripe.Product.retrieve(product.id).name == "New name"


def test_updating_metadata_merges_new_keys_into_the_existing_ones():
    # Arrange
    product = stripe.Product.create(name=unique("P "), metadata={"a": "1"})

    # Act
    updated = stripe.Product.modify(product.id, metadata={"b": "2", "a": "10"})

    # Assert
    assert updated.metadata.to_dict() == {"a": "10", "b": "2"}


def test_an_empty_metadata_value_deletes_only_that_key():
    # Arrange
    product = stripe.Product.create(name=unique("P "), metadata={"a": "1", "b": "2"})

    # Act
    updated = stripe.Product.modify(product.id, metadata={"a": ""})

    # Assert
    assert updated.metadata.to_dict() == {"b": "2"}
    assert stripe.Product.retrieve(product.id).metadata.to_dict() == {"b": "2"}


def test_metadata_set_to_an_empty_string_clears_every_key():
    # Arrange
    product = stripe.Product.create(name=unique("P "), metadata={"a": "1", "b": "2"})

    # Act
    updated = stripe.Product.modify(product.id, metadata="")

    # Assert
    assert updated.metadata.to_dict() == {}
    assert stripe.Product.retrieve(product.id).metadata.to_dict() == {}


def test_a_product_created_through_stripe_client_is_visible_to_the_module_level_api(client):
    # Arrange
    product = client.v1.products.create({"name": unique("Client product ")})

    # Act
    fetched = stripe.Product.retrieve(product.id)

    # Assert
    assert fetched.id == product.id
    assert fetched.name == product.name


def test_listing_products_auto_paginates_newest_first_without_duplicates(fresh_server):
    # Arrange
    client = fresh_server.client()
    created = [client.v1.products.create({"name": f"Product {i}"}) for i in range(7)]

    # Act
    first_page = client.v1.products.list({"limit": 3})
    listed = list(first_page.auto_paging_iter())

    # Assert
    assert first_page.object == "list"
    assert first_page.url == "/v1/products"
    assert first_page.has_more is True
    assert len(first_page.data) == 3
    assert ids(listed) == list(reversed(ids(created)))
    assert len(set(ids(listed))) == 7


def test_a_page_after_the_last_object_is_empty_and_has_no_more(fresh_server):
    # Arrange
    client = fresh_server.client()
    created = [client.v1.products.create({"name": f"Product {i}"}) for i in range(3)]

    # Act
    page = client.v1.products.list({"limit": 3, "starting_after": created[0].id})

    # Assert
    assert page.data == []
    assert page.has_more is False


def test_ending_before_returns_the_newer_neighbours_and_pages_backwards(fresh_server):
    # Arrange: list order (newest first) is p6 p5 p4 p3 p2 p1 p0
    client = fresh_server.client()
    p = [client.v1.products.create({"name": f"Product {i}"}) for i in range(7)]

    # Act
    page = client.v1.products.list({"limit": 3, "ending_before": p[1].id})
    walked = list(page.auto_paging_iter())

    # Assert: the page right before p1, still newest first
    assert ids(page.data) == [p[4].id, p[3].id, p[2].id]
    assert page.has_more is True
    # the SDK walks backwards towards the newest object, reversing each page
    assert ids(walked) == [p[2].id, p[3].id, p[4].id, p[5].id, p[6].id]


# ---------------------------------------------------------------------------
# prices
# ---------------------------------------------------------------------------


def test_a_one_time_price_with_unit_amount_is_created_for_a_product():
    # Arrange
    product = stripe.Product.create(name=unique("Book "))

    # Act
    price = stripe.Price.create(product=product.id, currency="usd", unit_amount=1099, nickname="standard")

    # Assert
    assert price.object == "price"
    assert price.id.startswith("price_")
    assert price.product == product.id
    assert price.currency == "usd"
    assert price.unit_amount == 1099
    assert price.unit_amount_decimal == Decimal("1099")
    assert price.type == "one_time"
    assert price.recurring is None
    assert price.billing_scheme == "per_unit"
    assert price.active is True
    assert price.livemode is False
    assert price.nickname == "standard"


def test_a_price_given_by_integral_unit_amount_decimal_also_reports_unit_amount():
    # Arrange
    product = stripe.Product.create(name=unique("Decimal "))

    # Act
    price = stripe.Price.create(product=product.id, currency="usd", unit_amount_decimal=Decimal("1500"))

    # Assert
    assert price.unit_amount_decimal == Decimal("1500")
    assert price.unit_amount == 1500


def test_a_price_with_fractional_unit_amount_decimal_keeps_the_decimal_and_has_no_unit_amount():
    # Arrange
    product = stripe.Product.create(name=unique("Fraction "))

    # Act
    price = stripe.Price.create(product=product.id, currency="usd", unit_amount_decimal=Decimal("10.5"))

    # Assert
    assert price.unit_amount_decimal == Decimal("10.5")
    assert price.unit_amount is None


def test_unit_amount_decimal_is_sent_on_the_wire_as_a_string(server):
    # Arrange
    product = stripe.Product.create(name=unique("Wire "))

    # Act
    response = server.http(
        "POST", "/v1/prices", {"product": product.id, "currency": "usd", "unit_amount": 250}
    )

    # Assert
    assert response.status_code == 200, response.text
    assert response.json()["unit_amount_decimal"] == "250"


def test_a_recurring_price_carries_its_interval():
    # Arrange
    product = stripe.Product.create(name=unique("Plan "))

    # Act
    price = stripe.Price.create(
        product=product.id,
        currency="usd",
        unit_amount=2000,
        recurring={"interval": "month"},
    )

    # Assert
    assert price.type == "recurring"
    assert price.recurring.interval == "month"
    assert price.recurring.interval_count == 1
    assert price.recurring.usage_type == "licensed"


def test_a_recurring_price_keeps_an_explicit_interval_count():
    # Arrange
    product = stripe.Product.create(name=unique("Plan "))

    # Act
    price = stripe.Price.create(
        product=product.id,
        currency="eur",
        unit_amount=9900,
        recurring={"interval": "week", "interval_count": 2},
    )

    # Assert
    assert price.recurring.interval == "week"
    assert price.recurring.interval_count == 2


def test_a_price_with_inline_product_data_creates_the_product_too():
    # Arrange
    name = unique("Inline product ")

    # Act
    price = stripe.Price.create(currency="usd", unit_amount=500, product_data={"name": name, "metadata": {"k": "v"}})

    # Assert
    assert isinstance(price.product, str) and price.product.startswith("prod_")
    product = stripe.Product.retrieve(price.product)
    assert product.name == name
    assert product.metadata.to_dict() == {"k": "v"}


def test_a_price_records_its_tax_behavior():
    # Arrange
    product = stripe.Product.create(name=unique("Taxed "))

    # Act
    inclusive = stripe.Price.create(product=product.id, currency="usd", unit_amount=1200, tax_behavior="inclusive")
    exclusive = stripe.Price.create(product=product.id, currency="usd", unit_amount=1000, tax_behavior="exclusive")

    # Assert
    assert inclusive.tax_behavior == "inclusive"
    assert exclusive.tax_behavior == "exclusive"


def test_a_currency_given_in_uppercase_comes_back_lowercase():
    # Arrange
    product = stripe.Product.create(name=unique("Upper "))

    # Act
    price = stripe.Price.create(product=product.id, currency="EUR", unit_amount=700)

    # Assert
    assert price.currency == "eur"
    assert stripe.Price.retrieve(price.id).currency == "eur"


def test_a_price_can_be_retrieved_with_its_product_expanded():
    # Arrange
    product = stripe.Product.create(name=unique("Expand me "))
    price = stripe.Price.create(product=product.id, currency="usd", unit_amount=100)

    # Act
    fetched = stripe.Price.retrieve(price.id, expand=["product"])

    # Assert
    assert isinstance(fetched.product, stripe.Product)
    assert fetched.product.id == product.id
    assert fetched.product.name == product.name


def test_updating_a_price_sets_metadata_nickname_and_active():
    # Arrange
    product = stripe.Product.create(name=unique("P "))
    price = stripe.Price.create(product=product.id, currency="usd", unit_amount=100, metadata={"a": "1", "b": "2"})

    # Act
    updated = stripe.Price.modify(price.id, nickname="sale", active=False, metadata={"a": "", "c": "3"})

    # Assert
    assert updated.nickname == "sale"
    assert updated.active is False
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}
    assert updated.unit_amount == 100


def test_clearing_price_metadata_with_an_empty_string_removes_every_key():
    # Arrange
    price = stripe.Price.create(currency="usd", unit_amount=100, product_data={"name": unique("P ")}, metadata={"x": "1"})

    # Act
    updated = stripe.Price.modify(price.id, metadata="")

    # Assert
    assert updated.metadata.to_dict() == {}


def test_listing_prices_of_one_product_auto_paginates_newest_first():
    # Arrange
    product = stripe.Product.create(name=unique("Many prices "))
    created = [stripe.Price.create(product=product.id, currency="usd", unit_amount=100 + i) for i in range(7)]

    # Act
    listed = list(stripe.Price.list(product=product.id, limit=3).auto_paging_iter())

    # Assert
    assert ids(listed) == list(reversed(ids(created)))


def test_listing_prices_auto_paginates_over_the_whole_account(fresh_server):
    # Arrange
    client = fresh_server.client()
    product = client.v1.products.create({"name": "Only product"})
    created = [
        client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 100 + i}) for i in range(7)
    ]

    # Act
    page = client.v1.prices.list({"limit": 3})
    listed = list(page.auto_paging_iter())

    # Assert
    assert page.url == "/v1/prices"
    assert ids(listed) == list(reversed(ids(created)))


# ---------------------------------------------------------------------------
# shipping rates
# ---------------------------------------------------------------------------


def _shipping_rate(**extra):
    params = dict(
        display_name=unique("Ground "),
        type="fixed_amount",
        fixed_amount={"amount": 500, "currency": "usd"},
    )
    params.update(extra)
    return stripe.ShippingRate.create(**params)


def test_a_fixed_amount_shipping_rate_is_created_with_currency_options_and_delivery_estimate():
    # Arrange
    params = dict(
        display_name="Ground shipping",
        type="fixed_amount",
        fixed_amount={
            "amount": 500,
            "currency": "usd",
            "currency_options": {"eur": {"amount": 450, "tax_behavior": "exclusive"}},
        },
        delivery_estimate={
            "minimum": {"unit": "business_day", "value": 2},
            "maximum": {"unit": "business_day", "value": 5},
        },
        tax_behavior="exclusive",
        metadata={"carrier": "ups"},
    )

    # Act
    rate = stripe.ShippingRate.create(**params)

    # Assert
    assert rate.object == "shipping_rate"
    assert rate.id.startswith("shr_")
    assert rate.display_name == "Ground shipping"
    assert rate.type == "fixed_amount"
    assert rate.fixed_amount.amount == 500
    assert rate.fixed_amount.currency == "usd"
    assert rate.fixed_amount.currency_options["eur"].amount == 450
    assert rate.fixed_amount.currency_options["eur"].tax_behavior == "exclusive"
    assert rate.delivery_estimate.minimum.unit == "business_day"
    assert rate.delivery_estimate.minimum.value == 2
    assert rate.delivery_estimate.maximum.unit == "business_day"
    assert rate.delivery_estimate.maximum.value == 5
    assert rate.tax_behavior == "exclusive"
    assert rate.active is True
    assert rate.livemode is False
    assert rate.metadata.to_dict() == {"carrier": "ups"}


def test_a_shipping_rate_can_be_retrieved():
    # Arrange
    rate = _shipping_rate(tax_behavior="inclusive")

    # Act
    fetched = stripe.ShippingRate.retrieve(rate.id)

    # Assert
    assert fetched.id == rate.id
    assert fetched.display_name == rate.display_name
    assert fetched.fixed_amount.amount == 500
    assert fetched.tax_behavior == "inclusive"
    assert fetched.delivery_estimate is None


def test_a_shipping_rate_currency_is_stored_lowercase():
    # Act
    rate = _shipping_rate(fixed_amount={"amount": 900, "currency": "GBP"})

    # Assert
    assert rate.fixed_amount.currency == "gbp"


def test_updating_a_shipping_rate_sets_active_and_metadata():
    # Arrange
    rate = _shipping_rate(metadata={"a": "1", "b": "2"})

    # Act
    updated = stripe.ShippingRate.modify(rate.id, active=False, metadata={"b": "", "c": "3"})

    # Assert
    assert updated.active is False
    assert updated.metadata.to_dict() == {"a": "1", "c": "3"}
    assert stripe.ShippingRate.retrieve(rate.id).active is False


def test_clearing_shipping_rate_metadata_with_an_empty_string_removes_every_key():
    # Arrange
    rate = _shipping_rate(metadata={"a": "1"})

    # Act
    updated = stripe.ShippingRate.modify(rate.id, metadata="")

    # Assert
    assert updated.metadata.to_dict() == {}


def test_listing_shipping_rates_auto_paginates_newest_first_without_duplicates(fresh_server):
    # Arrange
    client = fresh_server.client()
    created = [
        client.v1.shipping_rates.create(
            {"display_name": f"Rate {i}", "type": "fixed_amount", "fixed_amount": {"amount": i * 100, "currency": "usd"}}
        )
        for i in range(7)
    ]

    # Act
    page = client.v1.shipping_rates.list({"limit": 3})
    listed = list(page.auto_paging_iter())

    # Assert
    assert page.url == "/v1/shipping_rates"
    assert ids(listed) == list(reversed(ids(created)))


# ---------------------------------------------------------------------------
# tax rates
# ---------------------------------------------------------------------------


def test_a_tax_rate_keeps_a_percentage_with_four_decimals_and_its_jurisdiction():
    # Act
    rate = stripe.TaxRate.create(
        display_name="Sales tax",
        percentage=8.8755,
        inclusive=False,
        country="US",
        state="NY",
        jurisdiction="US - NY",
        description="New York sales tax",
    )

    # Assert
    assert rate.object == "tax_rate"
    assert rate.id.startswith("txr_")
    assert rate.display_name == "Sales tax"
    assert rate.percentage == pytest.approx(8.8755, abs=1e-9)
    assert rate.inclusive is False
    assert rate.country == "US"
    assert rate.state == "NY"
    assert rate.jurisdiction == "US - NY"
    assert rate.description == "New York sales tax"
    assert rate.active is True
    assert rate.livemode is False


def test_an_inclusive_tax_rate_is_marked_inclusive():
    # Act
    rate = stripe.TaxRate.create(display_name="VAT", percentage=19, inclusive=True, country="DE")

    # Assert
    assert rate.inclusive is True
    assert rate.percentage == 19
    assert rate.country == "DE"


def test_a_tax_rate_can_be_created_inactive():
    # Act
    rate = stripe.TaxRate.create(display_name="Old VAT", percentage=16, inclusive=True, active=False)

    # Assert
    assert rate.active is False


def test_a_tax_rate_can_be_retrieved():
    # Arrange
    rate = stripe.TaxRate.create(display_name="GST", percentage=7.25, inclusive=False)

    # Act
    fetched = stripe.TaxRate.retrieve(rate.id)

    # Assert
    assert fetched.id == rate.id
    assert fetched.percentage == pytest.approx(7.25)
    assert fetched.inclusive is False


def test_updating_a_tax_rate_changes_its_display_name_active_flag_and_metadata():
    # Arrange
    rate = stripe.TaxRate.create(display_name="VAT", percentage=20, inclusive=True, metadata={"a": "1", "b": "2"})

    # Act
    updated = stripe.TaxRate.modify(rate.id, display_name="VAT UK", active=False, metadata={"a": ""})

    # Assert
    assert updated.display_name == "VAT UK"
    assert updated.active is False
    assert updated.metadata.to_dict() == {"b": "2"}
    assert updated.percentage == 20
    assert updated.inclusive is True


def test_clearing_tax_rate_metadata_with_an_empty_string_removes_every_key():
    # Arrange
    rate = stripe.TaxRate.create(display_name="VAT", percentage=20, inclusive=True, metadata={"a": "1"})

    # Act
    updated = stripe.TaxRate.modify(rate.id, metadata="")

    # Assert
    assert updated.metadata.to_dict() == {}


def test_listing_tax_rates_auto_paginates_newest_first_without_duplicates(fresh_server):
    # Arrange
    client = fresh_server.client()
    created = [
        client.v1.tax_rates.create({"display_name": f"Rate {i}", "percentage": 5 + i, "inclusive": i % 2 == 0})
        for i in range(7)
    ]

    # Act
    page = client.v1.tax_rates.list({"limit": 3})
    listed = list(page.auto_paging_iter())

    # Assert
    assert page.url == "/v1/tax_rates"
    assert ids(listed) == list(reversed(ids(created)))
