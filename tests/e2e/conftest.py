"""Fixtures for the hosted-page browser tests.

The suite starts the real ``checkoutd`` binary, creates sessions over the
Stripe API with ``requests`` and drives the hosted page in headless Chromium
(Debian's ``chromium`` and ``chromium-driver``) through Selenium.

Environment:

* ``CHECKOUTD_BIN`` - the server binary (default ``target/debug/checkoutd``).
* ``CHECKOUTD_TEST_DATABASE_URL`` - a ``postgres://`` URL: the server gets a
  fresh database on that server (dropped afterwards); otherwise a SQLite
  file in a temporary directory.
* ``CHROMIUM`` / ``CHROMEDRIVER`` - the browser and driver (default
  ``/usr/bin/chromium`` and ``/usr/bin/chromedriver``).
* ``CHECKOUTD_SCREENSHOT_DIR`` - where ``test_screenshots`` writes the
  README's pictures (default: the test's temporary directory).

Fixtures: ``server`` (one checkoutd for the module), ``api`` (its Stripe API),
``merchant`` (a loopback web server standing in for the merchant's site, the
target of ``success_url`` and ``cancel_url``) and ``browser`` (a factory of
headless Chromium sessions, with or without JavaScript).
"""

from __future__ import annotations

import collections
import http.server
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))
from checkoutd_process import Database, StartError, encode_form, start  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Server:
    base: str
    key: str
    proc: subprocess.Popen
    output: collections.deque = field(repr=False)

    def request(self, method: str, path: str, params: Optional[Mapping[str, Any]] = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.key}"}
        form = encode_form(params)
        if method.upper() == "POST":
            return requests.post(self.base + path, data=form, headers=headers, timeout=30)
        return requests.request(method, self.base + path, params=form, headers=headers, timeout=30)

    def post(self, path: str, params: Optional[Mapping[str, Any]] = None) -> dict:
        resp = self.request("POST", path, params)
        assert resp.status_code == 200, f"POST {path}: {resp.status_code} {resp.text}"
        return resp.json()

    def get(self, path: str, params: Optional[Mapping[str, Any]] = None) -> dict:
        resp = self.request("GET", path, params)
        assert resp.status_code == 200, f"GET {path}: {resp.status_code} {resp.text}"
        return resp.json()


@pytest.fixture(scope="module")
def server():
    tmp = Path(tempfile.mkdtemp(prefix="checkoutd-e2e-"))
    db = Database(tmp, prefix="checkoutd_e2e_")
    key = "sk_test_" + secrets.token_hex(12)
    try:
        process = start(["serve", "--addr", "127.0.0.1:0", "--database-url", db.url, "--api-keys", key], tmp)
    except StartError as e:
        db.drop()
        pytest.fail(str(e), pytrace=False)
    try:
        yield Server(base=process.base, key=key, proc=process.proc, output=process.output)
    finally:
        process.stop()
        db.drop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def api(server: Server) -> Server:
    return server


# --------------------------------------------------------------------------
# the merchant's site
# --------------------------------------------------------------------------


class _MerchantHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.visits.append(self.path)  # type: ignore[attr-defined]
        title = "Order confirmed" if self.path.startswith("/success") else "Merchant"
        body = f"<!doctype html><title>{title}</title><h1>{title}</h1>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Merchant:
    base: str
    visits: list

    @property
    def success_url(self) -> str:
        return self.base + "/success?session_id={CHECKOUT_SESSION_ID}"

    @property
    def cancel_url(self) -> str:
        return self.base + "/cancel"


@pytest.fixture(scope="module")
def merchant():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _MerchantHandler)
    httpd.visits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Merchant(base=f"http://127.0.0.1:{httpd.server_address[1]}", visits=httpd.visits)  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()


# --------------------------------------------------------------------------
# the browser
# --------------------------------------------------------------------------


def _chromium_paths() -> tuple[str, str]:
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
    for path in (chromium, driver):
        if not Path(path).exists():
            pytest.fail(
                f"{path} not found: install Debian's browser with "
                "`apt-get install -y --no-install-recommends chromium chromium-driver`",
                pytrace=False,
            )
    return chromium, driver


@pytest.fixture
def browser() -> Callable[..., webdriver.Chrome]:
    """``browser(javascript=True, width=1280, height=900)`` opens a headless
    Chromium with a fresh profile; all are closed after the test."""
    chromium, driver_path = _chromium_paths()
    opened: list[tuple[webdriver.Chrome, str]] = []

    def open_browser(javascript: bool = True, width: int = 1280, height: int = 900) -> webdriver.Chrome:
        profile = tempfile.mkdtemp(prefix="checkoutd-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
        ):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        if not javascript:
            options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
        driver.set_page_load_timeout(30)
        opened.append((driver, profile))
        return driver

    yield open_browser
    for driver, profile in opened:
        try:
            driver.quit()
        finally:
            shutil.rmtree(profile, ignore_errors=True)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of the server's output."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        srv = getattr(item, "funcargs", {}).get("server") or getattr(item, "funcargs", {}).get("api")
        if isinstance(srv, Server):
            report.sections.append(("checkoutd output (last 40 lines)", "".join(list(srv.output)[-40:])))
