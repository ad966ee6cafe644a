"""Webhooks through the official SDK: endpoints, events, and deliveries whose
signature ``stripe.Webhook.construct_event`` accepts."""

from __future__ import annotations

import http.server
import queue
import threading

import pytest
import stripe


class Receiver:
    """A loopback HTTP receiver that fails its first ``fail_first`` posts."""

    def __init__(self, fail_first: int = 0) -> None:
        self.deliveries: queue.Queue = queue.Queue()
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                outer.hits += 1
                if outer.hits <= fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                outer.deliveries.put((self.headers.get("stripe-signature"), body.decode()))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def next(self, timeout: float = 15.0) -> tuple[str, str]:
        return self.deliveries.get(timeout=timeout)

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_a_completed_session_arrives_signed_and_construct_event_accepts_it(fresh_server, receiver):
    client = fresh_server.client()
    endpoint = client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["checkout.session.completed"]})
    assert endpoint.secret.startswith("whsec_")
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 1200, "product_data": {"name": "Mug"}})
    session = client.v1.checkout.sessions.create(
        {"mode": "payment", "success_url": "https://example.com/ok", "line_items": [{"price": price.id, "quantity": 1}]}
    )
    fresh_server.complete_session(session.id, email="a@example.com")

    signature, payload = receiver.next()
    event = stripe.Webhook.construct_event(payload, signature, endpoint.secret)

    assert event.type == "checkout.session.completed"
    assert event.data.object.id == session.id
    assert event.data.object.customer_details.email == "a@example.com"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, signature, "whsec_wrong")
    fetched = client.v1.events.retrieve(event.id)
    assert fetched.type == "checkout.session.completed"


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt(fresh_server):
    flaky = Receiver(fail_first=2)
    try:
        client = fresh_server.client()
        endpoint = client.v1.webhook_endpoints.create({"url": flaky.url, "enabled_events": ["product.created"]})
        product = client.v1.products.create({"name": "Lamp"})
        signature, payload = flaky.next()
        event = stripe.Webhook.construct_event(payload, signature, endpoint.secret)
        assert event.data.object.id == product.id
        assert flaky.hits == 3
    finally:
        flaky.close()


def test_clock_advance_expires_a_session_and_delivers_one_expired_event(fresh_server, receiver):
    client = fresh_server.client()
    endpoint = client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["checkout.session.expired"]})
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 300, "product_data": {"name": "Pin"}})
    session = client.v1.checkout.sessions.create(
        {"mode": "payment", "success_url": "https://example.com/ok", "line_items": [{"price": price.id, "quantity": 1}]}
    )
    fresh_server.advance_clock(90000)

    signature, payload = receiver.next()
    event = stripe.Webhook.construct_event(payload, signature, endpoint.secret)

    assert event.type == "checkout.session.expired"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    events = client.v1.events.list({"type": "checkout.session.expired"})
    assert [e.id for e in events.auto_paging_iter()] == [event.id]
    with pytest.raises(queue.Empty):
        receiver.next(timeout=0.5)


def test_webhook_endpoints_crud_hides_the_secret_after_create(fresh_server):
    client = fresh_server.client()
    created = client.v1.webhook_endpoints.create({"url": "https://example.com/h", "enabled_events": ["*"], "metadata": {"a": "1"}})
    got = client.v1.webhook_endpoints.retrieve(created.id)
    assert "secret" not in got
    updated = client.v1.webhook_endpoints.update(created.id, {"disabled": True})
    assert updated.status == "disabled"
    assert [e.id for e in client.v1.webhook_endpoints.list().auto_paging_iter()] == [created.id]
    deleted = client.v1.webhook_endpoints.delete(created.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.webhook_endpoints.retrieve(created.id)
