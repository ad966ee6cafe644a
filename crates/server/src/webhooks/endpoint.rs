//! The `webhook_endpoint` object as stored, and which events it wants.

use checkout_domain::metadata::Metadata;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Store kind of webhook endpoints.
pub const KIND: &str = "webhook_endpoint";

/// A webhook endpoint; `secret` signs its deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub url: String,
    pub enabled_events: Vec<String>,
    pub description: Option<String>,
    pub metadata: Metadata,
    pub disabled: bool,
    pub api_version: Option<String>,
    pub secret: String,
}

impl WebhookEndpoint {
    /// Whether an event of `event_type` created at `created` goes here:
    /// enabled, subscribed (or `*`), and not older than the endpoint.
    pub fn wants(&self, event_type: &str, created: i64) -> bool {
        !self.disabled
            && created >= self.created
            && self
                .enabled_events
                .iter()
                .any(|e| e == "*" || e == event_type)
    }

    /// Stripe's rendering; the secret only when `with_secret` (on create).
    pub fn render(&self, with_secret: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "object": "webhook_endpoint",
            "api_version": self.api_version,
            "application": null,
            "created": self.created,
            "description": self.description,
            "enabled_events": self.enabled_events,
            "livemode": self.livemode,
            "metadata": self.metadata,
            "status": if self.disabled { "disabled" } else { "enabled" },
            "url": self.url,
        });
        if with_secret {
            v["secret"] = json!(self.secret);
        }
        v
    }
}

/// The matcher the store's fan-out uses: parses the stored endpoint.
pub fn matches(event_type: &str, created: i64, data: &str) -> bool {
    serde_json::from_str::<WebhookEndpoint>(data).is_ok_and(|e| e.wants(event_type, created))
}
