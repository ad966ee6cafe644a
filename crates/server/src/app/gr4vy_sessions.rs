//! The Gr4vy checkout-session service: a session lives in one merchant
//! account of one of our accounts until `expires_at` by that account's
//! clock; from then on it answers as if it had never existed, and
//! [`sweep_expired`] deletes its row later.

use super::{App, AppError, AppResult};
use checkout_store::{Change, Index, NewObject, Record, Scope, StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Store kind of Gr4vy sessions (apart from Stripe's `checkout.session`).
pub const KIND: &str = "gr4vy.checkout_session";
/// Expired sessions deleted per sweep at most.
const SWEEP_BATCH: i64 = 100;

/// The fields a session keeps from its create and update bodies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionFields {
    pub cart_items: Option<Vec<Value>>,
    pub metadata: Option<Map<String, Value>>,
    pub buyer: Option<Value>,
    pub airline: Option<Value>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub payment_service_id: Option<String>,
    pub country: Option<String>,
    pub is_subsequent_payment: Option<bool>,
    pub merchant_initiated: Option<bool>,
    pub payment_source: Option<String>,
    pub intent: Option<String>,
}

/// A Gr4vy checkout session as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSession {
    /// Lower-case hyphenated UUID.
    pub id: String,
    /// `x-gr4vy-merchant-account-id` at creation (`default` without it).
    pub merchant_account_id: String,
    /// The account's clock at creation (Unix seconds).
    pub created: i64,
    /// Unix seconds; the session answers 404 from this second on.
    pub expires_at: i64,
    #[serde(flatten)]
    pub fields: SessionFields,
}

impl StoredSession {
    /// Whether the session is gone by the account clock `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

/// Whose sessions a call may see: one merchant account of one of our
/// accounts, at that account's clock.
#[derive(Debug, Clone)]
pub struct Owner {
    pub scope: Scope,
    pub merchant: String,
    pub now: i64,
}

fn index(s: &StoredSession) -> Index {
    Index {
        // `open` puts the row in the store's expiry index (`due`).
        status: Some("open".into()),
        expires_at: Some(s.expires_at),
        ..Index::default()
    }
}

fn encode(s: &StoredSession) -> StoreResult<String> {
    serde_json::to_string(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode(record: &Record) -> StoreResult<StoredSession> {
    serde_json::from_str(&record.data)
        .map_err(|e| StoreError::Corrupt(format!("stored Gr4vy session unreadable: {e}")))
}

/// The session if `owner` owns it and it is live.
fn visible(session: StoredSession, owner: &Owner) -> Option<StoredSession> {
    (session.merchant_account_id == owner.merchant && !session.is_expired(owner.now))
        .then_some(session)
}

/// Store a new session.
pub async fn create(app: &App, owner: &Owner, session: &StoredSession) -> AppResult<()> {
    let obj = NewObject {
        id: &session.id,
        kind: KIND,
        created: session.created,
        data: encode(session)?,
        index: index(session),
    };
    app.store.insert(&owner.scope, obj, Vec::new()).await?;
    Ok(())
}

/// The owner's live session `id` (`AppError::NotFound` otherwise).
pub async fn get(app: &App, owner: &Owner, id: &str) -> AppResult<StoredSession> {
    let record = app.store.get(&owner.scope, KIND, id).await?;
    let session = decode(&record.ok_or(AppError::NotFound)?)?;
    visible(session, owner).ok_or(AppError::NotFound)
}

/// Change the owner's live session `id` with `f` under its row lock.
pub async fn update(
    app: &App,
    owner: &Owner,
    id: &str,
    mut f: impl FnMut(&mut StoredSession) + Send,
) -> AppResult<StoredSession> {
    let mut updated = None;
    let mut mutator = |record: &Record| -> StoreResult<Change> {
        let mut session = visible(decode(record)?, owner).ok_or(StoreError::NotFound)?;
        f(&mut session);
        let change = Change {
            data: encode(&session)?,
            index: index(&session),
            events: Vec::new(),
            inserts: Vec::new(),
        };
        updated = Some(session);
        Ok(change)
    };
    app.store
        .update(&owner.scope, KIND, id, &mut mutator)
        .await?;
    updated.ok_or(AppError::Internal)
}

/// Delete the owner's live session `id`.
pub async fn delete(app: &App, owner: &Owner, id: &str) -> AppResult<()> {
    get(app, owner, id).await?;
    if app.store.delete(&owner.scope, KIND, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Delete up to one batch of sessions whose `expires_at` has passed by
/// their account's clock; returns how many. They already answer 404, so
/// this only reclaims space, and any node may run it at any time.
pub async fn sweep_expired(app: &App, real_now: i64) -> AppResult<usize> {
    let mut deleted = 0;
    for due in app.store.due(KIND, real_now, SWEEP_BATCH).await? {
        if app.store.delete(&due.scope, KIND, &due.id).await? {
            deleted += 1;
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn app_with(expiries: &[(&str, i64)]) -> App {
        let options = checkout_store::PoolOptions::default();
        let store = checkout_store::connect("sqlite::memory:", &options)
            .await
            .expect("store");
        store.migrate().await.expect("migrate");
        store.ensure_account("acct_g", 0).await.expect("account");
        let scope = checkout_store::Scope {
            account: "acct_g".into(),
            livemode: false,
        };
        let app = App::new(store, "http://localhost", Default::default());
        let owner = Owner {
            scope: scope.clone(),
            merchant: "default".into(),
            now: 0,
        };
        for (id, expires_at) in expiries {
            let session = StoredSession {
                id: (*id).to_owned(),
                merchant_account_id: "default".into(),
                created: 0,
                expires_at: *expires_at,
                fields: SessionFields::default(),
            };
            create(&app, &owner, &session).await.expect("create");
        }
        app
    }

    #[tokio::test]
    async fn the_sweep_deletes_sessions_past_expiry_by_the_account_clock() {
        // Arrange
        let app = app_with(&[("a", 1_000), ("b", 2_000), ("c", 5_000)]).await;
        let store = app.store.clone();
        let scope = checkout_store::Scope {
            account: "acct_g".into(),
            livemode: false,
        };
        // Act + Assert: at 1 000 only `a` is due (expiry is inclusive).
        assert_eq!(sweep_expired(&app, 1_000).await.ok(), Some(1));
        assert!(store.get(&scope, KIND, "a").await.expect("get").is_none());
        assert!(store.get(&scope, KIND, "b").await.expect("get").is_some());
        // The test clock moves the account 2 000 s ahead: `b` becomes due.
        store.advance_clock("acct_g", 2_000).await.expect("advance");
        assert_eq!(sweep_expired(&app, 1_500).await.ok(), Some(1));
        assert!(store.get(&scope, KIND, "b").await.expect("get").is_none());
        assert!(store.get(&scope, KIND, "c").await.expect("get").is_some());
        assert_eq!(sweep_expired(&app, 1_500).await.ok(), Some(0));
    }
}
