//! Stripe's form encoding: bracket notation into a tree, and a consuming
//! reader that turns the tree into typed values with Stripe's errors.
//!
//! `a[b][c]=v` nests maps; arrays come as `a[]=x` or `a[0]=x` (explicit
//! indexes must be numeric and sequential from 0); brackets may be literal or
//! percent-encoded; `+` and `%20` are spaces; `""` means "unset". Which keys
//! are arrays is known only to the reader (a metadata key may be `"0"`), so
//! the tree keeps indexed keys as a map until a field is read as an array.
//!
//! The reader *takes* each field it understands; whatever is left when a
//! level is [`Params::finish`]ed is an unknown parameter, so no endpoint can
//! silently drop one.

mod reader;

pub use reader::{element, one_of, Params};

use super::error::StripeError;
use crate::http::urlencoded::unescape;

/// A node of the decoded form.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    /// Keys in first-seen order.
    Map(Vec<(String, Value)>),
    /// Built from `a[]=` appends.
    List(Vec<Value>),
}

/// Split `a[b][]` into `["a", "b", ""]`; `None` when brackets don't balance.
fn split_key(key: &str) -> Option<Vec<&str>> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => return Some(vec![key]),
    };
    let mut parts = vec![head];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        parts.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    Some(parts)
}

/// One key or value, decoded ([`unescape`]).
fn decode_component(raw: &[u8]) -> Result<String, StripeError> {
    String::from_utf8(unescape(raw)).map_err(|_| {
        StripeError::invalid_request(
            "Invalid request: the request body or query string is not valid UTF-8.",
            None,
        )
    })
}

fn conflict(key: &str) -> StripeError {
    StripeError::invalid_request(
        format!("Invalid request: `{key}` is given both as a value and as an object or array."),
        Some(key.to_owned()),
    )
}

fn insert(
    node: &mut Vec<(String, Value)>,
    path: &[&str],
    value: String,
    full: &str,
) -> Result<(), StripeError> {
    let (first, rest) = (path[0], &path[1..]);
    let pos = node.iter().position(|(k, _)| k == first);
    if rest.is_empty() {
        match pos {
            // A repeated scalar key: the last value wins.
            Some(i) if matches!(node[i].1, Value::Str(_)) => node[i].1 = Value::Str(value),
            Some(_) => return Err(conflict(full)),
            None => node.push((first.to_owned(), Value::Str(value))),
        }
        return Ok(());
    }
    let i = match pos {
        Some(i) => i,
        None => {
            let fresh = if rest[0].is_empty() {
                Value::List(Vec::new())
            } else {
                Value::Map(Vec::new())
            };
            node.push((first.to_owned(), fresh));
            node.len() - 1
        }
    };
    let child = &mut node[i].1;
    if rest[0].is_empty() {
        // `a[]…`: append a new element.
        let Value::List(items) = child else {
            return Err(conflict(full));
        };
        if rest.len() == 1 {
            items.push(Value::Str(value));
        } else {
            let mut map = Vec::new();
            insert(&mut map, &rest[1..], value, full)?;
            items.push(Value::Map(map));
        }
        return Ok(());
    }
    match child {
        Value::Map(map) => insert(map, rest, value, full),
        Value::Str(s) if s.is_empty() => {
            // `metadata=&metadata[k]=v`: the later object wins over "unset".
            *child = Value::Map(Vec::new());
            let Value::Map(map) = child else {
                unreachable!("just set")
            };
            insert(map, rest, value, full)
        }
        _ => Err(conflict(full)),
    }
}

/// Decode a form body or query string into its tree.
pub fn parse(input: &[u8]) -> Result<Vec<(String, Value)>, StripeError> {
    let mut root = Vec::new();
    for pair in input.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        let key = decode_component(k)?;
        let value = decode_component(v)?;
        let Some(path) = split_key(&key) else {
            return Err(StripeError::invalid_request(
                format!("Invalid parameter name: {key}"),
                Some(key.clone()),
            ));
        };
        if path[0].is_empty() {
            return Err(StripeError::invalid_request(
                format!("Invalid parameter name: {key}"),
                Some(key.clone()),
            ));
        }
        insert(&mut root, &path, value, &key)?;
    }
    Ok(root)
}

/// A canonical fingerprint of a body: its pairs sorted, so that the same
/// parameters in another order are the same request (idempotency).
pub fn canonical_pairs(input: &[u8]) -> Vec<&[u8]> {
    let mut pairs: Vec<&[u8]> = input
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .collect();
    pairs.sort_unstable();
    pairs
}

#[cfg(test)]
mod tests;
