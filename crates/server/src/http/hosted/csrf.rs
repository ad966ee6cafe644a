//! Why a form post is trusted, and whether the order it pays is the one
//! the customer saw.
//!
//! The hosted page has no login and sets no cookie: the session id in the
//! URL is the only capability, so there is no ambient authority for a
//! cross-site request to ride on. Posts are still guarded, in layers that
//! any number of nodes sharing one database check identically (nothing
//! depends on a per-process secret):
//!
//! 1. **Fetch metadata.** A browser marks every request with
//!    `Sec-Fetch-Site`; a post whose value is anything but `same-origin`
//!    (or `none`, a user-initiated navigation) is refused, so another site
//!    cannot make a visitor's browser submit the form. Where the header is
//!    missing (old browsers, non-browser clients) an `Origin` header, when
//!    sent and not `null`, must be the page's own origin. (Our
//!    `Referrer-Policy: no-referrer` makes browsers send `Origin: null` on
//!    form posts, so fetch metadata carries the check in practice.)
//! 2. **A form token.** Every form carries `csrf_token`, a SHA-256 over a
//!    label and the session's id, creation time and mode, which any node
//!    can recompute from the stored session. It proves the post was built
//!    from a page checkoutd rendered for this very session (not a form
//!    aimed at whichever session id comes along) and is compared in
//!    constant time.
//! 3. **An order token.** `order` hashes what the customer was shown
//!    (lines, amounts, shipping choice, total). If the merchant updated the
//!    session after the page was rendered, a pay post no longer matches and
//!    the page is shown again with the new total instead of charging an
//!    amount the customer never saw.
//!
//! Frames: the page refuses to be framed (`frame-ancestors 'none'`) unless
//! the session is an embedded one, which the merchant's own page frames.

use axum::http::{header, HeaderMap};
use checkout_domain::session::Session;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

fn digest(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
}

/// The `csrf_token` of a session's forms.
pub fn form_token(session: &Session) -> String {
    digest(&[
        b"checkoutd hosted form v1",
        session.id.as_bytes(),
        &session.created.to_be_bytes(),
        &[u8::from(session.livemode)],
    ])
}

/// Whether a posted `csrf_token` is the session's.
pub fn verify_form_token(session: &Session, presented: Option<&str>) -> bool {
    let expected = form_token(session);
    presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(expected.as_bytes())))
}

/// The `order` fingerprint: everything that makes up what the customer pays.
pub fn order_token(session: &Session) -> String {
    let t = &session.totals;
    let mut text = format!(
        "{}|{}|{}|{}|{}|{}|{}",
        session.currency.map(|c| c.to_string()).unwrap_or_default(),
        t.amount_subtotal,
        t.amount_discount,
        t.amount_shipping,
        t.amount_tax,
        t.amount_total,
        session
            .selected_shipping_rate
            .as_deref()
            .unwrap_or_default(),
    );
    for line in session.line_items.iter() {
        text.push_str(&format!(
            "|{}:{}:{}:{}",
            line.id, line.price.id, line.quantity, line.totals.amount_total
        ));
    }
    let full = digest(&[b"checkoutd hosted order v1", text.as_bytes()]);
    full[..32].to_owned()
}

/// The scheme, host and port of an `http(s)` URL, lowercased; `None` when
/// the URL has none that is safe to put in a header.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if host.is_empty() || !host.chars().all(safe) {
        return None;
    }
    Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// Whether a post comes from our own page (see the module docs).
pub fn same_origin_post(headers: &HeaderMap, public_url: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin == "null" {
        return true;
    }
    let origin = origin.to_ascii_lowercase();
    if origin_of(public_url).is_some_and(|o| o == origin) {
        return true;
    }
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| {
            let host = host.to_ascii_lowercase();
            origin == format!("http://{host}") || origin == format!("https://{host}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://Shop.example.com:8443/ok?x=1").as_deref(),
            Some("https://shop.example.com:8443")
        );
        assert_eq!(
            origin_of("http://user:pw@127.0.0.1:9/a").as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://a b/"), None);
        assert_eq!(origin_of("https://evil.com;script-src/"), None);
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        let base = "http://127.0.0.1:4242";
        assert!(same_origin_post(
            &headers(&[("sec-fetch-site", "same-origin")]),
            base
        ));
        assert!(!same_origin_post(
            &headers(&[("sec-fetch-site", "cross-site"), ("origin", "null")]),
            base
        ));
        assert!(!same_origin_post(
            &headers(&[("sec-fetch-site", "same-site")]),
            base
        ));
    }

    #[test]
    fn origin_must_match_without_fetch_metadata() {
        let base = "http://127.0.0.1:4242";
        assert!(same_origin_post(&headers(&[]), base));
        assert!(same_origin_post(&headers(&[("origin", "null")]), base));
        assert!(same_origin_post(
            &headers(&[("origin", "http://127.0.0.1:4242")]),
            base
        ));
        assert!(same_origin_post(
            &headers(&[("origin", "https://pay.example"), ("host", "pay.example")]),
            base
        ));
        assert!(!same_origin_post(
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:4242")
            ]),
            base
        ));
    }
}
