#!/usr/bin/env python3
"""Extract the Stripe schemas the SDK suite validates against.

Reads Stripe's OpenAPI component schemas (the project's reference copy,
``shared/reference/stripe/checkout_session.schema.json``) and writes the
``$ref`` closure of the roots we validate into ``schemas/stripe_subset.json``,
which is committed so that the tests never need ``shared/`` at run time.

What is kept and what is changed:

* The schemas stay in OpenAPI 3.0 form (``nullable: true``,
  ``$ref: "#/components/schemas/X"``); the conversion to JSON Schema happens
  when the tests load the file (``schema_support.py``).
* ``description`` texts are dropped (they are most of the size).
* Foreign top-level resources that a session or catalog object only refers
  to by id unless expanded (``customer``, ``payment_intent``, ``invoice``,
  ``discount``, ...) are not followed: each is replaced by a stub
  ``{"type": "object", "x-pruned": true}`` so every ``$ref`` still resolves.
  The suite never expands them, so their id form (a string) is what appears.

Usage (from the repository root)::

    python3 tests/sdk/python/tools/extract_schemas.py \
        [--source ../shared/reference/stripe/checkout_session.schema.json] \
        [--out tests/sdk/python/schemas/stripe_subset.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOTS = ["checkout.session", "item", "price", "product", "shipping_rate", "tax_rate"]
REF_PREFIX = "#/components/schemas/"

HERE = Path(__file__).resolve().parent
SUITE = HERE.parent
DEFAULT_OUT = SUITE / "schemas" / "stripe_subset.json"


def default_source() -> Path:
    env = os.environ.get("CHECKOUTD_STRIPE_SCHEMA")
    if env:
        return Path(env)
    # repo root is tests/sdk/python/../../..; shared/ sits beside the repo or inside it
    repo = SUITE.parents[2]
    for candidate in (
        repo / "shared" / "reference" / "stripe" / "checkout_session.schema.json",
        repo.parent / "shared" / "reference" / "stripe" / "checkout_session.schema.json",
    ):
        if candidate.exists():
            return candidate
    return repo.parent / "shared" / "reference" / "stripe" / "checkout_session.schema.json"


def refs_in(node, acc: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if not value.startswith(REF_PREFIX):
                    raise ValueError(f"unexpected $ref {value!r}")
                acc.add(value[len(REF_PREFIX):])
            else:
                refs_in(value, acc)
    elif isinstance(node, list):
        for value in node:
            refs_in(value, acc)


def strip(node):
    """Drop descriptions and the expansion hints (they hold refs we prune)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("description", "x-expansionResources"):
                continue
            # A property *named* description is a real field: keep it.
            if key == "properties":
                out[key] = {name: strip(sub) for name, sub in value.items()}
            else:
                out[key] = strip(value)
        return out
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def extract(schemas: dict) -> dict:
    resources = {name for name, s in schemas.items() if "x-resourceId" in s}
    kept: dict[str, dict] = {}
    stubs: set[str] = set()
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        if name in kept or name in stubs:
            continue
        if name in resources and name not in ROOTS:
            stubs.add(name)
            continue
        schema = strip(schemas[name])
        kept[name] = schema
        acc: set[str] = set()
        refs_in(schema, acc)
        todo.extend(sorted(acc))
    for name in stubs:
        kept[name] = {"type": "object", "x-pruned": True}
    return dict(sorted(kept.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    source = args.source or default_source()
    data = json.loads(source.read_text())
    schemas = data["schemas"]
    subset = extract(schemas)
    doc = {
        "x-extracted-from": data.get("x-extracted-from", str(source.name)),
        "x-extracted-by": "tests/sdk/python/tools/extract_schemas.py",
        "x-roots": ROOTS,
        "x-note": "OpenAPI 3.0 component schemas (descriptions removed); schemas with "
        "x-pruned are foreign resources replaced by a stub (never expanded by the tests).",
        "schemas": subset,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
    print(f"wrote {len(subset)} schemas to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
