//! Stripe metadata: a string map with limits, and its update rules.
//!
//! Limits (docs.stripe.com/api/metadata): at most 50 keys, keys up to 40
//! characters without `[` or `]`, values up to 500 characters. On update,
//! `metadata[k]=v` sets a key, `metadata[k]=` deletes it and `metadata=`
//! clears the whole map; keys not mentioned are kept.

use crate::error::{DomainError, DomainResult};
use std::collections::BTreeMap;

/// Metadata as stored: keys sorted so renders are stable.
pub type Metadata = BTreeMap<String, String>;

/// Maximum number of keys.
pub const MAX_KEYS: usize = 50;
const MAX_KEY_CHARS: usize = 40;
const MAX_VALUE_CHARS: usize = 500;

/// A metadata change as the wire expresses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataPatch {
    /// `metadata=`: remove every key.
    Clear,
    /// `metadata[k]=v` pairs; `None` deletes the key.
    Merge(Vec<(String, Option<String>)>),
}

/// Check one key and value against Stripe's limits.
pub fn check_entry(param: &str, key: &str, value: Option<&str>) -> DomainResult<()> {
    let key_len = key.chars().count();
    if key_len > MAX_KEY_CHARS {
        return Err(DomainError::invalid(
            format!("{param}[{key}]"),
            format!(
                "Metadata keys can have up to {MAX_KEY_CHARS} characters, but you passed in a key that is {key_len} characters. Invalid key: {key}"
            ),
        ));
    }
    if key.is_empty() || key.contains('[') || key.contains(']') {
        return Err(DomainError::invalid(
            param,
            format!("Metadata keys cannot be empty or contain `[` or `]`. Invalid key: {key}"),
        ));
    }
    if let Some(value) = value {
        let value_len = value.chars().count();
        if value_len > MAX_VALUE_CHARS {
            return Err(DomainError::invalid(
                format!("{param}[{key}]"),
                format!(
                    "Metadata values can have up to {MAX_VALUE_CHARS} characters, but you passed in a value that is {value_len} characters. Invalid value: {value}"
                ),
            ));
        }
    }
    Ok(())
}

/// Apply a patch to stored metadata, enforcing every limit on the result.
pub fn apply(param: &str, current: &Metadata, patch: &MetadataPatch) -> DomainResult<Metadata> {
    let mut next = match patch {
        MetadataPatch::Clear => return Ok(Metadata::new()),
        MetadataPatch::Merge(_) => current.clone(),
    };
    if let MetadataPatch::Merge(pairs) = patch {
        for (key, value) in pairs {
            check_entry(param, key, value.as_deref())?;
            match value {
                Some(v) => {
                    next.insert(key.clone(), v.clone());
                }
                None => {
                    next.remove(key);
                }
            }
        }
    }
    if next.len() > MAX_KEYS {
        return Err(DomainError::invalid(
            param,
            format!(
                "Metadata can have up to {MAX_KEYS} keys, but you passed in {} keys.",
                next.len()
            ),
        ));
    }
    Ok(next)
}

/// Build metadata for a new object (deletions are no-ops).
pub fn build(param: &str, patch: &MetadataPatch) -> DomainResult<Metadata> {
    apply(param, &Metadata::new(), patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(pairs: &[(&str, Option<&str>)]) -> MetadataPatch {
        MetadataPatch::Merge(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
                .collect(),
        )
    }

    #[test]
    fn merge_sets_deletes_and_keeps_unmentioned_keys() {
        let current = build("metadata", &merge(&[("a", Some("1")), ("b", Some("2"))])).unwrap();
        let next = apply(
            "metadata",
            &current,
            &merge(&[("a", None), ("c", Some("3"))]),
        )
        .unwrap();
        assert_eq!(next.len(), 2);
        assert_eq!(next["b"], "2");
        assert_eq!(next["c"], "3");
    }

    #[test]
    fn clear_removes_everything() {
        let current = build("metadata", &merge(&[("a", Some("1"))])).unwrap();
        assert!(apply("metadata", &current, &MetadataPatch::Clear)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn limits_are_enforced_with_stripe_messages() {
        let long_key = "k".repeat(41);
        let err = build("metadata", &merge(&[(&long_key, Some("v"))])).unwrap_err();
        assert!(err.message.starts_with("Metadata keys can have up to 40 characters, but you passed in a key that is 41 characters."));
        let long_value = "v".repeat(501);
        let err = build("metadata", &merge(&[("k", Some(&long_value))])).unwrap_err();
        assert!(err.message.contains("a value that is 501 characters"));
        let many: Vec<(String, Option<String>)> = (0..51)
            .map(|i| (format!("k{i}"), Some("v".into())))
            .collect();
        assert!(build("metadata", &MetadataPatch::Merge(many)).is_err());
        assert!(build("metadata", &merge(&[("a[b]", Some("v"))])).is_err());
    }
}
