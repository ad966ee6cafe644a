"""The command-line and process contract of DESIGN.md, as the suite relies on it."""

from __future__ import annotations

import shutil
import signal
import tempfile
from pathlib import Path

import requests

from conftest import start_server, stop_server


def test_health_and_readiness_endpoints_answer_200(server):
    # Act
    health = requests.get(server.base + "/healthz", timeout=10)
    ready = requests.get(server.base + "/readyz", timeout=10)

    # Assert
    assert health.status_code == 200
    assert ready.status_code == 200


def test_the_server_also_starts_without_the_serve_subcommand():
    # Arrange
    tmp = Path(tempfile.mkdtemp(prefix="checkoutd-nosub-"))
    srv, db = start_server(tmp, subcommand=False)
    try:
        # Act
        product = srv.client().v1.products.create({"name": "no subcommand"})

        # Assert
        assert product.id.startswith("prod_")
    finally:
        stop_server(srv, db)
        shutil.rmtree(tmp, ignore_errors=True)


def test_sigterm_stops_the_server_with_exit_status_0(fresh_server):
    # Arrange
    fresh_server.client().v1.products.create({"name": "before shutdown"})

    # Act
    fresh_server.proc.send_signal(signal.SIGTERM)
    status = fresh_server.proc.wait(timeout=15)

    # Assert
    assert status == 0, fresh_server.recent_output()


def test_data_survives_a_restart_on_the_same_database():
    # Arrange
    tmp = Path(tempfile.mkdtemp(prefix="checkoutd-restart-"))
    first, db = start_server(tmp)
    keys = (first.test_key, first.live_key, first.other_key)
    try:
        product = first.client().v1.products.create({"name": "durable"})
        first.proc.send_signal(signal.SIGTERM)
        first.proc.wait(timeout=15)

        # Act: a second process on the same database, provisioning the same keys again
        second, _ = start_server(tmp, db=db, keys=keys)
        try:
            fetched = second.client().v1.products.retrieve(product.id)
        finally:
            second.proc.send_signal(signal.SIGTERM)
            second.proc.wait(timeout=15)

        # Assert
        assert fetched.name == "durable"
    finally:
        stop_server(first, db)
        shutil.rmtree(tmp, ignore_errors=True)
