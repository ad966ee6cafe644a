"""Load Stripe's OpenAPI 3.0 component schemas as JSON Schema validators.

``schemas/stripe_subset.json`` holds the schemas in OpenAPI 3.0 form (see
``tools/extract_schemas.py``). JSON Schema (draft 2020-12) differs in two ways
that matter here:

* ``nullable: true`` -> ``null`` is an allowed type: ``type: X`` becomes
  ``type: [X, "null"]`` (and ``null`` joins an ``enum``); a schema without
  ``type`` (``anyOf`` of refs) gets ``anyOf: [..., {"type": "null"}]``.
* ``$ref: "#/components/schemas/X"`` -> ``$ref: "#/$defs/X"``.

One deliberate loosening, from DESIGN.md ("every field of the schema,
nullable ones as null; an optional field with no value that applies, such as
``return_url`` on a hosted session, as null too"): a property that is *not*
in its object's ``required`` list may also be ``null``. Stripe omits such
fields; checkoutd prints them as ``null``; the SDKs type them as optional.

Everything else (``maxLength``, ``enum``, ``required``, ``properties``,
``additionalProperties`` for maps, ``anyOf``) means the same in both.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

import jsonschema

SUBSET = Path(__file__).resolve().parent / "schemas" / "stripe_subset.json"
OPENAPI_PREFIX = "#/components/schemas/"


def convert(node, *, force_nullable: bool = False):
    """Return a JSON Schema (2020-12) equivalent of an OpenAPI 3.0 schema node."""
    if isinstance(node, list):
        return [convert(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    required = set(node.get("required", []))
    for key, value in node.items():
        if key == "$ref":
            assert value.startswith(OPENAPI_PREFIX), value
            out["$ref"] = "#/$defs/" + value[len(OPENAPI_PREFIX):]
        elif key == "nullable" or key.startswith("x-"):
            continue
        elif key == "properties":
            out[key] = {
                name: convert(sub, force_nullable=name not in required) for name, sub in value.items()
            }
        else:
            out[key] = convert(value)
    if force_nullable and node.get("nullable") is not True:
        if "$ref" in out:
            # $ref siblings are ignored in OpenAPI 3.0: wrap instead
            return {"anyOf": [{"$ref": out.pop("$ref")}, {"type": "null"}], **out}
        node = {**node, "nullable": True}
    if node.get("nullable") is True:
        if "type" in out:
            t = out["type"]
            out["type"] = list(t) + ["null"] if isinstance(t, list) else [t, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = list(out["enum"]) + [None]
        elif "anyOf" in out:
            out["anyOf"] = list(out["anyOf"]) + [{"type": "null"}]
        elif "oneOf" in out:
            out["oneOf"] = list(out["oneOf"]) + [{"type": "null"}]
        else:
            # nullable without a type: anything goes, null included.
            pass
    return out


@lru_cache(maxsize=None)
def openapi_schemas() -> dict:
    return json.loads(SUBSET.read_text())["schemas"]


@lru_cache(maxsize=None)
def json_schema_defs() -> dict:
    return {name: convert(schema) for name, schema in openapi_schemas().items()}


@lru_cache(maxsize=None)
def validator_for(name: str) -> jsonschema.protocols.Validator:
    """Validator for a component schema, or ``"X.properties.p"`` for an inline sub-schema."""
    defs = json_schema_defs()
    top, _, prop = name.partition(".properties.")
    if top not in defs:
        raise KeyError(f"schema {top!r} not in {SUBSET.name}")
    target = convert(openapi_schemas()[top]["properties"][prop]) if prop else {"$ref": f"#/$defs/{top}"}
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": copy.deepcopy(defs),
        **target,
    }
    cls = jsonschema.Draft202012Validator
    cls.check_schema(root)
    return cls(root)


def validation_errors(name: str, instance) -> list[str]:
    """Every schema violation of ``instance`` as 'path: message' lines."""
    errors = sorted(validator_for(name).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for err in errors:
        path = "/".join(str(p) for p in err.absolute_path) or "<root>"
        # anyOf failures carry the useful detail in their context
        detail = err.message
        useful = [
            c for c in (err.context or [])
            if not (c.validator == "type" and c.validator_value == "null")
        ]
        if useful:
            best = max(useful, key=lambda c: len(c.absolute_path))
            detail += f" (e.g. {'/'.join(str(p) for p in best.absolute_path)}: {best.message})"
        out.append(f"{path}: {detail[:500]}")
    return out


def assert_valid(name: str, instance) -> None:
    errors = validation_errors(name, instance)
    assert not errors, f"{name} response violates Stripe's schema:\n  " + "\n  ".join(errors)


def required_fields(name: str) -> list[str]:
    return list(openapi_schemas()[name].get("required", []))


def property_names(name: str) -> list[str]:
    return list(openapi_schemas()[name].get("properties", {}))
