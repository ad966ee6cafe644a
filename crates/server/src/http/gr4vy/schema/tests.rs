//! The schema tables against Gr4vy's published OpenAPI document
//! (`tests/fixtures/gr4vy/openapi-checkout-sessions.json`, copied unchanged
//! from `reference/gr4vy/`): same objects, fields in the same order, same
//! required set, nullability, types, limits, patterns, enums and defaults.

use super::*;
use serde_json::Value;

const OPENAPI: &str =
    include_str!("../../../../tests/fixtures/gr4vy/openapi-checkout-sessions.json");

/// Fields the SDK 2.4.27 has beyond the spec snapshot (README §1).
const SDK_ONLY: &[(&str, &str)] = &[("CartItem", "brand"), ("CartItem", "subcategories")];

struct Spec {
    schemas: Value,
}

impl Spec {
    fn load() -> Spec {
        let doc: Value = serde_json::from_str(OPENAPI).expect("OpenAPI fixture is JSON");
        Spec {
            schemas: doc["components"]["schemas"].clone(),
        }
    }

    fn schema(&self, name: &str) -> &Value {
        let s = &self.schemas[name];
        assert!(s.is_object(), "no schema {name} in the spec");
        s
    }

    fn deref<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => self.schema(r.rsplit('/').next().expect("ref name")),
            None => v,
        }
    }
}

