"""Fixtures for the stripe-python black-box suite.

The suite starts the real ``checkoutd`` binary and talks to it only over
HTTP, through the official SDK (``stripe`` 16.1.0) and, where the SDK hides
the wire, through ``requests``.

Environment:

* ``CHECKOUTD_BIN`` - the server binary (default ``target/debug/checkoutd``
  relative to the repository root).
* ``CHECKOUTD_TEST_DATABASE_URL`` - if set to a ``postgres://`` URL, every
  server gets a freshly created database (random name) on that PostgreSQL
  server, dropped at the end; otherwise each server gets a fresh SQLite file
  in a temporary directory.

Fixtures:

* ``server`` (session) - the shared server; the ``stripe`` module globals
  (``api_base``, ``api_key``, ``max_network_retries = 0``) point at it.
* ``fresh_server`` (function) - a server of its own with an empty database,
  for tests that need an empty account (exact list contents) or move the
  account's clock.
* ``client`` - a ``stripe.StripeClient`` on the shared server's test key.
"""

from __future__ import annotations

import collections
import secrets
import sys
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

import pytest
import requests
import stripe

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pylib"))
from checkoutd_process import Database, StartError, encode_form, start, stop  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[3]

OTHER_ACCOUNT = "acct_other"


def random_key(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


# --------------------------------------------------------------------------
# form encoding for raw HTTP calls (the same indexed format the SDK uses)
# --------------------------------------------------------------------------


@dataclass
class Server:
    base: str
    test_key: str
    live_key: str
    other_key: str
    database_url: str
    proc: subprocess.Popen
    output: collections.deque = field(repr=False)

    # -- SDK ------------------------------------------------------------

    def client(self, key: Optional[str] = None, **kwargs: Any) -> stripe.StripeClient:
        kwargs.setdefault("max_network_retries", 0)
        return stripe.StripeClient(
            self.test_key if key is None else key,
            base_addresses={"api": self.base},
            **kwargs,
        )

    def deserialize(self, response: stripe.StripeResponse, key: Optional[str] = None) -> stripe.StripeObject:
        return self.client(key).deserialize(response, api_mode="V1")

    # -- raw HTTP -------------------------------------------------------

    def http(
        self,
        method: str,
        path: str,
        params: Optional[Mapping[str, Any]] = None,
        *,
        key: Optional[str] = "default",
        headers: Optional[Mapping[str, str]] = None,
    ) -> requests.Response:
        """One raw HTTP request: form body for POST, query string otherwise."""
        hdrs = {"Stripe-Version": stripe.api_version}
        if key == "default":
            key = self.test_key
        if key:
            hdrs["Authorization"] = f"Bearer {key}"
        hdrs.update(headers or {})
        form = encode_form(params)
        if method.upper() == "POST":
            return requests.request(method, self.base + path, data=form, headers=hdrs, timeout=30)
        return requests.request(method, self.base + path, params=form, headers=hdrs, timeout=30)

    # -- test helpers ---------------------------------------------------

    def complete_session(self, session_id: str, key: Optional[str] = None, **params: Any) -> stripe.StripeObject:
        """POST /v1/test_helpers/checkout/sessions/{id}/complete via the SDK's raw_request."""
        client = self.client(key)
        resp = client.raw_request("post", f"/v1/test_helpers/checkout/sessions/{session_id}/complete", **params)
        return client.deserialize(resp, api_mode="V1")

    def advance_clock(self, seconds: int, key: Optional[str] = None) -> stripe.StripeResponse:
        client = self.client(key)
        return client.raw_request("post", "/v1/test_helpers/clock/advance", seconds=seconds)

    def recent_output(self) -> str:
        return "".join(self.output)


def start_server(
    tmp_dir: Path,
    *,
    subcommand: bool = True,
    db: Optional[Database] = None,
    keys: Optional[tuple[str, str, str]] = None,
) -> tuple[Server, Database]:
    """Start checkoutd on a free port and wait for its `listening on` line.

    By default with a fresh database and fresh keys; pass the `db` and `keys`
    (test, live, other) of an earlier server to restart on the same data.
    """
    db = db or Database(tmp_dir, prefix="checkoutd_sdk_")
    test_key, live_key, other_key = keys or (random_key("sk_test_"), random_key("sk_live_"), random_key("sk_test_"))
    args = [
        *(["serve"] if subcommand else []),
        "--addr",
        "127.0.0.1:0",
        "--database-url",
        db.url,
        "--api-keys",
        f"{test_key},{live_key},{OTHER_ACCOUNT}:{other_key}",
        # Fast workers so webhook tests see deliveries and retries quickly.
        "--worker-poll-ms",
        "50",
        "--webhook-retry-base-ms",
        "200",
    ]
    try:
        process = start(args, tmp_dir)
    except StartError as e:
        db.drop()
        pytest.fail(str(e), pytrace=False)
    server = Server(
        base=process.base,
        test_key=test_key,
        live_key=live_key,
        other_key=other_key,
        database_url=db.url,
        proc=process.proc,
        output=process.output,
    )
    return server, db


def stop_server(server: Server, db: Database) -> None:
    stop(server.proc)
    db.drop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("checkoutd")
    srv, db = start_server(tmp)
    try:
        yield srv
    finally:
        stop_server(srv, db)


@pytest.fixture
def fresh_server():
    """A server with an empty database of its own (for exact list contents and clock moves)."""
    tmp = Path(tempfile.mkdtemp(prefix="checkoutd-fresh-"))
    srv, db = start_server(tmp)
    try:
        yield srv
    finally:
        stop_server(srv, db)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def stripe_globals(server: Server):
    """Point the module-level SDK configuration (`stripe.api_base`, ...) at the shared server."""
    saved = (stripe.api_base, stripe.api_key, stripe.max_network_retries, stripe.enable_telemetry)
    stripe.api_base = server.base
    stripe.api_key = server.test_key
    stripe.max_network_retries = 0
    stripe.enable_telemetry = False
    try:
        yield
    finally:
        stripe.api_base, stripe.api_key, stripe.max_network_retries, stripe.enable_telemetry = saved


@pytest.fixture
def client(server: Server) -> stripe.StripeClient:
    return server.client()


@pytest.fixture
def uid() -> str:
    """A short random token to make names/emails unique per test."""
    return secrets.token_hex(4)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of the server's output to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for name in ("fresh_server", "server"):
            srv = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if isinstance(srv, Server):
                tail = "".join(list(srv.output)[-40:])
                report.sections.append((f"checkoutd output ({name}, last 40 lines)", tail))
                break
