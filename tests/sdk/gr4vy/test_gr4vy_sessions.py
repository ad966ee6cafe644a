"""Checkout sessions through the official SDK: create, get, update, delete,
merchant accounts, update semantics and expiry."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from gr4vy import errors, models

CAPTURE = Path(__file__).resolve().parents[3] / "crates/server/tests/fixtures/gr4vy/sdk-python-capture.json"


def captured_update_body() -> dict:
    """The body the SDK sent in the reference capture's `update_full`."""
    capture = json.loads(CAPTURE.read_text())
    (exchange,) = [e for e in capture["exchanges"] if e["name"] == "update_full"]
    return exchange["request"]["body_json"]


def dump(model) -> dict:
    return model.model_dump(mode="json", by_alias=True)


def with_defaults(cart_items: list[dict]) -> list[dict]:
    """Cart items as echoed: the spec's defaults filled in."""
    out = copy.deepcopy(cart_items)
    for item in out:
        item.setdefault("discount_amount", 0)
        item.setdefault("tax_amount", 0)
    return out


def test_create_returns_a_fresh_session_expiring_in_an_hour(client):
    # Arrange
    before = datetime.now(timezone.utc)
    # Act
    cs = client.checkout_sessions.create()
    # Assert
    assert isinstance(cs, models.CheckoutSession)
    assert uuid.UUID(cs.id).version == 4
    assert cs.TYPE == "checkout-session"
    lifetime = cs.expires_at - before
    assert timedelta(minutes=59) < lifetime <= timedelta(hours=1, seconds=2)
    assert cs.cart_items is None and cs.metadata is None and cs.payment_method is None


def test_create_with_a_body_echoes_it(client):
    body = captured_update_body()
    cs = client.checkout_sessions.create(
        checkout_session_create={
            "cart_items": body["cart_items"],
            "metadata": body["metadata"],
            "airline": body["airline"],
            "buyer": {
                "display_name": "John",
                "billing_details": {
                    "first_name": "John",
                    "address": {"country": "US", "line1": "1 Main St"},
                    "tax_id": {"value": "123", "kind": "us.ein"},
                },
            },
            "amount": 45000,
            "currency": "USD",
            "payment_service_id": "4137b1cf-39ac-42a8-bad6-1c680d5dab6b",
            "expires_in": 7200,
        }
    )
    out = dump(cs)
    assert out["cart_items"] == with_defaults(body["cart_items"])
    assert out["metadata"] == body["metadata"]
    assert out["airline"] == body["airline"]
    assert out["buyer"]["billing_details"]["tax_id"] == {"value": "123", "kind": "us.ein"}
    assert (out["amount"], out["currency"]) == (45000, "USD")
    assert out["payment_service_id"] == "4137b1cf-39ac-42a8-bad6-1c680d5dab6b"
    lifetime = cs.expires_at - datetime.now(timezone.utc)
    assert timedelta(minutes=119) < lifetime <= timedelta(hours=2)


def test_get_returns_what_create_returned(client):
    created = client.checkout_sessions.create(checkout_session_create={"metadata": {"k": "v"}})
    fetched = client.checkout_sessions.get(session_id=created.id)
    assert dump(fetched) == dump(created)


def test_update_with_the_captured_body_echoes_it_and_get_agrees(client):
    # Arrange
    cs = client.checkout_sessions.create()
    body = captured_update_body()
    # Act
    updated = client.checkout_sessions.update(
        session_id=cs.id,
        cart_items=body["cart_items"],
        metadata=body["metadata"],
        airline=body["airline"],
    )
    # Assert
    out = dump(updated)
    assert out["id"] == cs.id
    assert out["cart_items"] == with_defaults(body["cart_items"])
    assert out["metadata"] == {"order_id": "order-12345"}
    assert out["airline"] == body["airline"]
    assert updated.expires_at == cs.expires_at
    assert dump(client.checkout_sessions.get(session_id=cs.id)) == out


