//! Test clocks: a test-mode account's clock runs ahead of real time by an
//! offset that only grows. Moving it expires what became due at once, so
//! the very next request sees the new time and its consequences.

use super::{sweeper, App, AppResult, Call};
use crate::clock::real_now;

/// What moving a clock did.
pub struct Advanced {
    /// Seconds the account's clock now runs ahead of real time.
    pub offset: i64,
    /// Sessions that expired because of it.
    pub expired: usize,
}

/// Move the caller's account clock `seconds` forward.
pub async fn advance(app: &App, call: &Call, seconds: i64) -> AppResult<Advanced> {
    let offset = app
        .store
        .advance_clock(&call.scope.account, seconds)
        .await?;
    // This node's remembered offsets of the account are stale now.
    app.keys.forget_account(&call.scope.account);
    let expired = sweeper::sweep_all(app, real_now()).await?;
    Ok(Advanced { offset, expired })
}
