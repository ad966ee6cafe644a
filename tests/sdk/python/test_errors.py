"""Errors, auth, idempotency, request ids, versions and tenant isolation."""

from __future__ import annotations

import uuid

import pytest
import requests
import stripe

from support import make_price, make_session, unique

NO_KEY_MESSAGE = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, "
    "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
)


@pytest.fixture(autouse=True)
def no_retries():
    """Errors must surface at once: the SDK would otherwise retry some of them."""
    saved = stripe.max_network_retries
    stripe.max_network_retries = 0
    yield
    stripe.max_network_retries = saved


# ---------------------------------------------------------------------------
# invalid requests
# ---------------------------------------------------------------------------


def test_an_unknown_parameter_is_rejected_with_stripes_message_and_param():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Product.create(name=unique("P "), foo="bar")

    # Assert
    err = caught.value
    assert err.http_status == 400
    assert err.user_message.startswith("Received unknown parameter: foo")
    assert err.param == "foo"
    assert err.code == "parameter_unknown"
    assert err.error.type == "invalid_request_error"


def test_an_unknown_nested_parameter_is_named_with_its_bracket_path():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Price.create(currency="usd", unit_amount=100, product_data={"name": "x", "colour": "red"})

    # Assert
    assert caught.value.http_status == 400
    assert caught.value.user_message.startswith("Received unknown parameter: product_data[colour]")
    assert caught.value.param == "product_data[colour]"


def test_a_missing_required_parameter_is_reported_with_its_name():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Product.create(description="a product without a name")

    # Assert
    err = caught.value
    assert err.http_status == 400
    assert err.user_message.startswith("Missing required param: name")
    assert err.param == "name"
    assert err.code == "parameter_missing"


def test_a_non_integer_amount_is_rejected_as_an_invalid_integer():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Price.create(currency="usd", unit_amount="abc", product_data={"name": unique("P ")})

    # Assert
    err = caught.value
    assert err.http_status == 400
    assert err.user_message == "Invalid integer: abc"
    assert err.param == "unit_amount"
    assert err.code == "parameter_invalid_integer"


def test_a_value_outside_an_enum_is_rejected_for_that_param():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Price.create(
            currency="usd", unit_amount=100, product_data={"name": unique("P ")}, tax_behavior="sometimes"
        )

    # Assert
    err = caught.value
    assert err.http_status == 400
    assert err.param == "tax_behavior"
    assert "sometimes" in err.user_message or "exclusive" in err.user_message


def test_an_invalid_session_mode_is_rejected_for_param_mode():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.checkout.Session.create(
            mode="bogus",
            success_url="https://example.com/s",
            line_items=[{"price": make_price().id, "quantity": 1}],
        )

    # Assert
    err = caught.value
    assert err.http_status == 400
    assert err.param == "mode"
    assert "payment" in err.user_message


def test_a_string_longer_than_its_limit_is_rejected():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Product.create(name=unique("P "), unit_label="x" * 13)

    # Assert
    err = caught.value
    assert err.http_status == 400
    assert err.param == "unit_label"
    assert "12" in err.user_message


def test_a_too_long_shipping_rate_display_name_is_rejected():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.ShippingRate.create(
            display_name="d" * 101, type="fixed_amount", fixed_amount={"amount": 100, "currency": "usd"}
        )

    # Assert
    assert caught.value.http_status == 400
    assert caught.value.param == "display_name"


def test_a_metadata_key_longer_than_40_characters_is_rejected():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Product.create(name=unique("P "), metadata={"k" * 41: "v"})

    # Assert
    assert caught.value.http_status == 400
    assert caught.value.user_message.startswith("Metadata keys can have up to 40 characters")


def test_a_non_boolean_flag_is_rejected_as_an_invalid_boolean():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Product.create(name=unique("P "), active="maybe")

    # Assert
    assert caught.value.http_status == 400
    assert caught.value.param == "active"
    assert caught.value.user_message == "Invalid boolean: maybe"


@pytest.mark.parametrize("limit", [0, 101])
def test_a_list_limit_outside_1_to_100_is_rejected(limit):
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Product.list(limit=limit)

    # Assert
    assert caught.value.http_status == 400
    assert caught.value.param == "limit"


