//! Event documents, built where the change that causes them is made, so
//! each is written in the same transaction as that change (the outbox).
//!
//! An event is the one document checkoutd keeps in Stripe's shape: the
//! events API serves it and webhooks deliver it as it is. Its `object` is
//! rendered by the front end that owns the object's wire format (see
//! [`EventObject`]).

use super::Call;
use crate::ids;
use checkout_store::NewEvent;
use serde_json::{json, Map, Value};

/// How an object appears in the events it causes. The front end that owns
/// the event format implements it (the Stripe dialect, for every object
/// today), so that the services never import a dialect.
pub trait EventObject {
    /// The object as an event of `call` carries it; `public_url` is where
    /// hosted pages live.
    fn event_object(&self, call: &Call, public_url: &str) -> Value;
}

/// An event carrying `object`, and `previous_attributes` when given.
pub fn event(call: &Call, event_type: &str, object: &Value, previous: Option<Value>) -> NewEvent {
    let id = ids::object_id("evt");
    let mut data = json!({ "object": object });
    if let Some(prev) = previous {
        data["previous_attributes"] = prev;
    }
    let body = json!({
        "id": id,
        "object": "event",
        "account": null,
        "api_version": call.api_version,
        "context": null,
        "created": call.now,
        "data": data,
        "livemode": call.scope.livemode,
        "pending_webhooks": 0,
        "request": { "id": call.request_id, "idempotency_key": call.idempotency_key },
        "type": event_type,
    });
    NewEvent {
        id,
        event_type: event_type.to_owned(),
        created: call.now,
        data: body.to_string(),
    }
}

/// `*.created`.
pub fn created(call: &Call, event_type: &str, object: &Value) -> NewEvent {
    event(call, event_type, object, None)
}

/// `*.updated` with the top-level attributes that changed, at their old
/// values, as `previous_attributes`.
pub fn updated(call: &Call, event_type: &str, before: &Value, after: &Value) -> NewEvent {
    event(
        call,
        event_type,
        after,
        Some(previous_attributes(before, after)),
    )
}

/// The top-level keys of `before` whose values differ in `after`.
pub fn previous_attributes(before: &Value, after: &Value) -> Value {
    let mut prev = Map::new();
    if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
        for (k, old) in b {
            if a.get(k) != Some(old) {
                prev.insert(k.clone(), old.clone());
            }
        }
    }
    Value::Object(prev)
}
