"""Small builders shared by the test modules (each test still creates its own objects)."""

from __future__ import annotations

import secrets
import time
from typing import Any, Callable, Optional

import stripe

SUCCESS_URL = "https://example.com/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://example.com/cancel"
RETURN_URL = "https://example.com/return?session_id={CHECKOUT_SESSION_ID}"


def unique(prefix: str = "") -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def make_price(
    unit_amount: int = 1099,
    currency: str = "usd",
    name: Optional[str] = None,
    **extra: Any,
) -> stripe.Price:
    """A one-time price with an inline product, through the module-level API."""
    return stripe.Price.create(
        currency=currency,
        unit_amount=unit_amount,
        product_data={"name": name or unique("Product ")},
        **extra,
    )


def make_session(**params: Any) -> stripe.checkout.Session:
    """A payment-mode hosted session; `params` override/extend the defaults."""
    if "line_items" not in params and params.get("mode", "payment") != "setup":
        params["line_items"] = [{"price": make_price().id, "quantity": 1}]
    params.setdefault("mode", "payment")
    ui_mode = params.get("ui_mode")
    if ui_mode in (None, "hosted_page", "hosted"):
        params.setdefault("success_url", SUCCESS_URL)
    return stripe.checkout.Session.create(**params)


def ids(objects) -> list[str]:
    return [o.id for o in objects]


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.1) -> Any:
    """Poll until predicate() is truthy; return its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value
