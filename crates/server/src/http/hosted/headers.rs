//! Security headers of the hosted page.
//!
//! - `Content-Security-Policy`: nothing loads but our own stylesheet and
//!   script (`default-src 'none'`); forms post only to us and to the
//!   origins the session redirects to after paying (Chrome applies
//!   `form-action` to the redirect that follows a POST); `base-uri 'none'`;
//!   `frame-ancestors 'none'` unless the session is embedded (the
//!   merchant's page frames it).
//! - `X-Frame-Options: DENY` for older browsers, on the same condition.
//! - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`
//!   (the URL holds the session id), `Cache-Control: no-store` (the page
//!   holds what the customer typed).

use super::csrf::origin_of;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use checkout_domain::session::{Session, UiMode};

/// The page-specific part of the policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// May be framed by any site (embedded sessions).
    pub frameable: bool,
    /// Origins a form post may end up at besides our own.
    pub form_targets: Vec<String>,
    /// A redirect target has no origin we can name: allow any web origin.
    pub any_target: bool,
}

impl Policy {
    /// The policy of a session's pages.
    pub fn for_session(session: &Session) -> Policy {
        let mut policy = Policy {
            frameable: session.ui_mode == UiMode::EmbeddedPage,
            ..Policy::default()
        };
        let urls = [
            &session.success_url,
            &session.cancel_url,
            &session.return_url,
        ];
        for url in urls.into_iter().flatten() {
            match origin_of(url) {
                Some(o) if !policy.form_targets.contains(&o) => policy.form_targets.push(o),
                Some(_) => {}
                None => policy.any_target = true,
            }
        }
        policy
    }

    /// The `Content-Security-Policy` value.
    pub fn csp(&self) -> String {
        let mut form_action = String::from("'self'");
        for origin in &self.form_targets {
            form_action.push(' ');
            form_action.push_str(origin);
        }
        if self.any_target {
            form_action.push_str(" https: http:");
        }
        let ancestors = if self.frameable { "*" } else { "'none'" };
        format!(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
             form-action {form_action}; frame-ancestors {ancestors}; base-uri 'none'"
        )
    }

    /// Set every security header on a response.
    pub fn apply(&self, headers: &mut HeaderMap) {
        if let Ok(v) = HeaderValue::from_str(&self.csp()) {
            headers.insert(header::CONTENT_SECURITY_POLICY, v);
        }
        if !self.frameable {
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
        common(headers);
    }
}

fn common(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

/// Layer over every hosted route: responses that set no policy of their
/// own (rejections, the assets) get the strictest one.
pub async fn defaults(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        Policy::default().apply(headers);
    } else {
        common(headers);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_loads_nothing_foreign_and_is_never_framed() {
        let csp = Policy::default().csp();
        assert!(csp.starts_with("default-src 'none';"));
        assert!(csp.contains("form-action 'self';"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn redirect_origins_join_form_action() {
        let policy = Policy {
            form_targets: vec!["https://shop.example".into()],
            ..Policy::default()
        };
        assert!(policy
            .csp()
            .contains("form-action 'self' https://shop.example;"));
        let framed = Policy {
            frameable: true,
            ..Policy::default()
        };
        assert!(framed.csp().contains("frame-ancestors *"));
    }
}
