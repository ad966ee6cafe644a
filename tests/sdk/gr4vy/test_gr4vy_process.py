"""Start-up: `--gr4vy-public-keys` that cannot be used stop the server with
a message naming the file, before it listens."""

from __future__ import annotations

import subprocess

from checkoutd_process import server_binary
from conftest import KeyPair


def run_with_keys(tmp_path, keys: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(server_binary()),
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            "sqlite://" + str(tmp_path / "checkoutd.db"),
            "--api-keys",
            "sk_test_startup_check_0001",
            "--gr4vy-public-keys",
            keys,
        ],
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def test_a_missing_key_file_fails_start_up(tmp_path):
    proc = run_with_keys(tmp_path, str(tmp_path / "absent.pem"))
    assert proc.returncode != 0
    assert "absent.pem" in proc.stderr + proc.stdout
    assert "listening on" not in proc.stdout


def test_a_file_that_is_not_a_p521_public_key_fails_start_up(tmp_path):
    private = tmp_path / "private.pem"
    private.write_text(KeyPair.generate().private_pem)
    proc = run_with_keys(tmp_path, f"acct_x:{private}")
    assert proc.returncode != 0
    output = proc.stderr + proc.stdout
    assert "private.pem" in output and "P-521" in output
