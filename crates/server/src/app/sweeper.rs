//! The background loop that keeps time-bound state true: open sessions
//! whose `expires_at` has passed (by their account's clock) become
//! `expired` and emit `checkout.session.expired`, once, however many nodes
//! sweep ([`super::sessions::expire_due`]); expired Gr4vy sessions are
//! deleted; idempotency keys older than 25 hours are pruned.
//!
//! [`sweep_once`] is the single step tests drive; [`run`] loops it: no
//! pause while batches come back full, the poll interval between passes,
//! longer after an error.

use super::{gr4vy_sessions, sessions, App, AppResult};
use crate::clock::real_now;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Sessions expired per pass at most.
pub const BATCH: i64 = 100;
/// How long idempotency keys are kept (Stripe promises at least 24 h).
const IDEMPOTENCY_TTL: i64 = 25 * 3600;

/// Expire up to [`BATCH`] due sessions; returns how many this call expired.
pub async fn sweep_once(app: &App, now: i64) -> AppResult<usize> {
    sessions::expire_due(app, now, BATCH).await
}

/// Sweep until nothing due is left.
pub async fn sweep_all(app: &App, now: i64) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let n = sweep_once(app, now).await?;
        total += n;
        if n < usize::try_from(BATCH).unwrap_or(100) {
            return Ok(total);
        }
    }
}

/// The background loop, until `stop` is cancelled.
pub async fn run(app: Arc<App>, stop: CancellationToken) {
    let mut last_prune = 0;
    let idle = Duration::from_millis(u64::try_from(app.settings.worker_poll_ms).unwrap_or(1000));
    loop {
        let now = real_now();
        let pause = match sweep_once(&app, now).await {
            Ok(n) if n as i64 >= BATCH => Duration::ZERO,
            Ok(_) => idle,
            Err(e) => {
                tracing::warn!(error = ?e, "expiry sweep failed");
                Duration::from_secs(5)
            }
        };
        // Expired Gr4vy sessions already answer 404; this reclaims their rows.
        if let Err(e) = gr4vy_sessions::sweep_expired(&app, now).await {
            tracing::warn!(error = ?e, "Gr4vy session sweep failed");
        }
        if now - last_prune >= 600 {
            match app.store.idem_prune(now - IDEMPOTENCY_TTL).await {
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
