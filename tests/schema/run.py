#!/usr/bin/env python3
"""API-schema tests: schemathesis against checkoutd's own OpenAPI document.

Starts the debug binary (``CHECKOUTD_BIN``, default ``target/debug/checkoutd``)
on a free port with a fresh database (SQLite, or PostgreSQL when
``CHECKOUTD_TEST_DATABASE_URL`` says so), a test secret key and a P-521 key
for Gr4vy JWTs; seeds a few objects; then runs schemathesis twice against the
document the server itself serves at ``/openapi.json``:

1. the Stripe dialect, the test helpers, health and the hosted page, with the
   secret key as Bearer token;
2. the Gr4vy dialect, with an ES512 JWT carrying ``*.read *.write``.

Each run is bounded (``--max-examples`` per operation and ``--max-time`` for
the whole run) and checks that no response is a 5xx, that every status code,
content type, header and body conforms to the document, that auth is
enforced, that deleted objects stay deleted, that created ones are
retrievable, and (``hooks.py``) that no documented parameter is refused as
unknown. Requests time out after 10 s, which counts as a failure (no hang).

Before the runs, the committed document is compared with what
``crates/server/openapi/generate.py`` makes from the reference specs, when
those are present (``shared/reference``), so a hand edit fails here.

The last line is ``schemathesis: N passed, M failed`` (test cases, both runs).
Environment: ``SCHEMA_MAX_EXAMPLES`` (default 25), ``SCHEMA_MAX_TIME`` (seconds
per run, default 70), ``SCHEMA_SEED`` (random seed, default random).
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "pylib"))
from checkoutd_process import Database, encode_form, start  # noqa: E402

from gr4vy import auth  # noqa: E402  (signs ES512 JWTs as the SDK does)
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "ignored_auth",
        "use_after_free",
        "ensure_resource_availability",
        "documented_parameters_are_accepted",
    ]
)
SINK = "http://127.0.0.1:9/schemathesis-webhook-sink"
REPORT_DIR = Path(os.environ.get("SCHEMA_REPORT_DIR", REPO / "target" / "schemathesis"))


def check_generated() -> None:
    generator = REPO / "crates" / "server" / "openapi" / "generate.py"
    reference = None
    for candidate in (REPO / "shared" / "reference", REPO.parent / "shared" / "reference"):
        if (candidate / "stripe" / "checkout_endpoints.json").exists():
            reference = candidate
            break
    if reference is None:
        print("!!! SKIPPED: openapi.json freshness check (no shared/reference beside the repository)")
        return
    proc = subprocess.run(
        [sys.executable, str(generator), "--check", "--reference", str(reference)],
        capture_output=True,
        text=True,
    )
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print("schemathesis: 0 passed, 1 failed")
        sys.exit(1)


def keypair() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP521R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


class Api:
    def __init__(self, base: str, key: str, token: str):
        self.base, self.key, self.token = base, key, token

    def stripe(self, path: str, params=None) -> dict:
        r = requests.post(
            self.base + path, data=encode_form(params), headers={"Authorization": f"Bearer {self.key}"}, timeout=30
        )
        if r.status_code != 200:
            raise SystemExit(f"seeding {path} failed: {r.status_code} {r.text[:500]}")
        return r.json()

    def gr4vy(self, body: dict) -> dict:
        r = requests.post(
            self.base + "/checkout/sessions", json=body, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )
        if r.status_code != 201:
            raise SystemExit(f"seeding a Gr4vy session failed: {r.status_code} {r.text[:500]}")
        return r.json()


def seed(api: Api) -> dict[str, list[str]]:
    """A few real objects, so path parameters can name them."""
    product = api.stripe("/v1/products", {"name": "T-shirt", "metadata": {"sku": "ts-1"}})
    price = api.stripe("/v1/prices", {"currency": "usd", "unit_amount": 1099, "product": product["id"]})
    monthly = api.stripe(
        "/v1/prices",
        {"currency": "usd", "unit_amount": 500, "product_data": {"name": "Club"}, "recurring": {"interval": "month"}},
    )
    tax = api.stripe("/v1/tax_rates", {"display_name": "VAT", "percentage": "20", "inclusive": "false"})
    ship = api.stripe(
        "/v1/shipping_rates",
        {"display_name": "Ground", "type": "fixed_amount", "fixed_amount": {"amount": 500, "currency": "usd"}},
    )
    sessions = [
        api.stripe(
            "/v1/checkout/sessions",
            {
                "mode": "payment",
                "success_url": "https://example.com/ok",
                "line_items": [{"price": price["id"], "quantity": 2, "tax_rates": [tax["id"]]}],
                "shipping_options": [{"shipping_rate": ship["id"]}],
                "metadata": {"order": "1"},
            },
        )["id"]
        for _ in range(8)
    ]
    sessions.append(
        api.stripe(
            "/v1/checkout/sessions",
            {
                "mode": "subscription",
                "ui_mode": "embedded_page",
                "return_url": "https://example.com/back",
                "line_items": [{"price": monthly["id"], "quantity": 1}],
            },
        )["id"]
    )
    webhook = api.stripe("/v1/webhook_endpoints", {"url": SINK, "enabled_events": ["checkout.session.completed"]})
    events = requests.get(
        api.base + "/v1/events", headers={"Authorization": f"Bearer {api.key}"}, timeout=30
    ).json()["data"]
    gr4vy = [
        api.gr4vy({"cart_items": [{"name": "Ticket", "quantity": 1, "unit_amount": 45000}], "metadata": {"a": "b"}})[
            "id"
        ]
        for _ in range(3)
    ]
    return {
        # complete and expire get sessions of their own, so that the others
        # stay open for update
        "/v1/checkout/sessions/{id}": sessions[4:],
        "/v1/checkout/sessions/{id}/line_items": sessions,
        "/v1/checkout/sessions/{id}/expire": sessions[2:4],
        "/v1/test_helpers/checkout/sessions/{id}/complete": sessions[:2],
        "/v1/prices/{id}": [price["id"], monthly["id"]],
        "/v1/products/{id}": [product["id"]],
        "/v1/shipping_rates/{id}": [ship["id"]],
        "/v1/tax_rates/{id}": [tax["id"]],
        "/v1/events/{id}": [e["id"] for e in events[:3]],
        "/v1/webhook_endpoints/{id}": [webhook["id"]],
        "/c/pay/{id}": sessions,
        "/checkout/sessions/{session_id}": gr4vy,
    }


def with_seeds(doc: dict, ids: dict[str, list[str]]) -> dict:
    """The document with the seeded ids as path-parameter examples and as one
    branch of the parameter's schema, so generated requests often hit real
    objects. Only the parameters change; responses stay as served."""
    doc = copy.deepcopy(doc)
    # The clock helper moves by at most ten minutes here: a ten-year jump
    # (which the server takes) would expire every seeded session at once and
    # leave the rest of the run only closed sessions to work on.
    advance = doc["paths"]["/v1/test_helpers/clock/advance"]["post"]["requestBody"]["content"]
    advance["application/x-www-form-urlencoded"]["schema"]["properties"]["seconds"]["maximum"] = 600
    for path, methods in doc["paths"].items():
        if path not in ids:
            continue
        for op in methods.values():
            for p in op.get("parameters", []):
                if p.get("in") == "path":
                    p["schema"] = {"anyOf": [{"enum": ids[path]}, p["schema"]]}
                    p["examples"] = {f"seed{i}": {"value": v} for i, v in enumerate(ids[path])}
    return doc


def run_schemathesis(label: str, doc_path: Path, base: str, header: str, include: str, workdir: Path) -> tuple[int, int, int]:
    """One schemathesis run; returns (cases, failed cases, unique failures)."""
    max_examples = os.environ.get("SCHEMA_MAX_EXAMPLES", "25")
    max_time = os.environ.get("SCHEMA_MAX_TIME", "70")
    report = REPORT_DIR / f"{label}.ndjson"
    cmd = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(doc_path),
        "--url",
        base,
        "--header",
        header,
        "--checks",
        CHECKS,
        "--max-examples",
        max_examples,
        "--max-time",
        max_time,
        "--request-timeout",
        "10",
        "--workers",
        "2",
        "--no-color",
        "--suppress-health-check",
        "all",
        "--generation-database",
        "none",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    seed_value = os.environ.get("SCHEMA_SEED")
    if seed_value:
        cmd += ["--seed", seed_value]
    cmd += ["--include-path-regex", include]
    env = dict(os.environ, SCHEMATHESIS_HOOKS="hooks", PYTHONPATH=str(HERE))
    print(f"==> schemathesis ({label}): {' '.join(cmd[1:3])} … (max {max_examples} examples/operation, {max_time} s)",
          flush=True)
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, env=env, cwd=str(workdir), text=True, capture_output=True,
                              timeout=int(max_time) + 180)
        out, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        parts = [p.decode("utf-8", "replace") if isinstance(p, bytes) else (p or "") for p in (e.stdout, e.stderr)]
        out = "".join(parts) + f"\n!!! schemathesis did not finish within {int(max_time) + 180} s: killed\n"
        code = -1
    summary = out.find("=== SUMMARY ===")
    print(out[summary - 30 if summary >= 0 else 0:][-6000:], flush=True)
    cases, failed = count_cases(report)
    unique = failures_in(out)
    print(f"--> {label}: {cases} cases, {failed} failed, {unique} unique failures, exit {code}, "
          f"{time.monotonic() - started:.0f} s", flush=True)
    if code != 0 and failed == 0 and unique == 0:
        unique = 1  # an error that is not a failed case (schema, crash): count it
    if failed == 0 and unique == 0:
        report.unlink(missing_ok=True)  # tens of MB; kept only to study a failure
    else:
        print(f"--> every request and response of this run: {report}")
    return cases, failed, unique


def count_cases(report: Path) -> tuple[int, int]:
    """Test cases run and failed, from the NDJSON event stream; prints one
    line per distinct failure (operation, check, status)."""
    cases = failed = 0
    seen: set = set()
    if not report.exists():
        return 0, 0
    with report.open() as lines:
        for line in lines:
            if '"ScenarioFinished"' not in line[:40]:
                continue
            recorder = json.loads(line)["ScenarioFinished"].get("recorder") or {}
            checks = recorder.get("checks") or {}
            interactions = recorder.get("interactions") or {}
            for case_id, case in (recorder.get("cases") or {}).items():
                cases += 1
                bad = [c for c in checks.get(case_id, []) if c.get("status") == "failure"]
                if not bad:
                    continue
                failed += 1
                value = case.get("value", {})
                response = (interactions.get(case_id) or {}).get("response") or {}
                for c in bad:
                    key = (value.get("method"), value.get("path"), c.get("name"), response.get("status_code"))
                    if key in seen:
                        continue
                    seen.add(key)
                    print(f"FAILED {key[0]} {key[1]}: {key[2]} (status {key[3]}, "
                          f"{value.get('meta', {}).get('generation', {}).get('mode')} data)")
                    print("   ", describe(c, interactions.get(case_id) or {}))
    return cases, failed


def describe(check: dict, interaction: dict) -> str:
    """A short account of one failed check: its message, the request, the body."""
    import base64

    failure = check.get("failure_info") or check.get("failure") or {}
    text = json.dumps(failure)[:600] if failure else ""
    request = interaction.get("request") or {}
    body = request.get("body") or {}
    if isinstance(body, dict) and "$base64" in body:
        body = base64.b64decode(body["$base64"]).decode("utf-8", "replace")
    response = interaction.get("response") or {}
    content = response.get("content") or {}
    if isinstance(content, dict) and "$base64" in content:
        content = base64.b64decode(content["$base64"]).decode("utf-8", "replace")
    return (f"{text}\n    request: {request.get('method')} {str(request.get('uri'))[:300]} "
            f"body={str(body)[:300]!r}\n    response: {str(content)[:400]!r}")


def failures_in(output: str) -> int:
    m = re.search(r"(\d+) unique failures?", output) or re.search(r"Failures:.*?(\d+)", output)
    if re.search(r"No issues found", output):
        return 0
    return int(m.group(1)) if m else 0


def main() -> int:
    check_generated()
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="checkoutd-schema-") as tmp:
        tmp_dir = Path(tmp)
        private_pem, public_pem = keypair()
        (tmp_dir / "gr4vy.pem").write_text(public_pem)
        key = "sk_test_" + secrets.token_hex(12)
        db = Database(tmp_dir, prefix="checkoutd_schema_")
        args = [
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            db.url,
            "--api-keys",
            key,
            "--gr4vy-public-keys",
            str(tmp_dir / "gr4vy.pem"),
            "--log-format",
            "json",
            "--webhook-timeout-ms",
            "500",
        ]
        server = start(args, tmp_dir)
        try:
            token = auth.get_token(private_pem, scopes=["*.read", "*.write"], expires_in=3600)
            api = Api(server.base, key, token)
            served = requests.get(server.base + "/openapi.json", timeout=30)
            assert served.status_code == 200, served.text[:500]
            doc = served.json()
            committed = json.loads((REPO / "crates" / "server" / "openapi" / "openapi.json").read_text())
            if doc != committed:
                print("!!! the server serves another document than crates/server/openapi/openapi.json: "
                      "rebuild it (cargo build -p checkoutd)")
                print("schemathesis: 0 passed, 1 failed")
                return 1
            ids = seed(api)
            doc_path = tmp_dir / "openapi.seeded.json"
            doc_path.write_text(json.dumps(with_seeds(doc, ids)))
            results = [
                run_schemathesis(
                    "stripe", doc_path, server.base, f"Authorization: Bearer {key}",
                    "^(/v1/|/healthz$|/readyz$|/metrics$|/openapi\\.json$|/c/)", tmp_dir,
                ),
                run_schemathesis(
                    "gr4vy", doc_path, server.base, f"Authorization: Bearer {token}",
                    "^/checkout/", tmp_dir,
                ),
            ]
            if server.proc.poll() is not None:
                print(f"!!! checkoutd exited during the run ({server.proc.returncode}):\n{server.recent_output()[-5000:]}")
                results.append((0, 0, 1))
            panics = [line for line in server.output if "panicked" in line]
            if panics:
                print("!!! checkoutd panicked:\n" + "".join(panics[:10]))
                results.append((0, 0, 1))
        finally:
            server.stop()
            db.drop()
    cases = sum(r[0] for r in results)
    failed_cases = sum(r[1] for r in results)
    unique = sum(r[2] for r in results)
    failed = max(failed_cases, unique)
    print(f"schemathesis: {cases} cases, {unique} unique failures")
    print(f"schemathesis: {cases - failed_cases} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
