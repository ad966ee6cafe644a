//! Who is calling a Gr4vy endpoint, and may they: the bearer JWT (verified
//! by [`super::jwt`]), the scope the operation needs, and the merchant
//! account the `x-gr4vy-merchant-account-id` header selects.
//!
//! Sessions live in the account that owns the verifying key, in test mode,
//! so the Stripe dialect's clock helper moves their clock too; within the
//! account, each belongs to one merchant account. Auth is checked before
//! anything else in the request, as FastAPI resolves its security
//! dependency before it validates parameters and body: a bad token is a
//! 401 however wrong the body is.

use super::error::{Detail, Gr4vyError, Gr4vyResult};
use crate::clock::real_now;
use crate::http::AppState;
use axum::http::{header, HeaderMap};
use checkout_store::Scope;

/// The header naming the merchant account.
pub const MERCHANT_HEADER: &str = "x-gr4vy-merchant-account-id";
/// The merchant account of a request without the header.
pub const DEFAULT_MERCHANT: &str = "default";
/// Longest merchant account id accepted.
const MAX_MERCHANT_LEN: usize = 255;

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    /// The scope that grants it.
    pub fn scope(self) -> &'static str {
        match self {
            Access::Read => "checkout-sessions.read",
            Access::Write => "checkout-sessions.write",
        }
    }

    fn wildcard(self) -> &'static str {
        match self {
            Access::Read => "*.read",
            Access::Write => "*.write",
        }
    }

    /// Whether `scopes` grant it, directly or through the wildcard.
    pub fn granted_by(self, scopes: &[String]) -> bool {
        scopes
            .iter()
            .any(|s| s == self.scope() || s == self.wildcard())
    }
}

/// An authorised caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key's account, test mode.
    pub scope: Scope,
    /// The merchant account within it.
    pub merchant: String,
    /// The account's clock (real time plus its test-clock offset).
    pub now: i64,
}

fn bearer(headers: &HeaderMap) -> Gr4vyResult<&str> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| Gr4vyError::unauthorized("no Authorization header"))?
        .to_str()
        .map_err(|_| Gr4vyError::unauthorized("the Authorization header is not ASCII"))?;
    match value.trim().split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(Gr4vyError::unauthorized(
            "use 'Authorization: Bearer <JWT>'",
        )),
    }
}

fn merchant(headers: &HeaderMap) -> Gr4vyResult<String> {
    let Some(value) = headers.get(MERCHANT_HEADER) else {
        return Ok(DEFAULT_MERCHANT.to_owned());
    };
    let bad = |message: &str, kind: &str| {
        Gr4vyError::validation(vec![Detail {
            location: "header",
            pointer: format!("/{MERCHANT_HEADER}"),
            message: message.to_owned(),
            kind: kind.to_owned(),
        }])
    };
    let value = value
        .to_str()
        .map_err(|_| bad("Input should be a valid string", "string_type"))?
        .trim();
    if value.chars().count() > MAX_MERCHANT_LEN {
        return Err(bad(
            &format!("String should have at most {MAX_MERCHANT_LEN} characters"),
            "string_too_long",
        ));
    }
    Ok(if value.is_empty() {
        DEFAULT_MERCHANT.to_owned()
    } else {
        value.to_owned()
    })
}

/// Authenticate the request and check it may do `access`: 401 without a
/// valid token, 403 without the scope.
pub async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    access: Access,
) -> Gr4vyResult<Caller> {
    let token = bearer(headers)?;
    let verified = state
        .settings
        .gr4vy_keys
        .verify(token, real_now())
        .map_err(|e| Gr4vyError::unauthorized(e.to_string()))?;
    // `--rate-limit`: one bucket per signing key.
    if state
        .limiter
        .check(&format!("gr4vy:{}", verified.kid))
        .is_err()
    {
        return Err(Gr4vyError::too_many_requests());
    }
    if !access.granted_by(&verified.scopes) {
        return Err(Gr4vyError::missing_scope(access.scope()));
    }
    let merchant = merchant(headers)?;
    let offset = state.store.clock_offset(&verified.account).await?;
    Ok(Caller {
        scope: Scope {
            account: verified.account,
            livemode: false,
        },
        merchant,
        now: real_now() + offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn scopes_and_wildcards_grant_what_they_name() {
        assert!(Access::Read.granted_by(&scopes(&["checkout-sessions.read"])));
        assert!(Access::Read.granted_by(&scopes(&["*.read"])));
        assert!(Access::Write.granted_by(&scopes(&["*.read", "*.write"])));
        assert!(!Access::Write.granted_by(&scopes(&["checkout-sessions.read", "*.read"])));
        assert!(!Access::Read.granted_by(&scopes(&["checkout-sessions.write", "embed"])));
        assert!(!Access::Read.granted_by(&scopes(&["transactions.read", "*"])));
        assert!(!Access::Read.granted_by(&[]));
    }

    #[test]
    fn the_bearer_scheme_is_matched_case_insensitively() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc.def.ghi"),
        );
        assert_eq!(bearer(&h).ok(), Some("abc.def.ghi"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h).map_err(|e| e.status.as_u16()), Err(401));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert!(bearer(&h).is_err());
        assert!(bearer(&HeaderMap::new()).is_err());
    }

    #[test]
    fn the_merchant_account_defaults_to_default() {
        let mut h = HeaderMap::new();
        assert_eq!(merchant(&h).ok().as_deref(), Some("default"));
        h.insert(MERCHANT_HEADER, HeaderValue::from_static("mer-1"));
        assert_eq!(merchant(&h).ok().as_deref(), Some("mer-1"));
        let long = "m".repeat(256);
        h.insert(
            MERCHANT_HEADER,
            HeaderValue::from_str(&long).expect("ascii"),
        );
        let e = merchant(&h).expect_err("too long");
        assert_eq!(e.details[0].location, "header");
        assert_eq!(e.details[0].pointer, "/x-gr4vy-merchant-account-id");
    }
}
