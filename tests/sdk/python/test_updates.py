"""POST /v1/checkout/sessions/{id} through stripe-python: every update rule
of the issue, each checked on the object the SDK returns."""

from __future__ import annotations

import pytest
import stripe

from support import make_price, make_session, unique


@pytest.fixture(autouse=True)
def no_retries():
    saved = stripe.max_network_retries
    stripe.max_network_retries = 0
    yield
    stripe.max_network_retries = saved


def _lines(session_id):
    return list(stripe.checkout.Session.list_line_items(session_id).auto_paging_iter())


def test_add_remove_reorder_and_update_by_id_in_one_request():
    a, b, c = make_price(100), make_price(200), make_price(300)
    session = make_session(line_items=[{"price": a.id, "quantity": 1}, {"price": b.id, "quantity": 1}, {"price": c.id, "quantity": 1}])
    la, lb, lc = (line.id for line in _lines(session.id))

    updated = stripe.checkout.Session.modify(
        session.id,
        line_items=[
            {"id": lc, "quantity": 2},  # moved first, quantity changed
            {"price_data": {"currency": "usd", "unit_amount": 50, "product_data": {"name": "Sticker"}}, "quantity": 4},
            {"id": la},  # kept as is; lb is dropped
        ],
        expand=["line_items"],
    )

    lines = updated.line_items.data
    assert [line.id for line in lines][0] == lc and lines[2].id == la
    assert lb not in [line.id for line in lines]
    assert [line.quantity for line in lines] == [2, 4, 1]
    assert lines[1].description == "Sticker"
    assert updated.amount_subtotal == 600 + 200 + 100
    assert updated.amount_total == 900


def test_clearing_a_lines_tax_rates_with_an_empty_string():
    rate = stripe.TaxRate.create(display_name=unique("VAT "), percentage=10, inclusive=False)
    session = make_session(line_items=[{"price": make_price(1000).id, "quantity": 1, "tax_rates": [rate.id]}])
    assert session.amount_total == 1100
    line = _lines(session.id)[0]

    updated = stripe.checkout.Session.modify(session.id, line_items=[{"id": line.id, "tax_rates": ""}])

    assert updated.amount_total == 1000
    assert updated.total_details.amount_tax == 0


def test_unknown_line_id_and_new_line_without_price_name_the_exact_param():
    session = make_session()
    line = _lines(session.id)[0]
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe.checkout.Session.modify(session.id, line_items=[{"id": "li_missing"}])
    assert unknown.value.param == "line_items[0][id]"
    with pytest.raises(stripe.InvalidRequestError) as no_price:
        stripe.checkout.Session.modify(session.id, line_items=[{"id": line.id}, {"id": line.id}, {"quantity": 1}])
    assert no_price.value.param in ("line_items[1][id]", "line_items[2][price]")
    with pytest.raises(stripe.InvalidRequestError) as new_line:
        stripe.checkout.Session.modify(session.id, line_items=[{"id": line.id}, {"quantity": 1}, {"quantity": 2}])
    assert new_line.value.param == "line_items[1][price]"
    assert stripe.checkout.Session.retrieve(session.id).amount_total == session.amount_total


def test_replacing_shipping_options_moves_shipping_cost_and_total():
    cheap = stripe.ShippingRate.create(display_name="Ground", type="fixed_amount", fixed_amount={"amount": 300, "currency": "usd"})
    session = make_session(line_items=[{"price": make_price(1000).id, "quantity": 1}], shipping_options=[{"shipping_rate": cheap.id}])
    assert session.amount_total == 1300

    updated = stripe.checkout.Session.modify(
        session.id,
        shipping_options=[
            {"shipping_rate_data": {"display_name": "Express", "type": "fixed_amount", "fixed_amount": {"amount": 1500, "currency": "usd"}}},
            {"shipping_rate": cheap.id},
        ],
    )
    assert updated.shipping_cost.amount_total == 1500
    assert updated.total_details.amount_shipping == 1500
    assert updated.amount_total == 2500

    cleared = stripe.checkout.Session.modify(session.id, shipping_options="")
    assert cleared.shipping_cost is None
    assert cleared.amount_total == 1000


def test_collected_information_on_an_elements_session_and_not_on_a_hosted_one():
    details = {"shipping_details": {"name": "Ann Lee", "address": {"line1": "1 Main St", "city": "Springfield", "country": "US", "postal_code": "94107"}}}
    elements = make_session(ui_mode="elements")
    updated = stripe.checkout.Session.modify(elements.id, collected_information=details)
    assert updated.collected_information.shipping_details.name == "Ann Lee"
    assert updated.collected_information.shipping_details.address.postal_code == "94107"

    hosted = make_session()
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe.checkout.Session.modify(hosted.id, collected_information=details)
    assert err.value.param == "collected_information"


def test_metadata_keys_set_delete_and_clear():
    session = make_session(metadata={"a": "1", "b": "2"})
    updated = stripe.checkout.Session.modify(session.id, metadata={"a": "", "c": "3"})
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}
    cleared = stripe.checkout.Session.modify(session.id, metadata="")
    assert cleared.metadata.to_dict() == {}


def test_updates_after_expire_or_complete_are_rejected_and_change_nothing(server):
    expired = make_session()
    stripe.checkout.Session.expire(expired.id)
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe.checkout.Session.modify(expired.id, metadata={"late": "1"})
    assert "no longer open" in str(err.value.user_message)
    assert "late" not in stripe.checkout.Session.retrieve(expired.id).metadata

    done = make_session()
    server.complete_session(done.id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe.checkout.Session.modify(done.id, line_items=[{"price": make_price().id, "quantity": 1}])


def test_payment_intent_data_is_accepted_on_update():
    session = make_session()
    updated = stripe.checkout.Session.modify(session.id, payment_intent_data={"description": "Order 42", "metadata": {"order": "42"}})
    assert updated.id == session.id
