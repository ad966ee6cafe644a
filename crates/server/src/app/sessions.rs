//! The checkout-session service: every way a Stripe checkout session is
//! created, read, changed, paid or expired, whoever asks (the Stripe
//! dialect, the hosted page, the test helpers or the sweeper).
//!
//! Each change is the domain's transition run inside the store's locked
//! read-modify-write, with the events it causes written in the same
//! transaction; the transition may run more than once (the store retries
//! on a newer version) and only its last result is stored.

use super::events::{self, EventObject};
use super::{App, AppError, AppResult, Call};
use crate::ids;
use checkout_domain::session::{Mode, Payment, Session, SessionUpdate};
use checkout_domain::{DomainError, DomainResult};
use checkout_store::{
    Change, Index, ListQuery, NewEvent, NewObject, OwnedObject, Record, StoreError, StoreResult,
};

/// The store's kind of checkout sessions.
pub const KIND: &str = "checkout.session";
/// Its name in messages (`No such checkout.session: '…'`) and events.
const OBJECT: &str = "checkout.session";

/// The indexed columns of a session: what lists filter on and what the
/// sweeper finds due.
pub fn index(s: &Session) -> Index {
    Index {
        status: Some(s.status.as_str().to_owned()),
        email: s.customer_details.as_ref().and_then(|c| c.email.clone()),
        customer: None,
        payment_intent: s.payment_intent.clone(),
        payment_link: None,
        subscription: s.subscription.clone(),
        expires_at: Some(s.expires_at),
    }
}

/// A session event (`checkout.session.completed`, `.expired`).
fn event(app: &App, call: &Call, event_type: &str, s: &Session) -> NewEvent {
    let object = s.event_object(call, &app.public_url);
    events::event(call, event_type, &object, None)
}

fn decode(rec: &Record) -> StoreResult<Session> {
    serde_json::from_str(&rec.data)
        .map_err(|e| StoreError::Corrupt(format!("stored session {} unreadable: {e}", rec.id)))
}

fn encode(s: &Session) -> StoreResult<String> {
    serde_json::to_string(s).map_err(|e| StoreError::Corrupt(format!("session {}: {e}", s.id)))
}

fn no_such(id: &str) -> AppError {
    AppError::Rejected(DomainError::no_such(OBJECT, id, None))
}

/// Store a new session with the objects its request creates on the side
/// (inline `price_data`, `product_data`, `shipping_rate_data`).
pub async fn create(
    app: &App,
    call: &Call,
    session: &Session,
    inline: Vec<OwnedObject>,
) -> AppResult<()> {
    let obj = NewObject {
        id: &session.id,
        kind: KIND,
        created: session.created,
        data: encode(session)?,
        index: index(session),
    };
    app.store
        .insert_with(&call.scope, obj, inline, Vec::new())
        .await?;
    Ok(())
}

/// One session of the caller's.
pub async fn retrieve(app: &App, call: &Call, id: &str) -> AppResult<Session> {
    let rec = app.store.get(&call.scope, KIND, id).await?;
    let rec = rec.ok_or_else(|| no_such(id))?;
    Ok(decode(&rec)?)
}

/// A session by id alone, with a call of its account at that account's
/// clock: the hosted page's URL is its capability, so it needs no key.
pub async fn find(app: &App, id: &str) -> AppResult<Option<(Call, Session)>> {
    let Some((scope, rec)) = app.store.get_any(KIND, id).await? else {
        return Ok(None);
    };
    let session = decode(&rec)?;
    // Test-mode accounts run on their own clock; live mode on real time.
    let offset = if scope.livemode {
        0
    } else {
        app.store.clock_offset(&scope.account).await?
    };
    let call = Call {
        scope,
        now: crate::clock::real_now() + offset,
        api_version: super::call::API_VERSION.to_owned(),
        request_id: Some(ids::request_id()),
        idempotency_key: None,
    };
    Ok(Some((call, session)))
}

/// One page of the caller's sessions; `AppError::NotFound` when the
/// query's cursor names no session.
pub async fn list(app: &App, call: &Call, query: &ListQuery) -> AppResult<(Vec<Session>, bool)> {
    let page = app.store.list(&call.scope, query).await?;
    let sessions = page
        .records
        .iter()
        .map(decode)
        .collect::<StoreResult<_>>()?;
    Ok((sessions, page.has_more))
}