def test_starting_after_and_ending_before_together_are_rejected():
    # Arrange
    a = stripe.Product.create(name=unique("A "))
    b = stripe.Product.create(name=unique("B "))

    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Product.list(starting_after=a.id, ending_before=b.id)

    # Assert
    assert caught.value.http_status == 400


def test_explicit_array_keys_must_start_at_zero(server):
    # Arrange
    session = make_session()

    # Act: expand[1]=line_items without expand[0]
    response = server.http("GET", f"/v1/checkout/sessions/{session.id}?expand[1]=line_items", None)

    # Assert
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == "expand"
    assert error["message"].startswith("If passing an array with explicit keys")


def test_retrieving_a_price_that_does_not_exist_is_a_404_resource_missing():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Price.retrieve("price_nope")

    # Assert
    err = caught.value
    assert err.http_status == 404
    assert err.code == "resource_missing"
    assert err.user_message == "No such price: 'price_nope'"
    assert err.error.type == "invalid_request_error"


def test_retrieving_a_session_that_does_not_exist_is_a_404_with_the_session_wording():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.checkout.Session.retrieve("cs_test_doesnotexist")

    # Assert
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.user_message == "No such checkout.session: 'cs_test_doesnotexist'"


def test_a_session_referring_to_an_unknown_price_names_the_line_item_param():
    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.checkout.Session.create(
            mode="payment", success_url="https://example.com/s", line_items=[{"price": "price_nope", "quantity": 1}]
        )

    # Assert
    err = caught.value
    assert err.http_status in (400, 404)
    assert err.code == "resource_missing"
    assert err.user_message == "No such price: 'price_nope'"
    assert err.param == "line_items[0][price]"


def test_an_error_response_carries_stripes_envelope(server):
    # Act
    response = server.http("GET", "/v1/prices/price_nope")

    # Assert
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["code"] == "resource_missing"
    assert body["error"]["message"] == "No such price: 'price_nope'"


# ---------------------------------------------------------------------------
# authentication
# ---------------------------------------------------------------------------


def test_a_request_without_an_api_key_is_a_401_with_stripes_message(server):
    # Act
    response = server.http("GET", "/v1/products", key=None)

    # Assert
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"] == NO_KEY_MESSAGE
    assert "Request-Id" in response.headers


def test_the_sdk_turns_a_missing_key_response_into_an_authentication_error(server):
    # Arrange: without a key the SDK refuses to send, so feed it the server's raw answer
    response = server.http("GET", "/v1/products", key=None)
    requestor = server.client()._requestor

    # Act
    with pytest.raises(stripe.AuthenticationError) as caught:
        requestor._interpret_response(response.content, response.status_code, response.headers, "V1")

    # Assert
    assert caught.value.http_status == 401
    assert caught.value.user_message == NO_KEY_MESSAGE
    assert caught.value.request_id == response.headers["Request-Id"]


def test_an_empty_bearer_token_is_an_authentication_error(server):
    # Arrange: an empty key makes the SDK send `Authorization: Bearer ` with nothing after it
    client = server.client(key="")

    # Act
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.products.list()

    # Assert
    assert caught.value.http_status == 401
    assert caught.value.error.type == "invalid_request_error"


def test_a_wrong_api_key_raises_authentication_error_without_echoing_the_key(server):
    # Arrange
    wrong = "sk_test_" + uuid.uuid4().hex + "9876"

    # Act
    with pytest.raises(stripe.AuthenticationError) as caught:
        stripe.Product.list(api_key=wrong)

    # Assert
    err = caught.value
    assert err.http_status == 401
    assert err.user_message.startswith("Invalid API Key provided: ")
    assert err.user_message.endswith("9876")
    assert wrong not in err.user_message
    assert err.error.type == "invalid_request_error"


def test_a_wrong_key_through_stripe_client_is_an_authentication_error_too(server):
    # Arrange
    client = server.client(key="sk_live_" + uuid.uuid4().hex)

    # Act / Assert
    with pytest.raises(stripe.AuthenticationError):
        client.v1.checkout.sessions.list()


