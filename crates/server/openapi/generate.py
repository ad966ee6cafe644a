#!/usr/bin/env python3
"""Generate checkoutd's own OpenAPI 3.1 document, `openapi.json` beside this file.

The server embeds that file (`include_str!`) and serves it at
`GET /openapi.json`. It is generated, never edited by hand: this script reads
the reference specs checkoutd copies (Stripe's and Gr4vy's OpenAPI documents,
kept in `shared/reference/`), keeps exactly the operations checkoutd routes,
trims every Stripe request schema to the parameters checkoutd's parsers take,
and adjusts the response schemas to what checkoutd renders.

What keeps it from drifting:

* `crates/server/tests/api/openapi.rs` compares the document's operations
  with the routes in the source (both directions) and probes every one;
* `tests/schema/run.sh` regenerates the document into a temp file and fails
  when it differs from the committed one (when the references are present),
  then runs schemathesis against a live server with the document;
* this script fails when a parameter it is told to keep is not in the
  reference (a typo, or the reference moved).

Conventions of the document (see `info.description` below for the prose):

* Stripe request bodies keep Stripe's shapes, restricted to what checkoutd
  accepts. Parameters Stripe documents that checkoutd answers with a 400
  ("not supported by checkoutd") are left out, and so are enum values it
  refuses (`billing_scheme=tiered`, `payment_method_types[]=sepa_debit`, …).
  Nested request objects get `additionalProperties: false`: checkoutd
  rejects unknown parameters at every level.
* Stripe response schemas are Stripe's component schemas converted to JSON
  Schema 2020-12 (`nullable` becomes a `null` type). checkoutd renders every
  field of a schema, `null` where it does not apply, so a property that
  Stripe marks optional may also be `null` here (`return_url` on a hosted
  session, for example). Top-level resources a session only refers to by id
  (customer, payment_intent, invoice, …) are never expanded by checkoutd and
  appear as `{"type": "object"}` stubs.
* Gr4vy's part is Gr4vy's published document for the four operations
  checkoutd serves, with its schemas under `gr4vy.` names.

Usage (from the repository root):

    python3 crates/server/openapi/generate.py [--reference DIR] [--out FILE] [--check]

`--reference` is the folder holding `stripe/` and `gr4vy/` (default:
`shared/reference` beside or inside the repository, or
`$CHECKOUTD_REFERENCE`). `--check` writes nothing and exits 1 when the
committed file differs from what would be generated.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DEFAULT_OUT = HERE / "openapi.json"
REF = "#/components/schemas/"

# ---------------------------------------------------------------------------
# Keep-specs: how a Stripe request schema is trimmed
# ---------------------------------------------------------------------------


class Spec:
    """Base of the markers below."""


class All(Spec):
    """Keep the schema as Stripe has it (objects still closed)."""


ALL = All()


class Enum(Spec):
    """Keep the schema, restricted to these enum values (they must be Stripe's
    unless `extra`, for values a newer API version added)."""

    def __init__(self, *values, extra=(), description=None):
        self.values = list(values)
        self.extra = list(extra)
        self.description = description


class Add(Spec):
    """A parameter Stripe's reference (2026-05-27.dahlia) lacks and a newer
    API version (endive) has: its schema is given here."""

    def __init__(self, schema):
        self.schema = schema


class NoEmpty(Spec):
    """Keep the schema but drop the `""` (unset) branch: checkoutd refuses
    an empty string for this parameter."""


NOEMPTY = NoEmpty()


class Obj(Spec):
    """An object (possibly inside an array or an anyOf) of which only the
    named properties are kept; `required` overrides the required list."""

    def __init__(self, props: dict, required=None):
        self.props = props
        self.required = required


def obj(required=None, **props):
    return Obj(props, required)


def strip_meta(node):
    """Drop Stripe's `x-` keys and the expansion hints (they name pruned
    resources); keep descriptions."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "properties":
                out[key] = {name: strip_meta(sub) for name, sub in value.items()}
            elif key.startswith("x-"):
                continue
            else:
                out[key] = strip_meta(value)
        return out
    if isinstance(node, list):
        return [strip_meta(v) for v in node]
    return node


def close_objects(node):
    """`additionalProperties: false` on every object with `properties` that
    does not say otherwise: checkoutd rejects unknown parameters."""
    if isinstance(node, dict):
        out = {k: (close_objects(v) if k != "enum" else v) for k, v in node.items()}
        if "properties" in out:
            out["properties"] = {k: close_objects(v) for k, v in node["properties"].items()}
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(node, list):
        return [close_objects(v) for v in node]
    return node


def trim(schema: dict, spec: Spec, where: str) -> dict:
    """Apply a keep-spec to a (request) schema."""
    if isinstance(spec, All):
        return close_objects(strip_meta(schema))
    if isinstance(spec, Add):
        return close_objects(spec.schema)
    if isinstance(spec, NoEmpty):
        if "anyOf" not in schema:
            raise SystemExit(f"{where}: NOEMPTY on a schema without anyOf")
        branches = [b for b in schema["anyOf"] if b.get("enum") != [""]]
        out = {k: v for k, v in schema.items() if k != "anyOf"}
        if len(branches) == 1:
            out.update(branches[0])
        else:
            out["anyOf"] = branches
        return close_objects(strip_meta(out))
    if isinstance(spec, Enum):
        out = strip_meta(schema)
        target = out
        if "anyOf" in out:
            # restrict the branch with the enum (the other is `""`)
            target = next(b for b in out["anyOf"] if "enum" in b and b["enum"] != [""])
        if "items" in target:
            target = target["items"]
        if "enum" not in target:
            raise SystemExit(f"{where}: Enum on a schema without enum")
        for v in spec.values:
            if v not in target["enum"]:
                raise SystemExit(f"{where}: {v!r} is not one of Stripe's values {target['enum']}")
        target["enum"] = spec.values + [v for v in spec.extra if v not in spec.values]
        if spec.description:
            out["description"] = spec.description
        return out
    if isinstance(spec, Obj):
        if "anyOf" in schema:
            out = {k: v for k, v in strip_meta(schema).items() if k != "anyOf"}
            out["anyOf"] = [
                trim(b, spec, where) if _is_object(b) else strip_meta(b) for b in schema["anyOf"]
            ]
            return out
        if schema.get("type") == "array":
            out = strip_meta({k: v for k, v in schema.items() if k != "items"})
            out["items"] = trim(schema["items"], spec, where + "[]")
            return out
        if not _is_object(schema):
            raise SystemExit(f"{where}: object spec on a non-object schema")
        props = schema.get("properties", {})
        out = strip_meta({k: v for k, v in schema.items() if k not in ("properties", "required")})
        kept = {}
        for name, sub in spec.props.items():
            if name not in props and not isinstance(sub, Add):
                raise SystemExit(f"{where}.{name}: not in Stripe's schema")
            kept[name] = trim(props.get(name, {}), sub, f"{where}.{name}")
        out["properties"] = kept
        required = spec.required
        if required is None:
            required = [r for r in schema.get("required", []) if r in kept]
        if required:
            out["required"] = required
        out["additionalProperties"] = False
        return out
    raise SystemExit(f"{where}: unknown spec {spec!r}")


def _is_object(schema):
    return schema.get("type") == "object" or "properties" in schema


# ---------------------------------------------------------------------------
# What checkoutd's Stripe parsers accept (crates/server/src/http/stripe/)
# ---------------------------------------------------------------------------