/// Read-modify-write one session with a domain transition, writing
/// `event_type` (if any) and `inline` objects with it.
pub async fn change<F>(
    app: &App,
    call: &Call,
    id: &str,
    event_type: Option<&str>,
    inline: Vec<OwnedObject>,
    mut f: F,
) -> AppResult<Session>
where
    F: FnMut(Session) -> DomainResult<Session> + Send,
{
    let mut out = None;
    let mut mutator = |rec: &Record| -> StoreResult<Change> {
        let next = f(decode(rec)?)?;
        let change = Change {
            data: encode(&next)?,
            index: index(&next),
            events: event_type
                .map(|t| vec![event(app, call, t, &next)])
                .unwrap_or_default(),
            inserts: inline.clone(),
        };
        out = Some(next);
        Ok(change)
    };
    match app.store.update(&call.scope, KIND, id, &mut mutator).await {
        Ok(_) => out.ok_or(AppError::Internal),
        Err(StoreError::NotFound) => Err(no_such(id)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /v1/checkout/sessions/{id}` in any dialect.
pub async fn update(
    app: &App,
    call: &Call,
    id: &str,
    update: SessionUpdate,
    inline: Vec<OwnedObject>,
) -> AppResult<Session> {
    change(app, call, id, None, inline, |s| {
        s.update(update.clone(), &mut || ids::object_id("li"))
    })
    .await
}

/// Expire an open session (the expire call), with
/// `checkout.session.expired`.
pub async fn expire(app: &App, call: &Call, id: &str) -> AppResult<Session> {
    let expired = Some("checkout.session.expired");
    change(app, call, id, expired, Vec::new(), Session::expire).await
}

/// What a customer supplied when paying (the hosted page's form or the
/// test helper's parameters).
#[derive(Debug, Clone, Default)]
pub struct Paid {
    pub email: Option<String>,
    pub name: Option<String>,
    pub shipping_rate: Option<String>,
    pub shipping_details: Option<checkout_domain::session::ShippingDetails>,
}

/// Pay a session, with `checkout.session.completed`. `guard` sees the
/// fresh session under the row lock first and may refuse (the hosted page
/// tells an expired session from a completed one that way).
pub async fn complete(
    app: &App,
    call: &Call,
    id: &str,
    paid: Paid,
    mut guard: impl FnMut(&Session) -> DomainResult<()> + Send,
) -> AppResult<Session> {
    let completed = Some("checkout.session.completed");
    change(app, call, id, completed, Vec::new(), |s| {
        guard(&s)?;
        let intent_id = match s.mode {
            Mode::Payment => ids::object_id("pi"),
            Mode::Setup => ids::object_id("seti"),
            Mode::Subscription => ids::object_id("sub"),
        };
        s.complete(Payment {
            email: paid.email.clone(),
            name: paid.name.clone(),
            shipping_rate: paid.shipping_rate.clone(),
            shipping_details: paid.shipping_details.clone(),
            intent_id,
        })
    })
    .await
}

/// Expire up to `limit` sessions due at `real_now` (by their accounts'
/// clocks); returns how many this call expired. Each is expired through
/// the locked read-modify-write, which re-checks that it is still open and
/// due, so a node that loses the race moves on.
pub async fn expire_due(app: &App, real_now: i64, limit: i64) -> AppResult<usize> {
    let mut expired = 0;
    for due in app.store.due(KIND, real_now, limit).await? {
        let call = Call {
            scope: due.scope,
            now: due.now,
            api_version: super::call::API_VERSION.to_owned(),
            request_id: None,
            idempotency_key: None,
        };
        let transition = |s: Session| {
            if !s.is_due(due.now) {
                return Err(DomainError::state("no longer due"));
            }
            s.expire()
        };
        let expired_event = Some("checkout.session.expired");
        match change(app, &call, &due.id, expired_event, Vec::new(), transition).await {
            Ok(_) => expired += 1,
            // Another node (or an API call) got there first.
            Err(AppError::Rejected(_) | AppError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(expired)
}