def test_basic_auth_with_the_key_as_user_is_accepted(server):
    # Act
    response = requests.get(server.base + "/v1/products", auth=(server.test_key, ""), timeout=30)

    # Assert
    assert response.status_code == 200, response.text
    assert response.json()["object"] == "list"


# ---------------------------------------------------------------------------
# idempotency
# ---------------------------------------------------------------------------


def test_replaying_an_idempotency_key_with_the_same_params_returns_the_same_object():
    # Arrange
    key = "idem-" + uuid.uuid4().hex
    name = unique("Idempotent ")

    # Act
    first = stripe.Product.create(name=name, idempotency_key=key)
    second = stripe.Product.create(name=name, idempotency_key=key)

    # Assert
    assert second.id == first.id
    assert second.created == first.created


def test_reusing_an_idempotency_key_with_different_params_raises_idempotency_error():
    # Arrange
    key = "idem-" + uuid.uuid4().hex
    stripe.Product.create(name=unique("First "), idempotency_key=key)

    # Act
    with pytest.raises(stripe.IdempotencyError) as caught:
        stripe.Product.create(name=unique("Second "), idempotency_key=key)

    # Assert
    err = caught.value
    assert err.http_status == 400
    assert err.error.type == "idempotency_error"
    assert err.user_message.startswith(
        "Keys for idempotent requests can only be used with the same parameters they were first used with."
    )
    assert key in err.user_message


def test_a_request_that_failed_validation_does_not_burn_its_idempotency_key():
    # Arrange: validation failures are not stored, so the key can be used again
    key = "retry-" + uuid.uuid4().hex
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Product.create(name=unique("P "), unit_label="x" * 13, idempotency_key=key)

    # Act
    product = stripe.Product.create(name="fixed", idempotency_key=key)

    # Assert
    assert product.name == "fixed"


def test_a_replayed_response_carries_idempotent_replayed_true(server):
    # Arrange
    key = "raw-" + uuid.uuid4().hex
    params = {"name": unique("Raw idempotent ")}

    # Act
    first = server.http("POST", "/v1/products", params, headers={"Idempotency-Key": key})
    second = server.http("POST", "/v1/products", params, headers={"Idempotency-Key": key})

    # Assert
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert first.headers.get("Idempotent-Replayed", "false") != "true"
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json()["id"] == first.json()["id"]
    assert second.json() == first.json()


def test_each_sdk_post_without_an_explicit_key_creates_a_new_object():
    # Arrange: the SDK adds a fresh random Idempotency-Key to every POST
    name = unique("Twice ")

    # Act
    a = stripe.Product.create(name=name)
    b = stripe.Product.create(name=name)

    # Assert
    assert a.id != b.id


def test_the_same_idempotency_key_in_another_account_is_independent(server):
    # Arrange
    key = "shared-" + uuid.uuid4().hex

    # Act
    mine = stripe.Product.create(name="mine", idempotency_key=key)
    theirs = stripe.Product.create(name="theirs", idempotency_key=key, api_key=server.other_key)

    # Assert
    assert mine.id != theirs.id
    assert theirs.name == "theirs"


# ---------------------------------------------------------------------------
# request ids and versions
# ---------------------------------------------------------------------------


def test_every_response_carries_a_request_id(server):
    # Act
    ok = server.http("GET", "/v1/products", {"limit": 1})
    not_found = server.http("GET", "/v1/products/prod_nope")
    unauthenticated = server.http("GET", "/v1/products", key=None)
    created = server.http("POST", "/v1/products", {"name": unique("Req ")})

    # Assert
    for response in (ok, not_found, unauthenticated, created):
        assert response.headers.get("Request-Id", "").startswith("req_"), response.headers
    assert ok.headers["Request-Id"] != created.headers["Request-Id"]


def test_the_sdk_exposes_the_request_id_of_a_response_and_of_an_error():
    # Act
    product = stripe.Product.create(name=unique("Req id "))
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Product.retrieve("prod_nope")

    # Assert
    assert product.last_response.request_id.startswith("req_")
    assert caught.value.request_id.startswith("req_")


