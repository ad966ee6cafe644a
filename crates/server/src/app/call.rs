//! Who is calling and when: what every service needs to know about the
//! request in front of it, whatever front end received it.

use checkout_store::Scope;

/// The API version of a call that names none (Stripe's `Stripe-Version`
/// header), and of what checkoutd does by itself (the sweeper).
pub const API_VERSION: &str = "2026-10-28.endive";

/// One call of a service: the caller's scope, its account's clock, and
/// what the events it causes record about the request.
#[derive(Debug, Clone)]
pub struct Call {
    pub scope: Scope,
    /// The account's clock (real time plus its test-clock offset).
    pub now: i64,
    /// The API version events are rendered at.
    pub api_version: String,
    /// The request's id; `None` when checkoutd itself acts (the sweeper),
    /// which events render as `null`.
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
}
