//! Typed readers for parameter shapes many endpoints share: metadata,
//! currencies, decimals, tax behaviour.

use super::error::{StripeError, StripeResult};
use super::form::{Params, Value};
use checkout_domain::catalog::TaxBehavior;
use checkout_domain::metadata::{self, Metadata, MetadataPatch};
use checkout_domain::Currency;
use rust_decimal::Decimal;
use std::str::FromStr;

/// `metadata[...]` as a patch: `None` when absent, `Clear` for `metadata=`.
pub fn metadata_patch(p: &mut Params, key: &str) -> StripeResult<Option<MetadataPatch>> {
    match p.object(key)? {
        None => Ok(None),
        Some(None) => Ok(Some(MetadataPatch::Clear)),
        Some(Some(mut m)) => {
            let mut pairs = Vec::new();
            for (k, v) in m.drain() {
                match v {
                    Value::Str(s) if s.is_empty() => pairs.push((k, None)),
                    Value::Str(s) => pairs.push((k, Some(s))),
                    _ => {
                        // `m`'s prefix is this field's path.
                        let at = m.path(&k);
                        return Err(StripeError::invalid_request(
                            format!("Invalid value for {at}: metadata values must be strings."),
                            Some(at),
                        ));
                    }
                }
            }
            Ok(Some(MetadataPatch::Merge(pairs)))
        }
    }
}

/// Metadata of a new object.
pub fn new_metadata(p: &mut Params, key: &str) -> StripeResult<Metadata> {
    match metadata_patch(p, key)? {
        None => Ok(Metadata::new()),
        Some(patch) => Ok(metadata::build(&p.path(key), &patch)?),
    }
}

/// A currency code, stored lowercase.
pub fn currency(p: &mut Params, key: &str) -> StripeResult<Option<Currency>> {
    match p.string(key, 3000)? {
        None => Ok(None),
        Some(code) => Currency::parse(&code).map(Some).ok_or_else(|| {
            StripeError::invalid_request(
                format!("Invalid currency: {}. Stripe currently supports these currencies: see https://stripe.com/docs/currencies", code.to_lowercase()),
                Some(p.path(key)),
            )
        }),
    }
}

/// A required currency.
pub fn required_currency(p: &mut Params, key: &str) -> StripeResult<Currency> {
    currency(p, key)?.ok_or_else(|| p.missing(key))
}

/// `tax_behavior` of a price or shipping rate.
pub fn tax_behavior(p: &mut Params) -> StripeResult<Option<TaxBehavior>> {
    Ok(p.enumeration("tax_behavior", TaxBehavior::VALUES)?
        .and_then(TaxBehavior::parse))
}

/// A decimal number (`unit_amount_decimal`, `percentage`, dimensions).
pub fn decimal(p: &mut Params, key: &str, max_scale: u32) -> StripeResult<Option<Decimal>> {
    let path = p.path(key);
    match p.string(key, 100)? {
        None => Ok(None),
        Some(s) => {
            let d = Decimal::from_str(s.trim())
                .ok()
                .filter(|_| !s.contains(['e', 'E']))
                .ok_or_else(|| {
                    StripeError::invalid_request(
                        format!("Invalid decimal: {s}"),
                        Some(path.clone()),
                    )
                })?;
            if d.normalize().scale() > max_scale {
                return Err(StripeError::invalid_request(
                    format!("Invalid decimal: {s}; `{path}` can have at most {max_scale} decimal places."),
                    Some(path),
                ));
            }
            Ok(Some(d.normalize()))
        }
    }
}

/// A string that must not be shorter than one character once given.
pub fn id_list(p: &mut Params, key: &str) -> StripeResult<Option<Vec<String>>> {
    p.string_array(key, 5000)
}
