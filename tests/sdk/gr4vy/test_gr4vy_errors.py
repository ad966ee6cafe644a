"""Errors: the SDK's typed exceptions for auth and validation failures, and
golden checks of the exact error JSON on the wire."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from gr4vy import auth, errors

from conftest import BOTH_SCOPES, KeyPair

NOT_FOUND = {
    "type": "error",
    "code": "not_found",
    "status": 404,
    "message": "The resource could not be found",
    "details": [],
}
UNAUTHORIZED = {
    "type": "error",
    "code": "unauthorized",
    "status": 401,
    "message": "No valid API authentication found",
    "details": [],
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# -- auth through the SDK ---------------------------------------------------


def test_a_read_only_token_cannot_update(server):
    writer = server.client()
    cs = writer.checkout_sessions.create()
    reader = server.client(scopes=["checkout-sessions.read"])
    assert reader.checkout_sessions.get(session_id=cs.id).id == cs.id
    with pytest.raises(errors.Error403) as e:
        reader.checkout_sessions.update(session_id=cs.id, metadata={"a": "b"})
    assert e.value.data.code == "forbidden"
    assert e.value.data.message == "Missing scope checkout-sessions.write"
    for call in (
        lambda: reader.checkout_sessions.create(),
        lambda: reader.checkout_sessions.delete(session_id=cs.id),
    ):
        with pytest.raises(errors.Error403):
            call()


def test_a_write_only_token_cannot_read(server):
    writer = server.client(scopes=["checkout-sessions.write"])
    cs = writer.checkout_sessions.create()
    with pytest.raises(errors.Error403) as e:
        writer.checkout_sessions.get(session_id=cs.id)
    assert e.value.data.message == "Missing scope checkout-sessions.read"


def test_other_scopes_do_not_grant_checkout_sessions(server):
    client = server.client(scopes=["transactions.read", "transactions.write", "embed"])
    with pytest.raises(errors.Error403):
        client.checkout_sessions.create()


def test_a_token_from_an_unknown_key_is_unauthorized(server):
    stranger = server.client(key=KeyPair.generate())
    with pytest.raises(errors.Error401) as e:
        stranger.checkout_sessions.create()
    assert e.value.data.code == "unauthorized"
    assert e.value.data.message == "No valid API authentication found"


def test_an_expired_token_is_unauthorized(server):
    expired = auth.get_token(server.key.private_pem, scopes=BOTH_SCOPES, expires_in=-300)
    from gr4vy import Gr4vy

    client = Gr4vy(server_url=server.base, bearer_auth=expired, merchant_account_id="default")
    with pytest.raises(errors.Error401):
        client.checkout_sessions.create()
    with pytest.raises(errors.Error401):
        client.checkout_sessions.get(session_id=str(uuid.uuid4()))


def test_a_missing_token_is_unauthorized(server):
    resp = server.http("POST", "/checkout/sessions", token=None)
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json() == UNAUTHORIZED
    assert "invalid_token" in resp.headers["www-authenticate"]


def test_forged_tokens_are_unauthorized(server):
    good = server.key.token(BOTH_SCOPES)
    head, body, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["scopes"] = ["*.read", "*.write", "admin"]
    tampered = f"{head}.{b64(json.dumps(claims).encode())}.{sig}"
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    unsigned = f"{b64(json.dumps({**header, 'alg': 'none'}).encode())}.{body}."
    for token in (tampered, unsigned, "not-a-jwt", good + "x"):
        resp = server.http("GET", f"/checkout/sessions/{uuid.uuid4()}", token=token)
        assert resp.status_code == 401, token
        assert resp.json() == UNAUTHORIZED


def test_auth_is_checked_before_the_body(server):
    resp = server.http("PUT", f"/checkout/sessions/{uuid.uuid4()}", token="x.y.z", data=b"{not json")
    assert resp.status_code == 401


# -- validation through the SDK ----------------------------------------------


def test_invalid_cart_items_raise_error400_with_a_detail_per_field(client):
    # Arrange
    cart_items = [
        {"name": "", "quantity": 0, "unit_amount": 100},
        {"name": "ok", "quantity": 1, "unit_amount": 100_000_000, "seller_country": "usa"},
    ]
    # Act
    with pytest.raises(errors.Error400) as e:
        client.checkout_sessions.create(checkout_session_create={"cart_items": cart_items})
    # Assert
    data = e.value.data
    assert (data.code, data.status, data.message) == ("bad_request", 400, "Request failed validation")
    got = [(d.location, d.pointer, d.type) for d in data.details]
    assert got == [
        ("body", "/cart_items/0/name", "string_too_short"),
        ("body", "/cart_items/0/quantity", "greater_than"),
        ("body", "/cart_items/1/unit_amount", "less_than_equal"),
        ("body", "/cart_items/1/seller_country", "string_pattern_mismatch"),
    ]


def test_invalid_updates_raise_error400_and_change_nothing(client):
    cs = client.checkout_sessions.create(checkout_session_create={"metadata": {"a": "1"}})
    with pytest.raises(errors.Error400) as e:
        client.checkout_sessions.update(
            session_id=cs.id,
            metadata={"b": "2"},
            airline={"legs": [{"flight_number": "BA117"}] * 21, "passengers": [{"phone_number": "555"}]},
        )
    pointers = [d.pointer for d in e.value.data.details]
    assert pointers == ["/airline/legs", "/airline/passengers/0/phone_number"]
    assert client.checkout_sessions.get(session_id=cs.id).metadata == {"a": "1"}


def test_expires_in_out_of_range_is_rejected(client):
    for value in (3599, 86401):
        with pytest.raises(errors.Error400) as e:
            client.checkout_sessions.create(checkout_session_create={"expires_in": value})
        assert e.value.data.details[0].pointer == "/expires_in"


# -- golden error JSON on the wire ---------------------------------------------


def test_validation_error_json_is_exact(server):
    resp = server.http(
        "POST",
        "/checkout/sessions",
        json={"cart_items": [{"name": "x", "quantity": 0, "unit_amount": 1}], "colour": "red"},
    )
    assert resp.status_code == 400
    assert resp.headers["content-type"] == "application/json"
    assert resp.json() == {
        "type": "error",
        "code": "bad_request",
        "status": 400,
        "message": "Request failed validation",
        "details": [
            {
                "location": "body",
                "pointer": "/cart_items/0/quantity",
                "message": "Input should be greater than 0",
                "type": "greater_than",
            },
            {
                "location": "body",
                "pointer": "/colour",
                "message": "Extra inputs are not permitted",
                "type": "extra_forbidden",
            },
        ],
    }


def test_malformed_json_is_a_400_in_the_same_envelope(server):
    resp = server.http(
        "POST", "/checkout/sessions", data=b'{"cart_items": [', headers={"content-type": "application/json"}
    )
    assert resp.status_code == 400
    body = resp.json()
    assert (body["type"], body["code"], body["status"]) == ("error", "bad_request", 400)
    assert body["details"][0]["type"] == "json_invalid"
    assert body["details"][0]["location"] == "body"


def test_update_without_a_body_is_a_400(server):
    cs = server.http("POST", "/checkout/sessions").json()
    resp = server.http("PUT", f"/checkout/sessions/{cs['id']}")
    assert resp.status_code == 400
    assert resp.json()["details"] == [
        {"location": "body", "pointer": "", "message": "Field required", "type": "missing"}
    ]


def test_not_found_json_is_exact(server):
    resp = server.http("GET", f"/checkout/sessions/{uuid.uuid4()}")
    assert resp.status_code == 404
    assert resp.json() == NOT_FOUND


def test_a_session_id_that_is_not_a_uuid_is_a_400_about_the_path(server):
    resp = server.http("GET", "/checkout/sessions/cs_test_123")
    assert resp.status_code == 400
    assert resp.json()["details"] == [
        {
            "location": "path",
            "pointer": "/session_id",
            "message": "Input should be a valid UUID",
            "type": "uuid_parsing",
        }
    ]


def test_delete_answers_204_with_no_body(server):
    cs = server.http("POST", "/checkout/sessions", json={}).json()
    resp = server.http("DELETE", f"/checkout/sessions/{cs['id']}")
    assert resp.status_code == 204
    assert resp.content == b""
    assert server.http("DELETE", f"/checkout/sessions/{cs['id']}").json() == NOT_FOUND


def test_other_methods_are_405_in_the_envelope(server):
    resp = server.http("PATCH", f"/checkout/sessions/{uuid.uuid4()}", json={})
    assert resp.status_code == 405
    assert resp.json() == {
        "type": "error",
        "code": "method_not_allowed",
        "status": 405,
        "message": "Method Not Allowed",
        "details": [],
    }
    assert server.http("GET", "/checkout/sessions").status_code == 405


def test_oversized_bodies_are_refused(server):
    resp = server.http(
        "POST",
        "/checkout/sessions",
        data=b'{"metadata": {"k": "' + b"x" * (2 * 1024 * 1024) + b'"}}',
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.json()["type"] == "error"


def test_create_accepts_a_null_body_and_a_list(server):
    for data in (b"null", b"[]", b"[{}]", b"   "):
        resp = server.http("POST", "/checkout/sessions", data=data, headers={"content-type": "application/json"})
        assert resp.status_code == 201, (data, resp.text)
        assert resp.json()["type"] == "checkout-session"


def test_odd_bodies_never_cause_a_server_error(server):
    cs = server.http("POST", "/checkout/sessions").json()
    bodies = [
        b"{}",
        b"[1, 2]",
        b'"text"',
        b"12",
        b"true",
        b'{"cart_items": [null]}',
        b'{"cart_items": [[]]}',
        b'{"metadata": {"a": {"b": 1}}}',
        b'{"airline": {"legs": [null, 1, "x"]}}',
        b'{"buyer": {"billing_details": {"address": []}}}',
        b'{"amount": 1e400}',
        b'{"amount": 18446744073709551616}',
        b'{"expires_in": -1e308}',
        b'{"cart_items": [{"name": "\\ud800", "quantity": 1, "unit_amount": 1}]}',
        b"\xff\xfe",
        b"[" * 10000,
    ]
    for method, path in (("POST", "/checkout/sessions"), ("PUT", f"/checkout/sessions/{cs['id']}")):
        for data in bodies:
            resp = server.http(method, path, data=data, headers={"content-type": "application/json"})
            assert resp.status_code < 500, (method, data[:40], resp.status_code, resp.text)
            assert resp.headers["content-type"].startswith("application/json")
