//! The checkout session on Gr4vy's wire and in the store.
//!
//! [`CheckoutSessionIn`] is the body of create and update after
//! [`validate`](super::validate) has passed it (so its nested objects are
//! already checked JSON, kept as sent for the echo). Its nullable fields
//! are [`Patch`]es, because an update tells three cases apart: a field
//! present replaces the stored one, an absent field is kept, and `null`
//! clears it. [`StoredSession`] is the document in the `objects` table;
//! [`StoredSession::render`] gives the `CheckoutSession` response, which
//! carries every field of the spec's schema (`null` when unset) and never
//! the five request-only fields (`country`, `intent`, …).

pub use crate::app::gr4vy_sessions::{SessionFields, StoredSession};

use super::time::rfc3339;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};

/// Absent (`None`), `null` (`Some(None)`) or a value.
pub type Patch<T> = Option<Option<T>>;

fn patch<'de, D, T>(d: D) -> Result<Patch<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `CheckoutSessionUpdate` (the SDK's `CheckoutSessionCreate`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSessionIn {
    #[serde(default, deserialize_with = "patch")]
    pub cart_items: Patch<Vec<Value>>,
    #[serde(default, deserialize_with = "patch")]
    pub metadata: Patch<Map<String, Value>>,
    #[serde(default, deserialize_with = "patch")]
    pub buyer: Patch<Value>,
    #[serde(default, deserialize_with = "patch")]
    pub airline: Patch<Value>,
    #[serde(default, deserialize_with = "patch")]
    pub amount: Patch<i64>,
    #[serde(default, deserialize_with = "patch")]
    pub currency: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub payment_service_id: Patch<String>,
    /// Seconds, 3600–86400; only create uses it (see DESIGN.md).
    #[serde(default)]
    pub expires_in: Option<f64>,
    #[serde(default, deserialize_with = "patch")]
    pub country: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub is_subsequent_payment: Patch<bool>,
    #[serde(default, deserialize_with = "patch")]
    pub merchant_initiated: Patch<bool>,
    #[serde(default, deserialize_with = "patch")]
    pub payment_source: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub intent: Patch<String>,
}

fn apply<T>(slot: &mut Option<T>, patch: Patch<T>) {
    if let Some(v) = patch {
        *slot = v;
    }
}

impl SessionFields {
    /// Apply a body: present fields replace, `null` clears, absent keep.
    pub fn apply(&mut self, body: CheckoutSessionIn) {
        apply(&mut self.cart_items, body.cart_items);
        apply(&mut self.metadata, body.metadata);
        apply(&mut self.buyer, body.buyer);
        apply(&mut self.airline, body.airline);
        apply(&mut self.amount, body.amount);
        apply(&mut self.currency, body.currency);
        apply(&mut self.payment_service_id, body.payment_service_id);
        apply(&mut self.country, body.country);
        apply(&mut self.is_subsequent_payment, body.is_subsequent_payment);
        apply(&mut self.merchant_initiated, body.merchant_initiated);
        apply(&mut self.payment_source, body.payment_source);
        apply(&mut self.intent, body.intent);
    }
}

impl StoredSession {
    /// The `CheckoutSession` response body.
    pub fn render(&self) -> Value {
        let f = &self.fields;
        json!({
            "type": "checkout-session",
            "id": self.id,
            "expires_at": rfc3339(self.expires_at),
            "cart_items": f.cart_items,
            "metadata": f.metadata,
            "buyer": f.buyer,
            "airline": f.airline,
            "amount": f.amount,
            "currency": f.currency,
            "payment_service_id": f.payment_service_id,
            "payment_method": null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> CheckoutSessionIn {
        serde_json::from_value(v).expect("valid body")
    }

    #[test]
    fn present_replaces_absent_keeps_null_clears() {
        // Arrange
        let mut fields = SessionFields::default();
        fields.apply(body(json!({
            "metadata": {"a": "1"}, "currency": "EUR", "amount": 5, "intent": "capture"
        })));
        // Act
        fields.apply(body(
            json!({"metadata": {"b": "2"}, "currency": null, "expires_in": 3600.0}),
        ));
        // Assert
        assert_eq!(
            fields.metadata,
            Some(json!({"b": "2"}).as_object().cloned().unwrap_or_default())
        );
        assert_eq!(fields.currency, None);
        assert_eq!(fields.amount, Some(5));
        assert_eq!(fields.intent.as_deref(), Some("capture"));
    }

    #[test]
    fn unknown_fields_are_refused_even_past_validation() {
        assert!(serde_json::from_value::<CheckoutSessionIn>(json!({"colour": "red"})).is_err());
    }

    #[test]
    fn the_response_has_every_schema_field_and_no_request_only_ones() {
        let mut fields = SessionFields::default();
        fields.apply(body(json!({"country": "US", "merchant_initiated": true})));
        let session = StoredSession {
            id: "4137b1cf-39ac-42a8-bad6-1c680d5dab6b".into(),
            merchant_account_id: "default".into(),
            created: 1_795_341_600,
            expires_at: 1_795_345_200,
            fields,
        };
        assert_eq!(
            session.render(),
            json!({
                "type": "checkout-session",
                "id": "4137b1cf-39ac-42a8-bad6-1c680d5dab6b",
                "expires_at": "2026-11-22T11:00:00.000+00:00",
                "cart_items": null, "metadata": null, "buyer": null, "airline": null,
                "amount": null, "currency": null, "payment_service_id": null,
                "payment_method": null
            })
        );
        let stored = serde_json::to_string(&session).expect("serialize");
        let back: StoredSession = serde_json::from_str(&stored).expect("deserialize");
        assert_eq!(back, session);
    }
}
