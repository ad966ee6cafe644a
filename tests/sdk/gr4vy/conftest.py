"""Fixtures for the Gr4vy SDK black-box suite.

The suite starts the real ``checkoutd`` binary with a P-521 key pair made
at test time (``--gr4vy-public-keys`` gets the public half as SPKI PEM) and
talks to it through the official SDK (``gr4vy`` 2.4.27), which signs its own
ES512 tokens with the private half (``auth.with_token``), and, where the
SDK hides the wire, through ``requests`` with tokens from ``auth.get_token``.

Environment:

* ``CHECKOUTD_BIN`` - the server binary (default ``target/debug/checkoutd``
  relative to the repository root).
* ``CHECKOUTD_TEST_DATABASE_URL`` - if set to a ``postgres://`` URL, every
  server gets a freshly created database (random name) on that PostgreSQL
  server, dropped at the end; otherwise a fresh SQLite file.

Fixtures:

* ``server`` (session) - the shared server: keys for the default account
  (``key``) and for ``acct_other`` (``other_key``), and a Stripe test key of
  the default account (for the clock test helper).
* ``fresh_server`` (function) - a server with its own database, for tests
  that move the account's clock.
* ``client`` - a ``Gr4vy`` client on the shared server with both
  checkout-session scopes and merchant account ``default``.
"""

from __future__ import annotations

import collections
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from gr4vy import Gr4vy, auth

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pylib"))
from checkoutd_process import Database, StartError, start, stop  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[3]
OTHER_ACCOUNT = "acct_other"
BOTH_SCOPES = ["checkout-sessions.write", "checkout-sessions.read"]


@dataclass
class KeyPair:
    private_pem: str
    public_pem: str

    @staticmethod
    def generate() -> "KeyPair":
        key = ec.generate_private_key(ec.SECP521R1())
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        ).decode()
        return KeyPair(private_pem, public_pem)

    def token(self, scopes: Optional[list[str]] = None, expires_in: int = 3600) -> str:
        return auth.get_token(self.private_pem, scopes=scopes, expires_in=expires_in)


@dataclass
class Server:
    base: str
    key: KeyPair
    other_key: KeyPair
    stripe_key: str
    proc: subprocess.Popen
    output: collections.deque = field(repr=False)

    def client(
        self,
        scopes: Optional[list[str]] = BOTH_SCOPES,
        key: Optional[KeyPair] = None,
        merchant_account_id: Optional[str] = "default",
        **kwargs: Any,
    ) -> Gr4vy:
        """An SDK client signing a fresh token per request with `key`."""
        signer = key or self.key
        return Gr4vy(
            server_url=self.base,
            bearer_auth=auth.with_token(signer.private_pem, scopes=scopes),
            merchant_account_id=merchant_account_id,
            **kwargs,
        )

    def http(
        self,
        method: str,
        path: str,
        *,
        token: Optional[str] = "default",
        json: Any = None,
        data: Optional[bytes] = None,
        headers: Optional[dict[str, str]] = None,
    ) -> requests.Response:
        """One raw request, bearing a fresh all-scopes token unless told otherwise."""
        hdrs = {}
        if token == "default":
            token = self.key.token(BOTH_SCOPES)
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        hdrs.update(headers or {})
        return requests.request(method, self.base + path, json=json, data=data, headers=hdrs, timeout=30)

    def advance_clock(self, seconds: int) -> None:
        """Move the default account's clock with the Stripe-dialect test helper."""
        resp = requests.post(
            self.base + "/v1/test_helpers/clock/advance",
            data={"seconds": str(seconds)},
            headers={"Authorization": f"Bearer {self.stripe_key}"},
            timeout=30,
        )
        assert resp.status_code == 200, resp.text


def start_server(tmp_dir: Path) -> tuple[Server, Database]:
    db = Database(tmp_dir, prefix="checkoutd_gr4vy_")
    key, other_key = KeyPair.generate(), KeyPair.generate()
    (tmp_dir / "gr4vy.pem").write_text(key.public_pem)
    (tmp_dir / "gr4vy-other.pem").write_text(other_key.public_pem)
    stripe_key = "sk_test_" + secrets.token_hex(12)
    args = [
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--database-url",
        db.url,
        "--api-keys",
        stripe_key,
        "--gr4vy-public-keys",
        f"{tmp_dir / 'gr4vy.pem'},{OTHER_ACCOUNT}:{tmp_dir / 'gr4vy-other.pem'}",
    ]
    try:
        process = start(args, tmp_dir)
    except StartError as e:
        db.drop()
        pytest.fail(str(e), pytrace=False)
    return Server(process.base, key, other_key, stripe_key, process.proc, process.output), db


def stop_server(server: Server, db: Database) -> None:
    stop(server.proc)
    db.drop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("checkoutd-gr4vy")
    srv, db = start_server(tmp)
    try:
        yield srv
    finally:
        stop_server(srv, db)


@pytest.fixture
def fresh_server():
    """A server with an empty database of its own (for clock moves)."""
    tmp = Path(tempfile.mkdtemp(prefix="checkoutd-gr4vy-"))
    srv, db = start_server(tmp)
    try:
        yield srv
    finally:
        stop_server(srv, db)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def client(server: Server) -> Gr4vy:
    return server.client()


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
