//! Webhooks: endpoints as stored, signing and the retry schedule (pure),
//! and the delivery worker over the database outbox.

pub mod deliver;
pub mod endpoint;
pub mod signing;
pub mod url_policy;