def test_update_replaces_present_keeps_absent_and_null_clears(client):
    cs = client.checkout_sessions.create(
        checkout_session_create={
            "cart_items": [{"name": "A", "quantity": 1, "unit_amount": 100}],
            "metadata": {"a": "1"},
            "currency": "EUR",
        }
    )
    updated = client.checkout_sessions.update(session_id=cs.id, metadata={"b": "2"}, currency=None)
    assert updated.metadata == {"b": "2"}
    assert updated.currency is None
    assert [i.name for i in updated.cart_items] == ["A"]
    # The SDK's bare update sends only `expires_in: 3600.0`: nothing changes.
    again = client.checkout_sessions.update(session_id=cs.id)
    assert dump(again) == dump(updated)


def test_expires_in_on_update_does_not_move_expires_at(client):
    cs = client.checkout_sessions.create()
    updated = client.checkout_sessions.update(session_id=cs.id, expires_in=86400)
    assert updated.expires_at == cs.expires_at


def test_delete_answers_204_then_the_session_is_gone(client):
    cs = client.checkout_sessions.create()
    assert client.checkout_sessions.delete(session_id=cs.id) is None
    for call in (
        lambda: client.checkout_sessions.get(session_id=cs.id),
        lambda: client.checkout_sessions.update(session_id=cs.id, metadata={"a": "b"}),
        lambda: client.checkout_sessions.delete(session_id=cs.id),
    ):
        with pytest.raises(errors.Error404) as e:
            call()
        assert e.value.data.code == "not_found"
        assert e.value.data.status == 404


def test_an_unknown_session_is_not_found(client):
    with pytest.raises(errors.Error404):
        client.checkout_sessions.get(session_id=str(uuid.uuid4()))


def test_sessions_belong_to_their_merchant_account(server):
    mine = server.client(merchant_account_id="merchant-a")
    theirs = server.client(merchant_account_id="merchant-b")
    cs = mine.checkout_sessions.create()
    with pytest.raises(errors.Error404):
        theirs.checkout_sessions.get(session_id=cs.id)
    with pytest.raises(errors.Error404):
        theirs.checkout_sessions.delete(session_id=cs.id)
    # Without the header the merchant account is `default`.
    with pytest.raises(errors.Error404):
        server.client(merchant_account_id=None).checkout_sessions.get(session_id=cs.id)
    assert mine.checkout_sessions.get(session_id=cs.id).id == cs.id
    default = server.client(merchant_account_id=None).checkout_sessions.create()
    assert server.client(merchant_account_id="default").checkout_sessions.get(session_id=default.id).id == default.id


def test_sessions_belong_to_the_account_of_the_verifying_key(server):
    cs = server.client().checkout_sessions.create()
    other = server.client(key=server.other_key)
    with pytest.raises(errors.Error404):
        other.checkout_sessions.get(session_id=cs.id)
    theirs = other.checkout_sessions.create()
    assert other.checkout_sessions.get(session_id=theirs.id).id == theirs.id


def test_default_sdk_scopes_are_wildcards_and_suffice(server):
    client = server.client(scopes=None)
    cs = client.checkout_sessions.create()
    assert client.checkout_sessions.update(session_id=cs.id, metadata={"a": "b"}).metadata == {"a": "b"}
    client.checkout_sessions.delete(session_id=cs.id)


def test_sessions_expire_with_the_account_clock(fresh_server):
    # Arrange
    client = fresh_server.client()
    short = client.checkout_sessions.create()
    long = client.checkout_sessions.create(checkout_session_create={"expires_in": 7200})
    # Act
    fresh_server.advance_clock(3600)
    # Assert
    with pytest.raises(errors.Error404):
        client.checkout_sessions.get(session_id=short.id)
    with pytest.raises(errors.Error404):
        client.checkout_sessions.update(session_id=short.id, metadata={"a": "b"})
    assert client.checkout_sessions.get(session_id=long.id).id == long.id
    # New sessions start at the account's (advanced) time.
    created = client.checkout_sessions.create()
    assert created.expires_at - datetime.now(timezone.utc) > timedelta(minutes=119)
    fresh_server.advance_clock(3600)
    with pytest.raises(errors.Error404):
        client.checkout_sessions.delete(session_id=long.id)
