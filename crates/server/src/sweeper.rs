//! The expiry sweeper: open sessions whose `expires_at` has passed (by
//! their account's clock) become `expired` and emit
//! `checkout.session.expired`, once, however many nodes sweep.
//!
//! Each candidate is expired through the store's locked read-modify-write,
//! which re-checks that the session is still open and due; a node that
//! loses the race sees the check fail and moves on. [`sweep_once`] is the
//! single step tests drive; [`run`] loops it: no pause while batches come
//! back full, a second between passes, longer after an error. The same
//! loop prunes idempotency keys older than 25 hours.

use crate::app::Call;
use crate::clock::real_now;
use crate::http::stripe::context::API_VERSION;
use crate::http::stripe::sessions::{index, session_event, KIND};
use crate::state::AppState;
use checkout_domain::session::Session;
use checkout_domain::DomainError;
use checkout_store::{Change, Record, StoreError, StoreResult};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Sessions expired per pass at most.
pub const BATCH: i64 = 100;
/// How long idempotency keys are kept (Stripe promises at least 24 h).
const IDEMPOTENCY_TTL: i64 = 25 * 3600;

/// Expire up to [`BATCH`] due sessions; returns how many this call expired.
pub async fn sweep_once(state: &AppState, now: i64) -> StoreResult<usize> {
    let due = state.store.due(KIND, now, BATCH).await?;
    let mut expired = 0;
    for d in due {
        let origin = Call {
            scope: d.scope.clone(),
            now: d.now,
            api_version: API_VERSION.to_owned(),
            request_id: None,
            idempotency_key: None,
        };
        let mut mutator = |rec: &Record| -> StoreResult<Change> {
            let session: Session = serde_json::from_str(&rec.data)
                .map_err(|e| StoreError::Corrupt(format!("stored session unreadable: {e}")))?;
            if !session.is_due(d.now) {
                return Err(DomainError::state("no longer due").into());
            }
            let next = session.expire()?;
            let event = session_event(
                &origin,
                &state.public_url,
                "checkout.session.expired",
                &next,
            );
            Ok(Change {
                data: serde_json::to_string(&next)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                index: index(&next),
                events: vec![event],
                inserts: Vec::new(),
            })
        };
        match state
            .store
            .update(&d.scope, KIND, &d.id, &mut mutator)
            .await
        {
            Ok(_) => expired += 1,
            // Another node (or an API call) got there first.
            Err(StoreError::Rejected(_) | StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(expired)
}

/// Sweep until nothing due is left.
pub async fn sweep_all(state: &AppState, now: i64) -> StoreResult<usize> {
    let mut total = 0;
    loop {
        let n = sweep_once(state, now).await?;
        total += n;
        if n < usize::try_from(BATCH).unwrap_or(100) {
            return Ok(total);
        }
    }
}

/// The background loop, until `stop` is cancelled.
pub async fn run(state: AppState, stop: CancellationToken) {
    let mut last_prune = 0;
    loop {
        let now = real_now();
        let pause = match sweep_once(&state, now).await {
            Ok(n) if n as i64 >= BATCH => Duration::ZERO,
            Ok(_) => {
                Duration::from_millis(u64::try_from(state.settings.worker_poll_ms).unwrap_or(1000))
            }
            Err(e) => {
                tracing::warn!(error = ?e, "expiry sweep failed");
                Duration::from_secs(5)
            }
        };
        // Expired Gr4vy sessions already answer 404; this reclaims their rows.
        if let Err(e) = crate::http::gr4vy::sessions::sweep_expired(state.store.as_ref(), now).await
        {
            tracing::warn!(error = ?e, "Gr4vy session sweep failed");
        }
        if now - last_prune >= 600 {
            match state.store.idem_prune(now - IDEMPOTENCY_TTL).await {
                Ok(n) if n > 0 => tracing::info!(pruned = n, "pruned old idempotency keys"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "idempotency pruning failed"),
            }
            last_prune = now;
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}
