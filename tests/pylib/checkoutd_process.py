"""Start and stop a real checkoutd process, for every Python suite.

The stripe-python, Gr4vy and browser suites all run the real binary on a
free port with a fresh database and talk to it over HTTP; this module is the
one place that knows how: which binary (``CHECKOUTD_BIN``, default
``target/debug/checkoutd``), which database (a SQLite file, or a fresh
PostgreSQL database when ``CHECKOUTD_TEST_DATABASE_URL`` is a ``postgres://``
URL), how to read the ``listening on http://HOST:PORT`` line, and how to stop
it (SIGTERM, then SIGKILL). Each suite's ``conftest.py`` adds this folder to
``sys.path`` and builds its own fixtures on top.
"""

from __future__ import annotations

import collections
import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
LISTENING = re.compile(r"listening on (https?://[^\s\"'`,;]+)")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


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


class Database:
    """A fresh database for one server: a SQLite file or a new PostgreSQL DB."""

    def __init__(self, tmp_dir: Path, prefix: str = "checkoutd_test_"):
        self.pg_admin_url: Optional[str] = None
        self.pg_name: Optional[str] = None
        admin = os.environ.get("CHECKOUTD_TEST_DATABASE_URL", "").strip()
        if admin.startswith(("postgres://", "postgresql://")):
            self.pg_admin_url = admin
            self.pg_name = prefix + secrets.token_hex(6)
            self._psql(f'CREATE DATABASE "{self.pg_name}"')
            parts = urllib.parse.urlsplit(admin)
            self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.pg_name))
        elif admin and not admin.startswith("sqlite"):
            raise ValueError(f"CHECKOUTD_TEST_DATABASE_URL: unsupported URL {admin!r}")
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


def server_binary() -> Path:
    """``CHECKOUTD_BIN``, relative to the working directory or the repo."""
    path = Path(os.environ.get("CHECKOUTD_BIN", "target/debug/checkoutd"))
    if not path.is_absolute():
        cwd_path = Path.cwd() / path
        path = cwd_path if cwd_path.exists() else REPO_ROOT / path
    return path


class StartError(RuntimeError):
    """The server did not come up; the message holds its command and output."""


@dataclass
class Process:
    """A running checkoutd: its base URL and the tail of its output."""

    base: str
    proc: subprocess.Popen
    cmd: list[str]
    output: collections.deque = field(repr=False)

    def recent_output(self) -> str:
        return "".join(self.output)

    def stop(self) -> None:
        stop(self.proc)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM (graceful shutdown), then SIGKILL after 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def start(args: list[str], cwd: Path) -> Process:
    """Run ``checkoutd ARGS`` in ``cwd`` and wait for its listening line.

    ``CHECKOUTD_*`` (but ``CHECKOUTD_BIN``) and ``GR4VY_*`` variables are
    removed from its environment, so only ``args`` configure it.
    """
    binary = server_binary()
    if not binary.exists():
        raise StartError(f"checkoutd binary not found at {binary}; build it with `cargo build -p checkoutd` or set CHECKOUTD_BIN")
    cmd = [str(binary), *args]
    env = {k: v for k, v in os.environ.items() if not (k.startswith("CHECKOUTD_") and k != "CHECKOUTD_BIN") and not k.startswith("GR4VY_")}
    env.setdefault("NO_COLOR", "1")
    proc = subprocess.Popen(
        cmd,
        cwd=str(cwd),
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
        # Drain the pipe for the whole life of the process, so a chatty
        # server never blocks on a full pipe.
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
        why = f"exited with status {proc.returncode}" if exited is not None else (
            f"printed no `listening on http://HOST:PORT` line within {STARTUP_TIMEOUT:.0f} s"
        )
        raise StartError(f"checkoutd {why}.\ncommand: {' '.join(cmd)}\noutput:\n{''.join(output) or '<none>'}")
    return Process(base=found["base"], proc=proc, cmd=cmd, output=output)
