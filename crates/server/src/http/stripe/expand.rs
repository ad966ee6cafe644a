//! `expand[]`: which optional parts of a response to include.
//!
//! Paths are dot-separated (`line_items.data.price.product`), at most four
//! levels deep; list endpoints take them under `data.`. Each endpoint names
//! the paths it can expand, and anything else is Stripe's "cannot be
//! expanded" error, so a typo never passes silently.

use super::error::{StripeError, StripeResult};
use super::form::Params;

/// The requested expansions of one response.
#[derive(Debug, Clone, Default)]
pub struct Expand(Vec<String>);

const MAX_DEPTH: usize = 4;

impl Expand {
    /// Read `expand` and check each path against `allowed` (a path is
    /// allowed when it equals, or is a prefix of, an allowed path).
    pub fn read(p: &mut Params, allowed: &[&str]) -> StripeResult<Expand> {
        let paths = p.string_array("expand", 5000)?.unwrap_or_default();
        for path in &paths {
            if path.split('.').count() > MAX_DEPTH {
                return Err(StripeError::invalid_request(
                    format!("You cannot expand more than {MAX_DEPTH} levels of a property. Property: {path}"),
                    Some("expand".into()),
                ));
            }
            let ok = allowed
                .iter()
                .any(|a| *a == path || a.starts_with(&format!("{path}.")));
            if !ok {
                return Err(StripeError::invalid_request(
                    format!("This property cannot be expanded ({path})."),
                    Some("expand".into()),
                ));
            }
        }
        Ok(Expand(paths))
    }

    /// Whether nothing is to be expanded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `path` (or something below it) was asked for.
    pub fn has(&self, path: &str) -> bool {
        self.0
            .iter()
            .any(|p| p == path || p.starts_with(&format!("{path}.")))
    }

    /// The expansions under `prefix.`, for a nested object.
    pub fn under(&self, prefix: &str) -> Expand {
        let lead = format!("{prefix}.");
        Expand(
            self.0
                .iter()
                .filter_map(|p| p.strip_prefix(&lead).map(str::to_owned))
                .collect(),
        )
    }

    /// Allowed paths of a list endpoint: each item path under `data.`.
    pub fn for_list(item_paths: &[&str]) -> Vec<String> {
        item_paths.iter().map(|p| format!("data.{p}")).collect()
    }
}
