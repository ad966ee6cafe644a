//! List endpoints: Stripe's pagination parameters in, the list envelope out.
//!
//! `limit` 1..=100 (default 10), `starting_after` / `ending_before` (object
//! ids, mutually exclusive), `created` as an integer or `created[gt|gte|lt|
//! lte]`; results newest first, also within an `ending_before` page, as the
//! SDKs' auto-pagination expects.

use super::error::{StripeError, StripeResult};
use super::form::Params;
use super::json_out::Object;
use checkout_store::{CreatedRange, Cursor, ListQuery};
use serde_json::{json, Value};

/// Read the pagination parameters (and `created` when `with_created`).
pub fn query(p: &mut Params, kind: &'static str, with_created: bool) -> StripeResult<ListQuery> {
    let limit = match p.int("limit")? {
        None => 10,
        Some(n) if (1..=100).contains(&n) => n,
        Some(n) => {
            return Err(StripeError::invalid_request(
                format!("Invalid limit: must be between 1 and 100, but you passed {n}."),
                Some("limit".into()),
            ))
        }
    };
    let after = p.string("starting_after", 5000)?;
    let before = p.string("ending_before", 5000)?;
    let cursor = match (after, before) {
        (Some(_), Some(_)) => {
            return Err(StripeError::invalid_request(
                "You may only specify one of these parameters: ending_before, starting_after.",
                Some("ending_before".into()),
            ))
        }
        (Some(a), None) => Cursor::StartingAfter(a),
        (None, Some(b)) => Cursor::EndingBefore(b),
        (None, None) => Cursor::First,
    };
    let created = if with_created {
        created_range(p)?
    } else {
        CreatedRange::default()
    };
    Ok(ListQuery {
        kind,
        eq: Vec::new(),
        created,
        limit,
        cursor,
    })
}

fn created_range(p: &mut Params) -> StripeResult<CreatedRange> {
    if !p.has("created") {
        return Ok(CreatedRange::default());
    }
    if let Ok(Some(exact)) = p.clone_int("created") {
        return Ok(CreatedRange {
            gte: Some(exact),
            lte: Some(exact),
            ..CreatedRange::default()
        });
    }
    let Some(mut range) = p.required_object("created")? else {
        return Ok(CreatedRange::default());
    };
    let r = CreatedRange {
        gt: range.int("gt")?,
        gte: range.int("gte")?,
        lt: range.int("lt")?,
        lte: range.int("lte")?,
    };
    range.finish()?;
    Ok(r)
}

/// The list envelope.
pub fn envelope(data: Vec<Value>, has_more: bool, url: &str) -> Value {
    json!({ "object": "list", "data": data, "has_more": has_more, "url": url })
}

/// [`envelope`] written straight into a body, each item appended by
/// `write` (see [`super::json_out`]).
pub fn write_envelope<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    has_more: bool,
    url: &str,
    write: impl FnMut(&mut Vec<u8>, T) -> serde_json::Result<()>,
) -> serde_json::Result<()> {
    let mut o = Object::begin(out);
    o.str("object", "list");
    o.array("data", items, write);
    o.bool("has_more", has_more);
    o.str("url", url);
    o.end()
}

/// The 404 for a cursor naming an unknown object.
pub fn unknown_cursor(object: &str, query: &ListQuery) -> StripeError {
    crate::app::catalog::unknown_cursor(object, query).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_envelope_is_the_value_envelope() {
        let items = [json!({"id": "a", "n": 1}), json!({"id": "b\"", "n": null})];
        let mut out = Vec::new();
        write_envelope(&mut out, &items, true, "/v1/x?y=\"z\"", |out, v| {
            serde_json::to_writer(out, v)
        })
        .unwrap();
        let written: Value = serde_json::from_slice(&out).unwrap();
        let value = envelope(items.to_vec(), true, "/v1/x?y=\"z\"");
        assert_eq!(written, value);
        assert_eq!(String::from_utf8(out).unwrap(), value.to_string());
    }
}