LIST = {"ending_before": ALL, "limit": ALL, "starting_after": ALL}
LIST_CREATED = {**LIST, "created": ALL}
EXPAND = {"expand": ALL}

TAX_DETAILS = Add(
    {
        "type": "object",
        "description": "Tax details (API version 2026-10-28.endive). checkoutd validates them and does not keep "
        "them: it computes no Stripe Tax.",
        "properties": {
            "performance_location": {"type": "string", "maxLength": 5000},
            "tax_code": {"type": "string", "maxLength": 5000},
        },
    }
)

PRODUCT_DATA_INLINE = obj(
    description=ALL,
    images=ALL,
    metadata=ALL,
    name=ALL,
    tax_code=ALL,
    unit_label=ALL,
    tax_details=TAX_DETAILS,
)

PRICE_DATA = obj(
    currency=ALL,
    product=ALL,
    product_data=PRODUCT_DATA_INLINE,
    recurring=ALL,
    tax_behavior=ALL,
    unit_amount=ALL,
    unit_amount_decimal=ALL,
)

SHIPPING_OPTIONS = obj(shipping_rate=ALL, shipping_rate_data=ALL)

CARD_ONLY = "checkoutd takes card payments only: `card` is the one value accepted."

SESSION_CREATE = {
    "allowed_payment_method_types": Add(
        {
            "type": "array",
            "description": "The payment method types this session accepts (API version 2026-10-28.endive, "
            "replacing `payment_method_types`). " + CARD_ONLY,
            "items": {"type": "string", "enum": ["card"]},
        }
    ),
    "automatic_tax": obj(
        enabled=Add(
            {
                "type": "boolean",
                "enum": [False],
                "description": "checkoutd computes no Stripe Tax: only `false` is accepted.",
            }
        )
    ),
    "billing_address_collection": ALL,
    "cancel_url": ALL,
    "client_reference_id": ALL,
    "currency": ALL,
    "customer_email": ALL,
    "expand": ALL,
    "expires_at": ALL,
    "line_items": obj(
        adjustable_quantity=ALL,
        metadata=ALL,
        price=ALL,
        price_data=PRICE_DATA,
        quantity=ALL,
        tax_rates=ALL,
    ),
    "locale": "LOCALES",  # Stripe's values plus endive's hi-IN, filled in by stripe_paths()
    "metadata": ALL,
    "mode": ALL,
    "payment_intent_data": obj(
        description=ALL,
        metadata=ALL,
        setup_future_usage=ALL,
        statement_descriptor=ALL,
        statement_descriptor_suffix=ALL,
    ),
    "payment_method_types": Enum("card", description=CARD_ONLY),
    "permissions": ALL,
    "redirect_on_completion": ALL,
    "return_url": ALL,
    "shipping_address_collection": ALL,
    "shipping_options": SHIPPING_OPTIONS,
    "submit_type": ALL,
    "success_url": ALL,
    "ui_mode": Enum(
        "elements",
        "embedded_page",
        "hosted_page",
        extra=["form", "hosted", "embedded", "custom"],
        description="The UI mode of the Session. Defaults to `hosted_page`. `form` is accepted too, and so "
        "are the names before 2026-03-25 (`hosted`, `embedded`, `custom`).",
    ),
}

EMPTYABLE = lambda s: {"anyOf": [s, {"type": "string", "enum": [""]}]}  # noqa: E731

SESSION_UPDATE = {
    "collected_information": ALL,
    "expand": ALL,
    "line_items": obj(
        adjustable_quantity=ALL,
        id=ALL,
        metadata=ALL,
        price=ALL,
        price_data=PRICE_DATA,
        quantity=ALL,
        tax_rates=ALL,
    ),
    "metadata": ALL,
    "payment_intent_data": Add(
        {
            "type": "object",
            "description": "Payment intent data (API version 2026-10-28.endive). An empty string unsets a field.",
            "properties": {
                "description": EMPTYABLE({"type": "string", "maxLength": 1000}),
                "metadata": EMPTYABLE({"type": "object", "additionalProperties": {"type": "string"}}),
                "setup_future_usage": {"type": "string", "enum": ["off_session", "on_session", ""]},
                "statement_descriptor": EMPTYABLE({"type": "string", "maxLength": 22}),
                "statement_descriptor_suffix": EMPTYABLE({"type": "string", "maxLength": 22}),
            },
        }
    ),
    "shipping_options": SHIPPING_OPTIONS,
}

PRICE_CREATE = {
    "active": ALL,
    "billing_scheme": Enum("per_unit", description="Only `per_unit`: checkoutd has no tiered pricing."),
    "currency": ALL,
    "expand": ALL,
    "lookup_key": ALL,
    "metadata": ALL,
    "nickname": ALL,
    "product": ALL,
    "product_data": obj(
        active=ALL,
        id=ALL,
        metadata=ALL,
        name=ALL,
        statement_descriptor=ALL,
        tax_code=ALL,
        unit_label=ALL,
        tax_details=TAX_DETAILS,
    ),
    "recurring": obj(
        interval=ALL,
        interval_count=ALL,
        usage_type=Enum("licensed", description="Only `licensed`: checkoutd has no metered usage."),
    ),
    "tax_behavior": ALL,
    "transfer_lookup_key": ALL,
    "unit_amount": ALL,
    "unit_amount_decimal": ALL,
}

PRICE_UPDATE = {
    "active": ALL,
    "expand": ALL,
    "lookup_key": ALL,
    "metadata": ALL,
    "nickname": ALL,
    "tax_behavior": ALL,
    "transfer_lookup_key": ALL,
}

PRODUCT_FIELDS = [
    "active",
    "description",
    "expand",
    "images",
    "marketing_features",
    "metadata",
    "name",
    "package_dimensions",
    "shippable",
    "statement_descriptor",
    "tax_code",
    "unit_label",
    "url",
]

WEBHOOK_CREATE = {
    "api_version": ALL,
    "description": NOEMPTY,
    "enabled_events": ALL,
    "expand": ALL,
    "metadata": ALL,
    "url": ALL,
}

# Paths each endpoint can expand (`SESSION_EXPANDABLE`, `ITEM_EXPANDABLE` in
# session_render.rs, `["product"]` in prices.rs); every other endpoint takes
# `expand` but has nothing to expand. A path may be given in full or cut at
# a dot; at most four levels (expand.rs).
SESSION_EXPANDABLE = [
    "line_items.data.taxes",
    "line_items.data.price.product",
    "line_items.data.discounts",
    "total_details.breakdown",
    "shipping_cost.taxes",
    "shipping_cost.shipping_rate",
    "shipping_options.shipping_rate",
]
ITEM_EXPANDABLE = ["taxes", "discounts", "price.product"]


def expandable(method: str, path: str) -> list:
    if path.startswith("/v1/checkout/sessions/{id}/line_items"):
        full = ["data." + p for p in ITEM_EXPANDABLE]
    elif path == "/v1/checkout/sessions" and method == "get":
        full = ["data." + p for p in SESSION_EXPANDABLE]
    elif path.startswith("/v1/checkout/sessions") or path.startswith("/v1/test_helpers/checkout/"):
        full = SESSION_EXPANDABLE
    elif path == "/v1/prices" and method == "get":
        full = ["data.product"]
    elif path.startswith("/v1/prices"):
        full = ["product"]
    else:
        full = []
    out = []
    for p in full:
        parts = p.split(".")
        for i in range(1, min(len(parts), 4) + 1):
            prefix = ".".join(parts[:i])
            if prefix not in out:
                out.append(prefix)
    return out