def test_the_stripe_version_sent_by_the_sdk_is_echoed(server):
    # Act
    product = stripe.Product.create(name=unique("Versioned "))
    raw = server.http("GET", "/v1/products", {"limit": 1}, headers={"Stripe-Version": stripe.api_version})

    # Assert
    assert product.last_response.headers.get("Stripe-Version") == stripe.api_version
    assert raw.headers.get("Stripe-Version") == stripe.api_version


def test_a_stripe_client_with_an_explicit_version_gets_it_echoed(server):
    # Arrange
    client = server.client(stripe_version=stripe.api_version)

    # Act
    product = client.v1.products.create({"name": unique("Client versioned ")})

    # Assert
    assert product.last_response.headers.get("Stripe-Version") == stripe.api_version


# ---------------------------------------------------------------------------
# accounts and modes
# ---------------------------------------------------------------------------


def test_an_object_of_another_account_is_not_found(server):
    # Arrange
    theirs = stripe.Product.create(name=unique("Other account "), api_key=server.other_key)

    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Product.retrieve(theirs.id)

    # Assert
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert stripe.Product.retrieve(theirs.id, api_key=server.other_key).id == theirs.id


def test_another_accounts_objects_never_appear_in_lists(server):
    # Arrange
    theirs = stripe.Product.create(name=unique("Hidden "), api_key=server.other_key)

    # Act
    mine = [p.id for p in stripe.Product.list(limit=100).auto_paging_iter()]

    # Assert
    assert theirs.id not in mine


def test_another_accounts_session_cannot_be_expired_or_used_in_a_session(server):
    # Arrange
    their_price = stripe.Price.create(
        currency="usd", unit_amount=100, product_data={"name": "theirs"}, api_key=server.other_key
    )
    their_session = stripe.checkout.Session.create(
        mode="payment",
        success_url="https://example.com/s",
        line_items=[{"price": their_price.id, "quantity": 1}],
        api_key=server.other_key,
    )

    # Act
    with pytest.raises(stripe.InvalidRequestError) as expire_error:
        stripe.checkout.Session.expire(their_session.id)
    with pytest.raises(stripe.InvalidRequestError) as price_error:
        make_session(line_items=[{"price": their_price.id, "quantity": 1}])

    # Assert
    assert expire_error.value.http_status == 404
    assert price_error.value.code == "resource_missing"
    assert stripe.checkout.Session.retrieve(their_session.id, api_key=server.other_key).status == "open"


def test_a_live_key_creates_live_objects_invisible_to_the_test_key(server):
    # Arrange
    live = stripe.Product.create(name=unique("Live "), api_key=server.live_key)

    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Product.retrieve(live.id)

    # Assert
    assert live.livemode is True
    assert caught.value.http_status == 404
    assert stripe.Product.retrieve(live.id, api_key=server.live_key).livemode is True


def test_a_test_mode_object_is_invisible_to_the_live_key(server):
    # Arrange
    test_product = stripe.Product.create(name=unique("Test mode "))

    # Act
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Product.retrieve(test_product.id, api_key=server.live_key)
    live_list = [p.id for p in stripe.Product.list(limit=100, api_key=server.live_key).auto_paging_iter()]

    # Assert
    assert test_product.livemode is False
    assert caught.value.http_status == 404
    assert test_product.id not in live_list


def test_live_mode_sessions_are_live_and_have_live_ids(server):
    # Arrange
    client = server.client(key=server.live_key)
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 500, "product_data": {"name": "Live item"}})

    # Act
    session = client.v1.checkout.sessions.create(
        {"mode": "payment", "success_url": "https://example.com/s", "line_items": [{"price": price.id, "quantity": 1}]}
    )

    # Assert
    assert session.livemode is True
    assert session.id.startswith("cs_live_")
    assert price.livemode is True


def test_test_helpers_are_refused_in_live_mode(server):
    # Arrange
    client = server.client(key=server.live_key)
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 500, "product_data": {"name": "Live item"}})
    session = client.v1.checkout.sessions.create(
        {"mode": "payment", "success_url": "https://example.com/s", "line_items": [{"price": price.id, "quantity": 1}]}
    )

    # Act
    with pytest.raises(stripe.StripeError) as caught:
        server.complete_session(session.id, key=server.live_key)

    # Assert
    assert caught.value.http_status in (400, 403, 404)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
