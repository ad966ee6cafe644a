//! The delivery worker: fan events out to the endpoints that want them,
//! then POST each due delivery, signed, and record the outcome.
//!
//! State lives in the database (the outbox), so deliveries survive
//! restarts: a delivery is claimed with a lease, and a node that dies
//! mid-attempt leaves a claim that expires and is retried. Several nodes
//! claim disjoint rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has
//! one writer). Any 2xx is success; any other status, a timeout or a
//! network error is retried on the schedule of [`signing::retry_delay_ms`]
//! until [`signing::MAX_ATTEMPTS`]. [`deliver_once`] is the single step
//! tests drive; [`run`] loops it.

use super::endpoint::{self, WebhookEndpoint};
use super::signing;
use super::url_policy;
use crate::app::App;
use crate::clock::real_now_ms;
use checkout_store::{Delivery, DeliveryOutcome, StoreResult};
use rand::Rng;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Deliveries attempted per step at most (sent concurrently).
const BATCH: i64 = 32;

/// An HTTP client for deliveries: no redirects, no proxy, and a resolver
/// that never hands out an address the URL policy refuses
/// ([`url_policy::GuardedResolver`]).
pub fn client(timeout: Duration, allow_private: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(std::sync::Arc::new(url_policy::GuardedResolver {
            allow_private,
        }))
        .user_agent(concat!(
            "checkoutd/",
            env!("CARGO_PKG_VERSION"),
            " (+webhooks)"
        ))
        .build()
        .unwrap_or_default()
}

/// The two delivery clients: one that may reach private addresses, one
/// that may not; each endpoint uses the one its mode is allowed.
#[derive(Clone)]
pub struct Clients {
    pub private_ok: reqwest::Client,
    pub public_only: reqwest::Client,
}

impl Clients {
    /// Both clients with one attempt's timeout.
    pub fn new(timeout: Duration) -> Clients {
        Clients {
            private_ok: client(timeout, true),
            public_only: client(timeout, false),
        }
    }
}

/// One step: fan out new events, then attempt the due deliveries. Returns
/// the number of deliveries attempted.
pub async fn deliver_once(state: &App, clients: &Clients, now_ms: i64) -> StoreResult<usize> {
    while state
        .store
        .fan_out(endpoint::KIND, 100, now_ms, &endpoint::matches)
        .await?
        == 100
    {}
    let lease = state.settings.webhook_timeout_ms * 3;
    let batch = state
        .store
        .claim_deliveries(endpoint::KIND, now_ms, lease, BATCH)
        .await?;
    let n = batch.len();
    let attempts = batch.into_iter().map(|d| attempt(state, clients, d));
    for (event_id, endpoint_id, outcome) in futures::future::join_all(attempts).await {
        state
            .store
            .finish_delivery(&event_id, &endpoint_id, &outcome)
            .await?;
    }
    Ok(n)
}

async fn attempt(state: &App, clients: &Clients, d: Delivery) -> (String, String, DeliveryOutcome) {
    let outcome = match (
        &d.event,
        d.endpoint
            .as_deref()
            .map(serde_json::from_str::<WebhookEndpoint>),
    ) {
        (None, _) => DeliveryOutcome::Failed {
            status: None,
            error: "event no longer exists".into(),
        },
        (_, None) => DeliveryOutcome::Failed {
            status: None,
            error: "endpoint was deleted".into(),
        },
        (_, Some(Err(e))) => DeliveryOutcome::Failed {
            status: None,
            error: format!("endpoint unreadable: {e}"),
        },
        (Some(event), Some(Ok(endpoint))) => {
            let mut body: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
            body["pending_webhooks"] = Value::from(event.pending_webhooks);
            let body = body.to_string();
            let t = real_now_ms() / 1000;
            let policy = state.settings.webhook_urls;
            let client = if policy.allows_private(endpoint.livemode) {
                &clients.private_ok
            } else {
                &clients.public_only
            };
            // Literal addresses never reach the resolver: check them here
            // (and every URL again, should the policy have tightened).
            if let Err(why) = url_policy::check_url(&endpoint.url, endpoint.livemode, policy) {
                tracing::warn!(event = %d.event_id, endpoint = %d.endpoint_id, %why, "webhook URL refused by policy");
                return (
                    d.event_id,
                    d.endpoint_id,
                    DeliveryOutcome::Failed {
                        status: None,
                        error: format!("webhook URL refused: {why}"),
                    },
                );
            }
            let sent = client
                .post(&endpoint.url)
                .header("content-type", "application/json; charset=utf-8")
                .header(
                    "stripe-signature",
                    signing::signature_header(&endpoint.secret, t, body.as_bytes()),
                )
                .body(body)
                .send()
                .await;
            let (status, error) = match sent {
                Ok(resp) if resp.status().is_success() => {
                    return (
                        d.event_id,
                        d.endpoint_id,
                        DeliveryOutcome::Delivered {
                            status: resp.status().as_u16(),
                        },
                    )
                }
                Ok(resp) => (
                    Some(resp.status().as_u16()),
                    format!("endpoint answered {}", resp.status()),
                ),
                Err(e) => (None, format!("request failed: {e}")),
            };
            let attempt = d.attempts + 1;
            if attempt >= signing::MAX_ATTEMPTS {
                DeliveryOutcome::Failed { status, error }
            } else {
                let jitter = rand::thread_rng().gen_range(0.9..1.1);
                let at_ms = real_now_ms()
                    + signing::retry_delay_ms(
                        attempt,
                        state.settings.webhook_retry_base_ms,
                        jitter,
                    );
                DeliveryOutcome::Retry {
                    at_ms,
                    status,
                    error,
                }
            }
        }
    };
    if let DeliveryOutcome::Failed { error, .. } | DeliveryOutcome::Retry { error, .. } = &outcome {
        tracing::info!(event = %d.event_id, endpoint = %d.endpoint_id, attempt = d.attempts + 1, %error, "webhook delivery failed");
    }
    (d.event_id, d.endpoint_id, outcome)
}

/// The background loop, until `stop` is cancelled.
pub async fn run(state: Arc<App>, stop: CancellationToken) {
    let clients = Clients::new(Duration::from_millis(
        u64::try_from(state.settings.webhook_timeout_ms).unwrap_or(10_000),
    ));
    let idle = Duration::from_millis(u64::try_from(state.settings.worker_poll_ms).unwrap_or(1000));
    loop {
        let pause = match deliver_once(&state, &clients, real_now_ms()).await {
            Ok(n) if n as i64 >= BATCH => Duration::ZERO,
            Ok(_) => idle,
            Err(e) => {
                tracing::warn!(error = ?e, "webhook delivery step failed");
                idle * 5
            }
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}
