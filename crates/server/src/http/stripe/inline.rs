//! Objects a request creates on the side (inline `product_data`,
//! `price_data`, `shipping_rate_data`), collected while its parameters are
//! read and written in the same transaction as its main change.

use super::error::{StripeError, StripeResult};
use checkout_store::OwnedObject;
use serde::Serialize;

/// The objects queued so far.
#[derive(Debug, Default)]
pub struct Inline(pub Vec<OwnedObject>);

impl Inline {
    /// Queue one object for insertion.
    pub fn add<T: Serialize>(
        &mut self,
        kind: &'static str,
        id: &str,
        created: i64,
        value: &T,
    ) -> StripeResult<()> {
        let data = serde_json::to_string(value).map_err(|e| {
            tracing::error!(error = %e, "inline object does not encode");
            StripeError::internal()
        })?;
        self.0.push(OwnedObject {
            id: id.to_owned(),
            kind,
            created,
            data,
        });
        Ok(())
    }
}
