"""Rate limiting through the official SDK: a key past ``--rate-limit``
gets Stripe's 429 ``rate_limit`` error, which stripe-python raises as
``stripe.RateLimitError``; another key is unaffected."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path

import pytest
import stripe

from checkoutd_process import Database, start  # conftest puts tests/pylib on sys.path


def random_key(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


@pytest.fixture
def limited_server():
    """A server of its own allowing 2 requests/s per key (burst 2)."""
    tmp = Path(tempfile.mkdtemp(prefix="checkoutd-limits-"))
    db = Database(tmp, prefix="checkoutd_limits_")
    test_key, other_key = random_key("sk_test_"), random_key("sk_test_")
    process = start(
        [
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            db.url,
            "--api-keys",
            f"{test_key},acct_other:{other_key}",
            "--rate-limit",
            "2",
        ],
        tmp,
    )
    try:
        yield process.base, test_key, other_key
    finally:
        process.stop()
        db.drop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_key_past_its_rate_limit_raises_rate_limit_error(limited_server):
    base, key, other = limited_server
    client = stripe.StripeClient(key, base_addresses={"api": base}, max_network_retries=0)
    with pytest.raises(stripe.RateLimitError) as caught:
        for _ in range(10):
            client.v1.products.list()
    err = caught.value
    assert err.http_status == 429
    # RateLimitError takes no `code` argument; the parsed error object has it.
    assert err.error is not None and err.error.code == "rate_limit"
    assert err.error.type == "invalid_request_error"
    assert "Too many requests hit the API too quickly" in err.error.message
    # Another key has its own bucket.
    other_client = stripe.StripeClient(other, base_addresses={"api": base}, max_network_retries=0)
    assert other_client.v1.products.list().data == []