def expand_schema(method: str, path: str) -> dict:
    allowed = expandable(method, path)
    if not allowed:
        return {
            "type": "array",
            "maxItems": 0,
            "description": "Accepted for compatibility; nothing in this response can be expanded.",
            "items": {"type": "string"},
        }
    return {
        "type": "array",
        "description": "Specifies which fields in the response should be expanded: one of these paths (or "
        "a part of one up to a dot).",
        "items": {"type": "string", "enum": allowed},
    }


def harden(node, *, in_map=False):
    """What checkoutd's form parser adds to Stripe's request schemas:

    * a string parameter cannot be empty (`""` means "unset", which only the
      parameters whose schema has a `""` branch allow): `minLength: 1`;
    * metadata maps: at most 50 keys of 1 to 40 characters without square
      brackets (they would read as nesting), values up to 500 characters.
    """
    if isinstance(node, list):
        return [harden(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("enum", "const", "default", "examples", "example"):
            out[key] = value
        elif key == "properties":
            out[key] = {k: harden(v) for k, v in value.items()}
        elif key == "additionalProperties" and isinstance(value, dict):
            out[key] = harden(value, in_map=True)
        else:
            out[key] = harden(value)
    if out.get("type") == "string" and "enum" not in out and "const" not in out:
        if in_map:
            out.setdefault("maxLength", 500)
        else:
            out.setdefault("minLength", 1)
    ap = out.get("additionalProperties")
    if isinstance(ap, dict) and ap.get("type") == "string" and "properties" not in out:
        out.setdefault("maxProperties", 50)
        out.setdefault("propertyNames", {"minLength": 1, "maxLength": 40, "pattern": "^[^\\[\\]]+$"})
    return out


def domain_currencies() -> list:
    """The currencies checkoutd accepts: `ISO_4217` in crates/domain/src/currency.rs."""
    source = (REPO / "crates" / "domain" / "src" / "currency.rs").read_text()
    start = source.index("const ISO_4217: &[&str] = &[")
    body = source[start: source.index("];", start)]
    codes = re.findall(r'"([a-z]{3})"', body)
    if len(codes) < 100:
        raise SystemExit("could not read ISO_4217 from crates/domain/src/currency.rs")
    return codes


CURRENCY_REF = {"$ref": REF + "stripe.currency"}


def currencies_as_ref(node):
    """Point every `format: currency` request string at the shared list."""
    if isinstance(node, list):
        return [currencies_as_ref(v) for v in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "string" and node.get("format") == "currency":
        out = dict(CURRENCY_REF)
        if "description" in node:
            out["description"] = node["description"]
        return out
    return {k: (currencies_as_ref(v) if k not in ("enum", "examples", "example", "default") else v)
            for k, v in node.items()}


def one_of_required(*names) -> dict:
    return {"oneOf": [{"required": [n]} for n in names]}


def constrain_body(method: str, path: str, body: dict) -> None:
    """Rules of checkoutd's parsers that Stripe's schemas leave to prose."""
    props = body["properties"]

    def items_of(name):
        schema = props[name]
        if schema.get("type") != "array":
            schema = next(b for b in schema["anyOf"] if b.get("type") == "array")
        return schema["items"]

    amount = one_of_required("unit_amount", "unit_amount_decimal")
    if path == "/v1/prices" and method == "post":
        body["allOf"] = [one_of_required("product", "product_data"), amount]
    if path in ("/v1/checkout/sessions", "/v1/checkout/sessions/{id}") and method == "post":
        line = items_of("line_items")
        price_data = line["properties"]["price_data"]
        price_data["allOf"] = [one_of_required("product", "product_data"), amount]
        if path == "/v1/checkout/sessions":
            line.update(one_of_required("price", "price_data"))
        items_of("shipping_options").update(one_of_required("shipping_rate", "shipping_rate_data"))
    url = {"pattern": "^https?://\\S{2,}$"}
    if path == "/v1/checkout/sessions" and method == "post":
        for name in ("success_url", "cancel_url", "return_url"):
            props[name].update(url)
    if path == "/v1/checkout/sessions/{id}" and method == "post":
        info = props["collected_information"]["properties"]["shipping_details"]
        info["properties"]["address"]["properties"]["country"]["pattern"] = "^[A-Z]{2}$"
    if path.startswith("/v1/webhook_endpoints") and method == "post":
        props["url"].update(url)
    if path == "/v1/shipping_rates" and method == "post":
        body["required"] = sorted(set(body.get("required", [])) | {"fixed_amount"})
    if path.startswith("/v1/webhook_endpoints"):
        events = props["enabled_events"]
        target = events if events.get("type") == "array" else next(b for b in events["anyOf"] if b.get("type") == "array")
        target["minItems"] = 1


# (method, checkoutd's path, Stripe's path, query keep-spec, body keep-spec)
STRIPE_OPERATIONS = [
    ("get", "/v1/checkout/sessions", "/v1/checkout/sessions",
     {**LIST_CREATED, **EXPAND, "customer": ALL, "customer_account": ALL, "customer_details": ALL,
      "payment_intent": ALL, "payment_link": ALL, "status": ALL, "subscription": ALL}, None),
    ("post", "/v1/checkout/sessions", "/v1/checkout/sessions", None, SESSION_CREATE),
    ("get", "/v1/checkout/sessions/{id}", "/v1/checkout/sessions/{session}", EXPAND, None),
    ("post", "/v1/checkout/sessions/{id}", "/v1/checkout/sessions/{session}", None, SESSION_UPDATE),
    ("get", "/v1/checkout/sessions/{id}/line_items", "/v1/checkout/sessions/{session}/line_items",
     {**LIST, **EXPAND}, None),
    ("post", "/v1/checkout/sessions/{id}/expire", "/v1/checkout/sessions/{session}/expire", None, {"expand": ALL}),
    ("get", "/v1/prices", "/v1/prices",
     {**LIST_CREATED, **EXPAND, "active": ALL, "currency": ALL, "lookup_keys": ALL, "product": ALL,
      "recurring": obj(interval=ALL, usage_type=ALL), "type": ALL}, None),
    ("post", "/v1/prices", "/v1/prices", None, PRICE_CREATE),
    ("get", "/v1/prices/{id}", "/v1/prices/{price}", EXPAND, None),
    ("post", "/v1/prices/{id}", "/v1/prices/{price}", None, PRICE_UPDATE),
    ("get", "/v1/products", "/v1/products",
     {**LIST_CREATED, **EXPAND, "active": ALL, "ids": ALL, "shippable": ALL, "url": ALL}, None),
    ("post", "/v1/products", "/v1/products", None, {**{f: ALL for f in PRODUCT_FIELDS}, "id": ALL}),
    ("get", "/v1/products/{id}", "/v1/products/{id}", EXPAND, None),
    ("post", "/v1/products/{id}", "/v1/products/{id}", None,
     {**{f: ALL for f in PRODUCT_FIELDS}, "default_price": ALL}),
    ("get", "/v1/shipping_rates", "/v1/shipping_rates",
     {**LIST_CREATED, **EXPAND, "active": ALL, "currency": ALL}, None),
    ("post", "/v1/shipping_rates", "/v1/shipping_rates", None,
     {"delivery_estimate": ALL, "display_name": ALL, "expand": ALL, "fixed_amount": ALL, "metadata": ALL,
      "tax_behavior": ALL, "tax_code": ALL, "type": ALL}),
    ("get", "/v1/shipping_rates/{id}", "/v1/shipping_rates/{shipping_rate_token}", EXPAND, None),
    ("post", "/v1/shipping_rates/{id}", "/v1/shipping_rates/{shipping_rate_token}", None,
     {"active": ALL, "expand": ALL, "fixed_amount": ALL, "metadata": ALL, "tax_behavior": ALL}),
    ("get", "/v1/tax_rates", "/v1/tax_rates",
     {**LIST_CREATED, **EXPAND, "active": ALL, "inclusive": ALL}, None),
    ("post", "/v1/tax_rates", "/v1/tax_rates", None,
     {f: ALL for f in ["active", "country", "description", "display_name", "expand", "inclusive",
                       "jurisdiction", "metadata", "percentage", "state", "tax_type"]}),
    ("get", "/v1/tax_rates/{id}", "/v1/tax_rates/{tax_rate}", EXPAND, None),
    ("post", "/v1/tax_rates/{id}", "/v1/tax_rates/{tax_rate}", None,
     {f: ALL for f in ["active", "country", "description", "display_name", "expand", "jurisdiction",
                       "metadata", "state", "tax_type"]}),
    ("get", "/v1/events", "/v1/events", {**LIST_CREATED, **EXPAND, "type": ALL, "types": ALL}, None),
    ("get", "/v1/events/{id}", "/v1/events/{id}", EXPAND, None),
    ("get", "/v1/webhook_endpoints", "/v1/webhook_endpoints", {**LIST, **EXPAND}, None),
    ("post", "/v1/webhook_endpoints", "/v1/webhook_endpoints", None, WEBHOOK_CREATE),
    ("get", "/v1/webhook_endpoints/{id}", "/v1/webhook_endpoints/{webhook_endpoint}", EXPAND, None),
    ("post", "/v1/webhook_endpoints/{id}", "/v1/webhook_endpoints/{webhook_endpoint}", None,
     {f: ALL for f in ["description", "disabled", "enabled_events", "expand", "metadata", "url"]}),
    ("delete", "/v1/webhook_endpoints/{id}", "/v1/webhook_endpoints/{webhook_endpoint}", {}, None),
]

# Request bodies that need no existing object, as examples (shown as JSON; on
# the wire in bracket notation: `line_items[0][price_data][currency]=usd`).
REQUEST_EXAMPLES = {
    ("post", "/v1/checkout/sessions"): {
        "mode": "payment",
        "success_url": "https://example.com/success?session={CHECKOUT_SESSION_ID}",
        "line_items": [
            {"price_data": {"currency": "usd", "unit_amount": 1099, "product_data": {"name": "T-shirt"}},
             "quantity": 2}
        ],
        "shipping_options": [
            {"shipping_rate_data": {"display_name": "Ground", "type": "fixed_amount",
                                    "fixed_amount": {"amount": 500, "currency": "usd"}}}
        ],
        "metadata": {"order_id": "6735"},
    },
    ("post", "/v1/prices"): {"currency": "usd", "unit_amount": 1099, "product_data": {"name": "T-shirt"}},
    ("post", "/v1/products"): {"name": "T-shirt", "description": "Comfortable cotton t-shirt"},
    ("post", "/v1/shipping_rates"): {
        "display_name": "Ground", "type": "fixed_amount", "fixed_amount": {"amount": 500, "currency": "usd"},
        "delivery_estimate": {"minimum": {"unit": "business_day", "value": 3},
                              "maximum": {"unit": "business_day", "value": 5}},
    },
    ("post", "/v1/tax_rates"): {"display_name": "VAT", "percentage": 20, "inclusive": False, "country": "DE"},
    ("post", "/v1/webhook_endpoints"): {
        "url": "https://example.com/stripe/webhook",
        "enabled_events": ["checkout.session.completed", "checkout.session.expired"],
    },
}

# Per-resource tags, in document order.
TAGS = [
    ("Checkout Sessions", "Stripe dialect: `/v1/checkout/sessions`, form-encoded, Stripe's wire format."),
    ("Prices", "Stripe dialect: prices."),
    ("Products", "Stripe dialect: products."),
    ("Shipping Rates", "Stripe dialect: shipping rates."),
    ("Tax Rates", "Stripe dialect: tax rates."),
    ("Events", "Stripe dialect: events, written with the change that causes them."),
    ("Webhook Endpoints", "Stripe dialect: webhook endpoints; deliveries are signed (`Stripe-Signature`)."),
    ("Test Helpers", "Test mode only (`sk_test_…` keys): move an account's clock, pay a session."),
    ("Gr4vy Checkout Sessions", "Gr4vy dialect: `/checkout/sessions`, JSON, ES512 JWT bearer auth."),
    ("Hosted Page", "The hosted payment page a session's `url` points at (HTML, no API key)."),
    ("Health", "Liveness, readiness, metrics and this document."),
]


def stripe_tag(path: str) -> str:
    for prefix, tag in [
        ("/v1/checkout/", "Checkout Sessions"),
        ("/v1/prices", "Prices"),
        ("/v1/products", "Products"),
        ("/v1/shipping_rates", "Shipping Rates"),
        ("/v1/tax_rates", "Tax Rates"),
        ("/v1/events", "Events"),
        ("/v1/webhook_endpoints", "Webhook Endpoints"),
        ("/v1/test_helpers/", "Test Helpers"),
    ]:
        if path.startswith(prefix):
            return tag
    raise SystemExit(f"no tag for {path}")


# ---------------------------------------------------------------------------
# Stripe component schemas (responses)
# ---------------------------------------------------------------------------

STRIPE_ROOTS = [
    "checkout.session",
    "item",
    "price",
    "product",
    "shipping_rate",
    "tax_rate",
    "event",
    "webhook_endpoint",
    "deleted_webhook_endpoint",
]


def refs_in(node, acc: set) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if not value.startswith(REF):
                    raise SystemExit(f"unexpected $ref {value!r}")
                acc.add(value[len(REF):])
            else:
                refs_in(value, acc)
    elif isinstance(node, list):
        for value in node:
            refs_in(value, acc)


def to_31(node, *, force_nullable=False, response=True):
    """An OpenAPI 3.0 schema node as JSON Schema 2020-12 (OpenAPI 3.1).

    `nullable: true` becomes a `null` type (or a `null` branch); in
    responses, a property its object does not require may also be `null`
    (checkoutd renders every field, `null` where it does not apply)."""
    if isinstance(node, list):
        return [to_31(v, response=response) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    required = set(node.get("required", []))
    for key, value in node.items():
        if key == "nullable" or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {
                name: to_31(sub, force_nullable=response and name not in required, response=response)
                for name, sub in value.items()
            }
        elif key in ("enum", "default", "example", "examples", "const"):
            out[key] = copy.deepcopy(value)
        else:
            out[key] = to_31(value, response=response)
    nullable = node.get("nullable") is True or force_nullable
    if not nullable:
        return out
    if "$ref" in out:
        ref = out.pop("$ref")
        return {**out, "anyOf": [{"$ref": ref}, {"type": "null"}]}
    if "type" in out:
        t = out["type"]
        if isinstance(t, list):
            if "null" not in t:
                out["type"] = t + ["null"]
        elif t != "null":
            out["type"] = [t, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = out["enum"] + [None]
    elif "anyOf" in out:
        if {"type": "null"} not in out["anyOf"]:
            out["anyOf"] = out["anyOf"] + [{"type": "null"}]
    elif "oneOf" in out:
        out["oneOf"] = out["oneOf"] + [{"type": "null"}]
    return out


def stripe_components(schemas: dict) -> dict:
    resources = {name for name, s in schemas.items() if "x-resourceId" in s}
    kept, stubs = {}, set()
    todo = list(STRIPE_ROOTS)
    while todo:
        name = todo.pop()
        if name in kept or name in stubs:
            continue
        if name in resources and name not in STRIPE_ROOTS:
            stubs.add(name)
            continue
        schema = strip_meta(schemas[name])
        kept[name] = schema
        acc: set = set()
        refs_in(schema, acc)
        todo.extend(sorted(acc))
    out = {name: to_31(schema) for name, schema in kept.items()}
    for name in stubs:
        out[name] = {
            "type": "object",
            "description": f"A Stripe `{name}`. checkoutd never expands it: where it appears, the field holds "
            "an id or `null`.",
        }
    adjust_stripe_components(out)
    return dict(sorted(out.items()))


def adjust_stripe_components(c: dict) -> None:
    """Make the converted schemas true to what checkoutd renders."""
    session = c["checkout.session"]["properties"]
    # Old names for API versions before 2026-03-25, and `form`.
    ui = session["ui_mode"]
    ui["enum"] = ["elements", "embedded_page", "hosted_page", "form", "hosted", "embedded", "custom", None]
    ui["description"] = (
        "The UI mode of the Session. Requests pinned (`Stripe-Version`) to an API version before 2026-03-25 "
        "get the old names `hosted`, `embedded` and `custom`."
    )
    # endive (2026-10-28) adds this field to the object.
    session["allowed_payment_method_types"] = {
        "type": "array",
        "items": {"type": "string", "maxLength": 5000},
        "description": "The payment method types this session accepts (API version 2026-10-28.endive).",
    }
    c["checkout.session"]["properties"] = dict(sorted(session.items()))


# ---------------------------------------------------------------------------
# The Stripe part
# ---------------------------------------------------------------------------

STRIPE_ERROR = {
    "type": "object",
    "description": "Stripe's error envelope, as checkoutd renders it.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {
                "type": {
                    "type": "string",
                    "enum": ["invalid_request_error", "idempotency_error", "api_error"],
                    "description": "`invalid_request_error` for bad parameters, unknown objects and missing "
                    "or wrong keys; `idempotency_error` for a reused `Idempotency-Key`; `api_error` for "
                    "5xx.",
                },
                "message": {"type": "string", "description": "A human-readable message, Stripe's where Stripe has one."},
                "code": {"type": "string", "description": "A machine-readable code (`parameter_unknown`, "
                         "`resource_missing`, …)."},
                "doc_url": {"type": "string", "description": "Stripe's page about `code`."},
                "param": {"type": "string", "description": "The parameter the error is about, in bracket notation "
                          "(`line_items[0][price]`)."},
            },
            "additionalProperties": False,
        }
    },
    "additionalProperties": False,
}

TEST_CLOCK = {
    "type": "object",
    "description": "The account's test clock after an advance.",
    "required": ["object", "account", "offset", "now", "expired_sessions"],
    "properties": {
        "object": {"type": "string", "enum": ["test_helpers.clock"]},
        "account": {"type": "string", "description": "The account whose clock moved."},
        "offset": {"type": "integer", "description": "Seconds the account's clock is ahead of real time."},
        "now": {"type": "integer", "description": "The account's time now (Unix seconds)."},
        "expired_sessions": {
            "type": "integer",
            "minimum": 0,
            "description": "Sessions (of any account) the advance made due and the sweep expired.",
        },
    },
    "additionalProperties": False,
}

ADDRESS_IN = {
    "type": "object",
    "required": ["line1", "country"],
    "properties": {
        "city": {"type": "string", "maxLength": 5000},
        "country": {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2, upper case."},
        "line1": {"type": "string", "maxLength": 5000},
        "line2": {"type": "string", "maxLength": 5000},
        "postal_code": {"type": "string", "maxLength": 5000},
        "state": {"type": "string", "maxLength": 5000},
    },
    "additionalProperties": False,
}

COMPLETE_BODY = {
    "type": "object",
    "properties": {
        "email": {"type": "string", "maxLength": 800, "description": "`customer_details.email`; default: the "
                  "session's `customer_email`, else `test@example.com`."},
        "expand": {"type": "array", "items": {"type": "string", "maxLength": 5000},
                   "description": "Specifies which fields in the response should be expanded."},
        "name": {"type": "string", "maxLength": 255, "description": "`customer_details.name`."},
        "shipping_rate": {"type": "string", "maxLength": 5000,
                          "description": "The chosen shipping option: one of the session's shipping rate ids."},
        "shipping_details": {
            "type": "object",
            "description": "The shipping address collected.",
            "required": ["name", "address"],
            "properties": {"name": {"type": "string", "maxLength": 255}, "address": ADDRESS_IN},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

ADVANCE_BODY = {
    "type": "object",
    "required": ["seconds"],
    "properties": {
        "seconds": {
            "type": "integer",
            "minimum": 1,
            "maximum": 315360000,
            "description": "How far to move the account's clock forward (at most ten years).",
        }
    },
    "additionalProperties": False,
}

FORM_ENCODING_NOTE = (
    "Form-encoded (`application/x-www-form-urlencoded`) in Stripe's bracket notation: nested objects as "
    "`a[b][c]=v`, arrays as `a[]=x` or `a[0]=x`; an empty value (`a=`) unsets an optional field where the "
    "schema allows `\"\"`."
)


def deep_encoding(schema: dict) -> dict:
    """Stripe's `encoding`: deepObject for every nested parameter."""
    enc = {}
    for name, sub in schema.get("properties", {}).items():
        nested = sub.get("type") in ("object", "array") or any(
            b.get("type") in ("object", "array") for b in sub.get("anyOf", [])
        )
        if nested:
            enc[name] = {"style": "deepObject", "explode": True}
    return enc


def stripe_parameters(op: dict, stripe_path: str, our_path: str, query_spec: dict, method: str) -> list:
    params = []
    stripe_params = {p["name"]: p for p in op.get("parameters", [])}
    # the path parameter, renamed to checkoutd's `{id}`
    if "{id}" in our_path:
        path_params = [p for p in op.get("parameters", []) if p["in"] == "path"]
        if len(path_params) != 1:
            raise SystemExit(f"{stripe_path}: expected one path parameter")
        p = strip_meta(path_params[0])
        p["name"] = "id"
        p["schema"] = {"type": "string", "maxLength": 5000}
        p.setdefault("description", "The object's id.")
        params.append(p)
    for name, spec in (query_spec or {}).items():
        if name not in stripe_params or stripe_params[name]["in"] != "query":
            raise SystemExit(f"{method.upper()} {stripe_path}: no query parameter {name}")
        p = strip_meta(stripe_params[name])
        if name == "expand":
            p["schema"] = expand_schema(method, our_path)
        else:
            schema = currencies_as_ref(
                harden(to_31(trim(stripe_params[name]["schema"], spec, f"{stripe_path}?{name}"), response=False))
            )
            if name == "limit":
                schema.update({"minimum": 1, "maximum": 100, "default": 10})
            p["schema"] = schema
        params.append(p)
    params.append({"$ref": "#/components/parameters/StripeVersion"})
    if method == "post":
        params.append({"$ref": "#/components/parameters/IdempotencyKey"})
    return params


def stripe_error_responses(method: str) -> dict:
    out = {
        "400": {"$ref": "#/components/responses/StripeBadRequest"},
        "401": {"$ref": "#/components/responses/StripeUnauthorized"},
        "404": {"$ref": "#/components/responses/StripeNotFound"},
    }
    if method == "post":
        out["409"] = {"$ref": "#/components/responses/StripeIdempotencyConflict"}
    out["500"] = {"$ref": "#/components/responses/StripeServerError"}
    out["503"] = {"$ref": "#/components/responses/StripeUnavailable"}
    return out


def ok_response(description: str, schema: dict) -> dict:
    return {
        "description": description,
        "headers": {
            "Request-Id": {"$ref": "#/components/headers/RequestId"},
            "Stripe-Version": {"$ref": "#/components/headers/StripeVersion"},
        },
        "content": {"application/json": {"schema": schema}},
    }


def stripe_paths(endpoints: dict) -> dict:
    paths: dict = {}
    for method, ours, theirs, query_spec, body_spec in STRIPE_OPERATIONS:
        op = endpoints["paths"][theirs][method]
        out = {
            "tags": [stripe_tag(ours)],
            "summary": op["summary"],
            "description": strip_meta(op).get("description", ""),
            "operationId": op["operationId"],
            "parameters": stripe_parameters(op, theirs, ours, query_spec, method),
        }
        if body_spec is not None:
            base = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
            spec = dict(body_spec)
            if "locale" in spec:
                locales = base["properties"]["locale"]["enum"]
                spec["locale"] = Enum(*locales, extra=["hi-IN"])
            body = currencies_as_ref(
                harden(to_31(trim(base, Obj(spec, required=body_required(method, ours, base)), f"{method} {ours}"),
                             response=False))
            )
            if "expand" in body["properties"]:
                body["properties"]["expand"] = expand_schema(method, ours)
            constrain_body(method, ours, body)
            media = {"schema": body, "encoding": deep_encoding(body)}
            if (method, ours) in REQUEST_EXAMPLES:
                media["examples"] = {"example": {"value": REQUEST_EXAMPLES[(method, ours)]}}
            out["requestBody"] = {
                "required": bool(body.get("required")),
                "description": FORM_ENCODING_NOTE,
                "content": {"application/x-www-form-urlencoded": media},
            }
        response = to_31(strip_meta(op["responses"]["200"]["content"]["application/json"]["schema"]))
        out["responses"] = {"200": ok_response("Successful response.", response), **stripe_error_responses(method)}
        paths.setdefault(ours, {})[method] = out
    return paths


def body_required(method: str, path: str, base: dict) -> list:
    required = list(base.get("required", []))
    if method == "post" and path == "/v1/checkout/sessions":
        # Stripe's spec marks nothing required; checkoutd (like Stripe) needs a mode.
        required = ["mode"]
    return required


def test_helper_paths() -> dict:
    session = {"$ref": REF + "checkout.session"}
    complete = harden(COMPLETE_BODY)
    complete["properties"]["expand"] = expand_schema("post", "/v1/test_helpers/checkout/sessions/{id}/complete")
    return {
        "/v1/test_helpers/clock/advance": {
            "post": {
                "tags": ["Test Helpers"],
                "summary": "Advance the account's test clock",
                "description": "Moves the account's clock forward by `seconds` (test mode only). Expiry, the "
                "`created` filters and Gr4vy sessions of the account follow it; sessions that became due are "
                "expired at once.",
                "operationId": "PostTestHelpersClockAdvance",
                "parameters": [
                    {"$ref": "#/components/parameters/StripeVersion"},
                    {"$ref": "#/components/parameters/IdempotencyKey"},
                ],
                "requestBody": {
                    "required": True,
                    "description": FORM_ENCODING_NOTE,
                    "content": {"application/x-www-form-urlencoded": {
                        "schema": ADVANCE_BODY, "examples": {"an hour": {"value": {"seconds": 3600}}}}},
                },
                "responses": {
                    "200": ok_response("The clock after the advance.", {"$ref": REF + "test_helpers.clock"}),
                    **stripe_error_responses("post"),
                },
            }
        },
        "/v1/test_helpers/checkout/sessions/{id}/complete": {
            "post": {
                "tags": ["Test Helpers"],
                "summary": "Complete a Checkout Session",
                "description": "Pays an open session as the hosted page would (test mode only), emitting "
                "`checkout.session.completed`.",
                "operationId": "PostTestHelpersCheckoutSessionsIdComplete",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "description": "The session's id.",
                        "schema": {"type": "string", "maxLength": 5000},
                    },
                    {"$ref": "#/components/parameters/StripeVersion"},
                    {"$ref": "#/components/parameters/IdempotencyKey"},
                ],
                "requestBody": {
                    "required": False,
                    "description": FORM_ENCODING_NOTE,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": complete,
                            "encoding": deep_encoding(complete),
                        }
                    },
                },
                "responses": {"200": ok_response("The completed session.", session), **stripe_error_responses("post")},
            }
        },
    }


def stripe_responses() -> dict:
    def err(description: str, extra_headers=None, conventions=True) -> dict:
        # 408 and 413 come from the body limit in front of every route
        # (http/limits.rs), before the Stripe conventions add their headers.
        headers = {
            "Request-Id": {"$ref": "#/components/headers/RequestId"},
            "Stripe-Version": {"$ref": "#/components/headers/StripeVersion"},
        } if conventions else {}
        headers.update(extra_headers or {})
        out = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": REF + "stripe.error"}}},
        }
        if headers:
            out["headers"] = headers
        return out

    return {
        "StripeBadRequest": err("Invalid parameters (unknown, missing, malformed or out of range), an unusable "
                                "object, or an `idempotency_error`."),
        "StripeUnauthorized": err("No API key, or an unknown one."),
        "StripeNotFound": err("No such object (in this account and mode), or an unrecognized URL."),
        "StripeIdempotencyConflict": err("Another request with the same `Idempotency-Key` is still in flight."),
        "StripeRequestTimeout": err("The request body did not arrive within `--body-timeout-ms`.",
                                    conventions=False),
        "StripeTooLarge": err("The request body is over 1 MiB.", conventions=False),
        "StripeRateLimited": err("More requests with this key than `--rate-limit` allows (off by default); "
                                 "back off and retry."),
        "StripeServerError": err("An unexpected failure (logged; the body is generic)."),
        "StripeUnavailable": err(
            "The database cannot take the request now (pool exhausted, timeout); retry.",
            {"Stripe-Should-Retry": {"description": "Always `true`.", "schema": {"type": "string", "enum": ["true"]}}},
        ),
    }


# ---------------------------------------------------------------------------
# The Gr4vy part
# ---------------------------------------------------------------------------

GR4VY_OPERATIONS = [
    ("/checkout/sessions", "post"),
    ("/checkout/sessions/{session_id}", "get"),
    ("/checkout/sessions/{session_id}", "put"),
    ("/checkout/sessions/{session_id}", "delete"),
]

# Status codes checkoutd answers in the Gr4vy dialect (success aside).
GR4VY_ERRORS = {
    "400": ("Error400", "The request failed validation (one `details` entry per offending field)."),
    "401": ("Error401", "No valid JWT (the reason is in `WWW-Authenticate`)."),
    "403": ("Error403", "The JWT lacks the scope the operation needs."),
    "404": ("Error404", "No such session: unknown, deleted, expired or another merchant account's."),
    "500": ("Error500", "An unexpected failure (logged; the body is generic)."),
    "503": ("Error", "The database cannot take the request now; retry."),
}

GR4VY_GENERIC_ERROR = {
    "type": "object",
    "title": "Error",
    "description": "Gr4vy's error envelope with any code (`payload_too_large`, `service_unavailable`).",
    "properties": {
        "type": {"type": "string", "const": "error"},
        "code": {"type": "string"},
        "status": {"type": "integer"},
        "message": {"type": "string"},
        "details": {"type": "array", "items": {"$ref": REF + "gr4vy.ErrorDetail"}},
    },
    "additionalProperties": False,
}


def rename_refs(node, prefix: str):
    if isinstance(node, dict):
        return {
            k: (REF + prefix + v[len(REF):] if k == "$ref" and isinstance(v, str) and v.startswith(REF)
                else rename_refs(v, prefix))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [rename_refs(v, prefix) for v in node]
    return node


def gr4vy_part(spec: dict) -> tuple[dict, dict]:
    schemas = spec["components"]["schemas"]
    paths: dict = {}
    used: set = set()
    for path, method in GR4VY_OPERATIONS:
        op = strip_meta(copy.deepcopy(spec["paths"][path][method]))
        scope = "checkout-sessions.read" if method == "get" else "checkout-sessions.write"
        op["tags"] = ["Gr4vy Checkout Sessions"]
        op["security"] = [{"gr4vyBearer": [scope]}]
        success = {k: v for k, v in op["responses"].items() if k.startswith("2")}
        responses = dict(success)
        for code, (name, description) in GR4VY_ERRORS.items():
            responses[code] = {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": REF + name}}},
            }
        op["responses"] = responses
        if method == "post":
            op["description"] = (
                op.get("description", "")
                + " The body is optional: no body, `null` or an array of objects create an empty session."
            ).strip()
        refs_in(op, used)
        paths.setdefault(path, {})[method] = rename_refs(op, "gr4vy.")
    # the closure of what the operations use
    kept: dict = {}
    todo = sorted(used | {"ErrorDetail"})
    while todo:
        name = todo.pop()
        if name in kept or name == "Error":
            continue
        kept[name] = schemas[name]
        acc: set = set()
        refs_in(schemas[name], acc)
        todo.extend(sorted(acc))
    components = {f"gr4vy.{name}": rename_refs(strip_meta(s), "gr4vy.") for name, s in kept.items()}
    components["gr4vy.Error"] = GR4VY_GENERIC_ERROR
    adjust_gr4vy_components(components)
    return paths, dict(sorted(components.items()))


def adjust_gr4vy_components(c: dict) -> None:
    """The two `CartItem` fields the 2.4.27 SDK sends and the spec snapshot lacks."""
    item = c["gr4vy.CartItem"]["properties"]
    item.setdefault("brand", {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "title": "Brand",
        "description": "The brand of the item (sent by the Gr4vy SDKs, not in the published spec).",
    })
    item.setdefault("subcategories", {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
        "title": "Subcategories",
        "description": "Subcategories of the item (sent by the Gr4vy SDKs, not in the published spec).",
    })


# ---------------------------------------------------------------------------
# Health, hosted page, this document
# ---------------------------------------------------------------------------


def text(description: str, media: str = "text/plain", example: str | None = None) -> dict:
    schema: dict = {"type": "string"}
    if example is not None:
        schema["examples"] = [example]
    return {"description": description, "content": {media: {"schema": schema}}}


HOSTED_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The session's id (`cs_test_…` / `cs_live_…`): the capability to see and pay it.",
    "schema": {"type": "string"},
}

HOSTED_FORM = {
    "type": "object",
    "description": "The page's form. Field names are a contract (tests outside the repository fill the form by "
    "them). Posts must come from the page's own origin (`Origin`/`Sec-Fetch-Site`) and carry its `csrf_token`.",
    "properties": {
        "csrf_token": {"type": "string", "description": "The token the page embeds."},
        "action": {"type": "string", "enum": ["pay", "update_shipping"],
                   "description": "`update_shipping` re-renders with the chosen rate; anything else pays."},
        "email": {"type": "string"},
        "name": {"type": "string"},
        "address_line1": {"type": "string"},
        "address_line2": {"type": "string"},
        "address_city": {"type": "string"},
        "address_state": {"type": "string"},
        "address_postal_code": {"type": "string"},
        "address_country": {"type": "string"},
        "shipping_rate": {"type": "string", "description": "One of the session's shipping rate ids."},
        "card_number": {"type": "string", "description": "Test cards: 4242 4242 4242 4242 succeeds, "
                        "4000 0000 0000 0002 is declined."},
        "card_expiry": {"type": "string", "description": "`MM / YY`."},
        "card_cvc": {"type": "string"},
        "order": {"type": "string", "description": "The order summary the page showed (a fingerprint)."},
    },
}


HOSTED_500 = {
    "description": "The store failed (an error page), or the page failed to render (plain text).",
    "content": {"text/html": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}}},
}


