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
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

import pytest
import requests
import stripe

REPO_ROOT = Path(__file__).resolve().parents[3]
STARTUP_TIMEOUT = 30.0
LISTENING = re.compile(r"listening on (https?://[^\s\"'`,;]+)")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

OTHER_ACCOUNT = "acct_other"


def random_key(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


# --------------------------------------------------------------------------
# form encoding for raw HTTP calls (the same indexed format the SDK uses)
# --------------------------------------------------------------------------


def encode_form(params: Optional[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Encode params as Stripe's SDKs do: ``a[b]=..``, ``a[0]=..``, booleans
    as ``true``/``false``, ``None`` omitted."""
    out: list[tuple[str, str]] = []

    def walk(key: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(f"{key}[{k}]", v)
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(f"{key}[{i}]", v)
        elif isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        else:
            out.append((key, str(value)))

    for k, v in (params or {}).items():
        walk(k, v)
    return out


# --------------------------------------------------------------------------
# databases
# --------------------------------------------------------------------------


class Database:
    """A fresh database for one server: a SQLite file or a new PostgreSQL DB."""

    def __init__(self, tmp_dir: Path):
        self.tmp_dir = tmp_dir
        self.pg_admin_url: Optional[str] = None
        self.pg_name: Optional[str] = None
        admin = os.environ.get("CHECKOUTD_TEST_DATABASE_URL", "").strip()
        if admin.startswith(("postgres://", "postgresql://")):
            self.pg_admin_url = admin
            self.pg_name = "checkoutd_sdk_" + secrets.token_hex(6)
            self._psql(f'CREATE DATABASE "{self.pg_name}"')
            parts = urllib.parse.urlsplit(admin)
            self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.pg_name))
        elif admin and not admin.startswith("sqlite"):
            raise pytest.UsageError(f"CHECKOUTD_TEST_DATABASE_URL: unsupported URL {admin!r}")
        elif admin:
            self.url = admin
        else:
            self.url = "sqlite://" + str(tmp_dir / "checkoutd.db")

    def _psql(self, sql: str) -> None:
        psql = shutil.which("psql")
        if psql is None:
            raise RuntimeError("CHECKOUTD_TEST_DATABASE_URL is a postgres URL but `psql` is not installed")
        proc = subprocess.run(
            [psql, self.pg_admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed ({sql}): {proc.stderr.strip()}")

    def drop(self) -> None:
        if self.pg_name:
            try:
                self._psql(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            except RuntimeError:
                pass


# --------------------------------------------------------------------------
# the server process
# --------------------------------------------------------------------------


def server_binary() -> Path:
    raw = os.environ.get("CHECKOUTD_BIN", "target/debug/checkoutd")
    path = Path(raw)
    if not path.is_absolute():
        cwd_path = Path.cwd() / path
        path = cwd_path if cwd_path.exists() else REPO_ROOT / path
    return path


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
    binary = server_binary()
    if not binary.exists():
        pytest.fail(
            f"checkoutd binary not found at {binary}; build it with `cargo build -p checkoutd` "
            "or set CHECKOUTD_BIN",
            pytrace=False,
        )
    db = db or Database(tmp_dir)
    test_key, live_key, other_key = keys or (random_key("sk_test_"), random_key("sk_live_"), random_key("sk_test_"))
    cmd = [
        str(binary),
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
    env = dict(os.environ)
    env.setdefault("NO_COLOR", "1")
    for var in ("CHECKOUTD_ADDR", "CHECKOUTD_DATABASE_URL", "CHECKOUTD_API_KEYS", "CHECKOUTD_PUBLIC_URL"):
        env.pop(var, None)
    proc = subprocess.Popen(
        cmd,
        cwd=str(tmp_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
        errors="replace",
        bufsize=1,
    )
    output: collections.deque = collections.deque(maxlen=2000)
    found: dict[str, str] = {}
    ready = threading.Event()

    def pump() -> None:
        # Keep draining the pipe for the whole life of the process, so a
        # chatty server never blocks on a full pipe.
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if not ready.is_set():
                m = LISTENING.search(ANSI.sub("", line))
                if m:
                    found["base"] = m.group(1).rstrip("/.")
                    ready.set()
        ready.set()

    threading.Thread(target=pump, name="checkoutd-stdout", daemon=True).start()
    ready.wait(timeout=STARTUP_TIMEOUT)
    if "base" not in found:
        exited = proc.poll()
        if exited is None:
            proc.kill()
        proc.wait(timeout=10)
        db.drop()
        waited = "exited with status %s" % proc.returncode if exited is not None else (
            "printed no `listening on http://HOST:PORT` line within %.0f s" % STARTUP_TIMEOUT
        )
        pytest.fail(
            f"checkoutd {waited}.\ncommand: {' '.join(cmd)}\noutput:\n{''.join(output) or '<none>'}",
            pytrace=False,
        )
    server = Server(
        base=found["base"],
        test_key=test_key,
        live_key=live_key,
        other_key=other_key,
        database_url=db.url,
        proc=proc,
        output=output,
    )
    return server, db


def stop_server(server: Server, db: Database) -> None:
    proc = server.proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
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
