"""Schemathesis hooks for checkoutd (loaded through ``SCHEMATHESIS_HOOKS``).

* **Stripe's form encoding.** Stripe's dialect takes nested parameters in
  bracket notation (``line_items[0][price]=…``, ``expand[0]=…``), which the
  document states with ``style: deepObject``. Schemathesis's stock
  ``application/x-www-form-urlencoded`` serializer hands nested values to
  ``requests``, which flattens them into repeated keys, and its query
  encoding sends arrays as repeated keys too; both are replaced here by the
  encoding the Stripe SDKs use.
* **No webhook leaves the machine.** Webhook endpoints that the run creates
  get their ``url`` replaced by a local sink that refuses connections
  (``127.0.0.1:9``), so checkoutd's delivery worker never calls an address
  schemathesis made up. (``run.sh`` also runs everything in a network
  namespace with only loopback when it can.)
* **The document lists only what checkoutd implements.** Two extra checks
  fail a case whose request was generated from the document (positive
  data) but which checkoutd answered as an unknown parameter or field, or as
  "not supported by checkoutd": the document would then promise more than the
  server does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import urlencode

import schemathesis
from schemathesis.transport import requests as st_requests

WEBHOOK_SINK = "http://127.0.0.1:9/schemathesis-webhook-sink"


def bracket_pairs(key: str, value, out: list) -> None:
    """``{"a": {"b": [1]}}`` as ``a[b][0]=1``, the way the Stripe SDKs send it."""
    if value is None:
        out.append((key, ""))
    elif isinstance(value, Mapping):
        # an empty object has no bracket form: it is left out, as the SDKs do
        for k, v in value.items():
            bracket_pairs(f"{key}[{k}]", v, out)
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append((key, ""))
        for i, v in enumerate(value):
            bracket_pairs(f"{key}[{i}]", v, out)
    elif isinstance(value, bool):
        out.append((key, "true" if value else "false"))
    elif isinstance(value, float):
        # positional, as the SDKs send decimals (`1e-05` is not a Stripe decimal)
        out.append((key, format(Decimal(repr(value)), "f")))
    else:
        out.append((key, str(value)))


@schemathesis.serializer("application/x-www-form-urlencoded")
def stripe_form(ctx, value):
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, Mapping):
        pairs: list = []
        for k, v in value.items():
            bracket_pairs(str(k), v, pairs)
        return urlencode(pairs).encode("ascii")
    # out-of-spec bodies (numbers, arrays) go out as JSON text
    return json.dumps(value).encode("utf-8")


_prepare_query = st_requests.prepare_query


def stripe_query(case):
    """Arrays in the query as ``k[0]=…`` and booleans as ``true``/``false``."""
    params = _prepare_query(case)
    if not isinstance(params, dict) or not case.path.startswith("/v1/"):
        return params
    flat: dict = {}
    for key, value in params.items():
        if isinstance(value, (list, tuple)) and value:
            for i, item in enumerate(value):
                flat[f"{key}[{i}]"] = item
        elif isinstance(value, bool):
            flat[key] = "true" if value else "false"
        else:
            flat[key] = value
    return flat


st_requests.prepare_query = stripe_query


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.path.startswith("/v1/webhook_endpoints") and case.method.upper() == "POST":
        if isinstance(case.body, dict) and "url" in case.body:
            case.body["url"] = WEBHOOK_SINK
    # Generated keys repeat (hypothesis favours "0"), and a key reused with
    # other parameters is a correct 400 that would hide everything else:
    # give each request its own key, so the idempotent path is still taken.
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            headers[name] = "st-" + uuid.uuid4().hex


def _positive(case) -> bool:
    meta = getattr(case, "meta", None)
    if meta is None:
        return False
    if meta.generation.mode.is_negative:
        return False
    return not any(info.mode.is_negative for info in meta.components.values())


def _json(response):
    try:
        return json.loads(response.content or b"null")
    except ValueError:
        return None


@schemathesis.check
def documented_parameters_are_accepted(ctx, response, case):
    """A request built from the document never meets "unknown parameter"."""
    if response.status_code != 400 or not _positive(case):
        return None
    body = _json(response)
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        message = str(error.get("message", ""))
        if error.get("code") == "parameter_unknown" or "not supported by checkoutd" in message:
            raise AssertionError(
                f"checkoutd refused a documented parameter ({error.get('param')}): {message}"
            )
    details = body.get("details")
    if isinstance(details, list):
        for d in details:
            if isinstance(d, dict) and d.get("type") == "extra_forbidden":
                raise AssertionError(f"checkoutd refused a documented field {d.get('pointer')}: {d.get('message')}")
    return None