def other_paths() -> dict:
    no_auth: list = []
    html = "text/html"
    return {
        "/healthz": {"get": {
            "tags": ["Health"], "summary": "Liveness", "operationId": "GetHealthz", "security": no_auth,
            "responses": {"200": text("Serving.", example="ok")},
        }},
        "/readyz": {"get": {
            "tags": ["Health"], "summary": "Readiness", "operationId": "GetReadyz", "security": no_auth,
            "description": "200 when the database answers.",
            "responses": {"200": text("The store answers.", example="ready"),
                          "503": text("The store does not answer.", example="store unavailable")},
        }},
        "/metrics": {"get": {
            "tags": ["Health"], "summary": "Prometheus metrics", "operationId": "GetMetrics", "security": no_auth,
            "responses": {"200": text("Prometheus text exposition format.")},
        }},
        "/openapi.json": {"get": {
            "tags": ["Health"], "summary": "This document", "operationId": "GetOpenapiJson", "security": no_auth,
            "responses": {"200": {"description": "checkoutd's OpenAPI 3.1 document.",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        }},
        "/c/pay/{id}": {
            "get": {
                "tags": ["Hosted Page"], "summary": "The hosted payment page", "operationId": "GetHostedPage",
                "security": no_auth, "parameters": [HOSTED_ID],
                "responses": {
                    "200": text("The payment form, or the state of a session that no longer takes payment "
                                "(paid, expired).", html),
                    "404": text("No such session.", html),
                    "500": HOSTED_500,
                },
            },
            "post": {
                "tags": ["Hosted Page"], "summary": "Pay, or choose a shipping rate", "operationId": "PostHostedPage",
                "security": no_auth, "parameters": [HOSTED_ID],
                "requestBody": {"required": False, "content": {"application/x-www-form-urlencoded": {
                    "schema": HOSTED_FORM}}},
                "responses": {
                    "200": text("The form again (with the chosen shipping rate), or the session's state.", html),
                    "303": {"description": "Paid: redirect to the session's `success_url`.",
                            "headers": {"Location": {"schema": {"type": "string"}}}},
                    "400": text("The form has errors (shown inline).", html),
                    "402": text("The test card was declined.", html),
                    "403": text("Not a same-origin post, or a bad `csrf_token`.", html),
                    "404": text("No such session.", html),
                    "409": text("The order changed while the page was open (shown again).", html),
                    "413": text("The form is over 64 KiB.", html),
                    "500": HOSTED_500,
                },
            },
        },
        "/c/assets/checkout.css": {"get": {
            "tags": ["Hosted Page"], "summary": "The page's stylesheet", "operationId": "GetHostedStylesheet",
            "security": no_auth, "responses": {"200": text("CSS.", "text/css")},
        }},
        "/c/assets/checkout.js": {"get": {
            "tags": ["Hosted Page"], "summary": "The page's script (optional: the page works without it)",
            "operationId": "GetHostedScript", "security": no_auth,
            "responses": {"200": text("JavaScript.", "text/javascript")},
        }},
    }


# What the HTTP layer answers before any handler runs, on every operation.
HTTP_LIMITS = {
    "414": {"description": "The request line (URL with its query) is too long for the HTTP server; empty body."},
    "431": {"description": "The request's headers are too large for the HTTP server; empty body."},
}


def add_limits(path: str, responses: dict) -> None:
    """The answers of the limits in front of every route (crates/server/src/http/limits.rs),
    in the route's dialect, and those of the HTTP layer."""
    if path.startswith("/v1/"):
        responses["408"] = {"$ref": "#/components/responses/StripeRequestTimeout"}
        responses["413"] = {"$ref": "#/components/responses/StripeTooLarge"}
        responses["429"] = {"$ref": "#/components/responses/StripeRateLimited"}
    elif path.startswith("/checkout/"):
        for code, description in [
            ("408", "The request body did not arrive within `--body-timeout-ms`."),
            ("413", "The request body is over 1 MiB."),
            ("429", "More requests with this signing key than `--rate-limit` allows (off by default)."),
        ]:
            responses[code] = {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": REF + "gr4vy.Error"}}},
            }
    else:
        for code, description in [
            ("408", "The request body did not arrive within `--body-timeout-ms`."),
            ("413", "The request body is over 1 MiB."),
        ]:
            plain = {"schema": {"type": "string"}}
            if code in responses:
                responses[code]["description"] += " Or: " + description
                responses[code].setdefault("content", {})["text/plain"] = plain
            else:
                responses[code] = {"description": description, "content": {"text/plain": plain}}
    responses.update(HTTP_LIMITS)


DESCRIPTION = """\
checkoutd is a self-hosted Checkout Sessions server. This document describes exactly the API it serves, in both \
of its wire dialects, and is generated from the reference specs it copies (`crates/server/openapi/generate.py`; \
tests check it against the routes and a live server).

**Stripe dialect** (`/v1/…`): form-encoded requests in Stripe's bracket notation, JSON responses, Stripe's error \
envelope. Authenticate with a secret key as a Bearer token (`Authorization: Bearer sk_test_…`) or as the Basic \
user name with an empty password. Request bodies list the parameters checkoutd implements; any other parameter \
is answered with a 400 (`parameter_unknown`, or "not supported by checkoutd" for Stripe parameters it does not \
implement). Responses carry every field of Stripe's schema, `null` where it does not apply, so a field Stripe \
marks optional may be `null` here. `Stripe-Version` is accepted and echoed (default `2026-10-28.endive`); \
`Idempotency-Key` on POST replays the first response (`Idempotent-Replayed: true`).

**Gr4vy dialect** (`/checkout/sessions…`): JSON, Gr4vy's schemas and error envelope. Authenticate with an \
ES512 (P-521) JWT signed by a key whose public half checkoutd was given (`--gr4vy-public-keys`); the header's \
`kid` is the key's RFC 7638 thumbprint, the `scopes` claim needs `checkout-sessions.read`/`.write` or \
`*.read`/`*.write`. `x-gr4vy-merchant-account-id` selects the merchant account (default `default`).

**Test helpers** (`/v1/test_helpers/…`, test-mode keys only), **health** (`/healthz`, `/readyz`, `/metrics`) \
and the **hosted page** (`/c/pay/{id}`, HTML) complete the surface.
"""


def build(reference: Path) -> dict:
    endpoints = json.loads((reference / "stripe" / "checkout_endpoints.json").read_text())
    components = json.loads((reference / "stripe" / "checkout_session.schema.json").read_text())["schemas"]
    gr4vy = json.loads((reference / "gr4vy" / "openapi-checkout-sessions.json").read_text())

    stripe_schemas = stripe_components(components)
    stripe_schemas["stripe.error"] = STRIPE_ERROR
    stripe_schemas["stripe.currency"] = {
        "type": "string",
        "description": "A three-letter ISO 4217 currency code, lower case (upper case is accepted too).",
        "enum": domain_currencies(),
    }
    stripe_schemas["test_helpers.clock"] = TEST_CLOCK
    gr4vy_paths, gr4vy_schemas = gr4vy_part(gr4vy)
    schemas = {**dict(sorted(stripe_schemas.items())), **gr4vy_schemas}

    paths = {**stripe_paths(endpoints), **test_helper_paths(), **gr4vy_paths, **other_paths()}
    for path, methods in paths.items():
        for op in methods.values():
            add_limits(path, op["responses"])
            op["responses"] = dict(sorted(op["responses"].items()))
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "checkoutd",
            "version": "0.1.0",
            "summary": "Self-hosted Checkout Sessions server speaking Stripe's and Gr4vy's wire dialects.",
            "description": DESCRIPTION,
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "servers": [{"url": "http://127.0.0.1:4242", "description": "`checkoutd` with its default `--addr`."}],
        "security": [{"stripeBearer": []}, {"stripeBasic": []}],
        "tags": [{"name": name, "description": d} for name, d in TAGS],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "stripeBearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A secret key (`sk_test_…` or `sk_live_…`) as the Bearer token.",
                },
                "stripeBasic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "A secret key as the user name, with an empty password.",
                },
                "gr4vyBearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An ES512 (P-521) JWT: header `kid` = RFC 7638 thumbprint of a key given to "
                    "`--gr4vy-public-keys`; claims `exp` (required), `nbf`/`iat` (60 s skew), `scopes` "
                    "(`checkout-sessions.read`/`.write` or `*.read`/`*.write`).",
                },
            },
            "parameters": {
                "StripeVersion": {
                    "name": "Stripe-Version",
                    "in": "header",
                    "required": False,
                    "description": "The API version to render responses in (default `2026-10-28.endive`); echoed.",
                    "schema": {"type": "string", "maxLength": 100},
                },
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Makes a POST safe to retry: a repeat with the same parameters replays the first "
                    "success (`Idempotent-Replayed: true`); other parameters give a 400 `idempotency_error`. "
                    "Kept 25 hours.",
                    "schema": {"type": "string", "maxLength": 255},
                },
            },
            "headers": {
                "RequestId": {
                    "description": "The request's id (`req_…`).",
                    "required": True,
                    "schema": {"type": "string"},
                },
                "StripeVersion": {
                    "description": "The API version the response is rendered in.",
                    "required": True,
                    "schema": {"type": "string"},
                },
            },
            "responses": stripe_responses(),
            "schemas": schemas,
        },
    }
    return doc


def render(doc: dict) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def default_reference() -> Path:
    env = os.environ.get("CHECKOUTD_REFERENCE")
    if env:
        return Path(env)
    for candidate in (REPO / "shared" / "reference", REPO.parent / "shared" / "reference"):
        if candidate.exists():
            return candidate
    return REPO.parent / "shared" / "reference"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="fail if --out differs from what would be generated")
    args = parser.parse_args(argv)
    reference = args.reference or default_reference()
    text_out = render(build(reference))
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text_out:
            print(f"{args.out} is out of date: run python3 crates/server/openapi/generate.py", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date", file=sys.stderr)
        return 0
    args.out.write_text(text_out)
    print(f"wrote {args.out} ({len(text_out)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