/// `anyOf: [X, {type: null}]` as (X, true); anything else as (it, false).
fn nullable(p: &Value) -> (&Value, bool) {
    if let Some(alts) = p.get("anyOf").and_then(Value::as_array) {
        let non_null: Vec<&Value> = alts.iter().filter(|a| a["type"] != "null").collect();
        assert_eq!(non_null.len(), 1, "unexpected anyOf {p}");
        return (non_null[0], non_null.len() < alts.len());
    }
    (p, false)
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn check_ty(spec: &Spec, ty: &Ty, p: &Value, at: &str, seen: &mut Vec<&'static str>) {
    let p = spec.deref(p);
    let kind = p["type"].as_str().unwrap_or("");
    match *ty {
        Ty::Str { min, max } => {
            assert_eq!(kind, "string", "{at}");
            assert_eq!(
                num(&p["minLength"]).unwrap_or(0.0),
                min as f64,
                "{at} minLength"
            );
            assert_eq!(
                num(&p["maxLength"]),
                max.map(|m| m as f64),
                "{at} maxLength"
            );
            for k in ["pattern", "format", "enum"] {
                assert!(p.get(k).is_none(), "{at} has {k}");
            }
        }
        Ty::Pattern(pat) => {
            assert_eq!(kind, "string", "{at}");
            assert_eq!(p["pattern"].as_str(), Some(pat.regex()), "{at} pattern");
        }
        Ty::Int {
            min,
            exclusive_min,
            max,
        } => {
            assert_eq!(kind, "integer", "{at}");
            let key = if exclusive_min {
                "exclusiveMinimum"
            } else {
                "minimum"
            };
            assert_eq!(num(&p[key]), Some(min as f64), "{at} {key}");
            assert_eq!(num(&p["maximum"]), Some(max as f64), "{at} maximum");
        }
        Ty::Number { min, max } => {
            assert_eq!(kind, "number", "{at}");
            assert_eq!(num(&p["minimum"]), Some(min), "{at}");
            assert_eq!(num(&p["maximum"]), Some(max), "{at}");
        }
        Ty::Bool => assert_eq!(kind, "boolean", "{at}"),
        Ty::Enum { values, .. } => {
            let spec_values: Vec<&str> = p["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("{at} has no enum"))
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert_eq!(spec_values, values, "{at} enum");
        }
        Ty::DateTime => assert_eq!(p["format"], "date-time", "{at}"),
        Ty::Date => assert_eq!(p["format"], "date", "{at}"),
        Ty::Uuid => assert_eq!(p["format"], "uuid", "{at}"),
        Ty::Array { item, max_items } => {
            assert_eq!(kind, "array", "{at}");
            assert_eq!(num(&p["maxItems"]), max_items.map(|m| m as f64), "{at}");
            check_ty(spec, item, &p["items"], &format!("{at}[]"), seen);
        }
        Ty::Object(schema) => {
            check_schema(spec, schema, p, seen);
        }
        Ty::StrMap => {
            assert_eq!(kind, "object", "{at}");
            assert_eq!(p["additionalProperties"]["type"], "string", "{at}");
        }
    }
}

fn check_schema(spec: &Spec, ours: &Schema, theirs: &Value, seen: &mut Vec<&'static str>) {
    if seen.contains(&ours.name) {
        return;
    }
    seen.push(ours.name);
    assert_eq!(theirs["title"].as_str(), Some(ours.name));
    assert_eq!(
        theirs["additionalProperties"],
        Value::Bool(false),
        "{}",
        ours.name
    );
    let props = theirs["properties"].as_object().expect("properties");
    let ours_in_spec: Vec<&str> = ours
        .fields
        .iter()
        .map(|f| f.name)
        .filter(|n| !SDK_ONLY.contains(&(ours.name, *n)))
        .collect();
    let spec_names: Vec<&str> = props.keys().map(String::as_str).collect();
    assert_eq!(ours_in_spec, spec_names, "fields of {}", ours.name);
    let required: Vec<&str> = theirs["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for field in ours.fields {
        let at = format!("{}.{}", ours.name, field.name);
        assert_eq!(
            field.required,
            required.contains(&field.name),
            "{at} required"
        );
        let Some(p) = props.get(field.name) else {
            continue; // SDK-only
        };
        let (inner, is_nullable) = nullable(p);
        assert_eq!(field.nullable, is_nullable, "{at} nullable");
        let spec_default = p.get("default").or_else(|| inner.get("default"));
        let ours_default = field.default.map(|d| match d {
            FieldDefault::Int(n) => Value::from(n),
            FieldDefault::Str(s) => Value::from(s),
        });
        if field.name == "expires_in" {
            // Deliberately not filled: an update must see it was absent.
            assert_eq!(spec_default, Some(&Value::from(3600)), "{at} default");
        } else {
            assert_eq!(spec_default, ours_default.as_ref(), "{at} default");
        }
        check_ty(spec, &field.ty, inner, &at, seen);
    }
}

#[test]
fn the_tables_match_the_published_spec() {
    let spec = Spec::load();
    let mut seen = Vec::new();
    check_schema(
        &spec,
        &CHECKOUT_SESSION_UPDATE,
        spec.schema("CheckoutSessionUpdate"),
        &mut seen,
    );
    seen.sort_unstable();
    assert_eq!(
        seen,
        [
            "Address",
            "Airline",
            "AirlineLeg",
            "AirlinePassenger",
            "BillingDetails",
            "CartItem",
            "CheckoutSessionUpdate",
            "GuestBuyer",
            "ShippingDetailsCreate",
            "TaxId",
        ]
    );
}

#[test]
fn patterns_match_what_their_regexes_match() {
    let cases: &[(Pattern, &str, bool)] = &[
        (Pattern::Country, "US", true),
        (Pattern::Country, "us", false),
        (Pattern::Country, "USA", false),
        (Pattern::Country, "", false),
        (Pattern::Currency, "EUR", true),
        (Pattern::Currency, "EU", false),
        (Pattern::Currency, "ÉUR", false),
        (Pattern::Phone, "+14155552671", true),
        (Pattern::Phone, "+12", true),
        (Pattern::Phone, "+1", false),
        (Pattern::Phone, "+012345", false),
        (Pattern::Phone, "14155552671", false),
        (Pattern::Phone, "+1234567890123456", false),
        (Pattern::Phone, "+123456789012345", true),
        (Pattern::Phone, "+1 415 555", false),
        (Pattern::StateCode, "US-CA", true),
        (Pattern::StateCode, "GB-ENG", true),
        (Pattern::StateCode, "FR-75C", true),
        (Pattern::StateCode, "US-", false),
        (Pattern::StateCode, "US-CAXX", false),
        (Pattern::StateCode, "us-CA", false),
        (Pattern::StateCode, "USCA", false),
    ];
    for (pattern, input, expected) in cases {
        assert_eq!(pattern.matches(input), *expected, "{pattern:?} {input:?}");
    }
}
