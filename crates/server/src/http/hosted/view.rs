//! What the templates show: view models built from a session, and the
//! askama templates themselves (which escape every value by default).

use super::countries::country_name;
use super::csrf;
use super::form::{Errors, Values};
use super::format::{self, format_amount, Locale};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use checkout_domain::session::{Mode, Session};

/// Renders an askama template as an HTML response (askama 0.14 has no
/// axum integration of its own); a template error is a logged 500.
pub struct HtmlTemplate<T>(pub T);

impl<T: Template> IntoResponse for HtmlTemplate<T> {
    fn into_response(self) -> Response {
        match self.0.render() {
            Ok(html) => Html(html).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "hosted page template failed to render");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.").into_response()
            }
        }
    }
}

/// One line of the order summary.
pub struct LineView {
    pub name: String,
    pub quantity: i64,
    pub unit: String,
    pub amount: String,
    pub recurring: Option<String>,
}

/// One row of the totals (`Shipping`, `Tax`, …).
pub struct AmountRow {
    pub id: &'static str,
    pub label: String,
    pub amount: String,
}

/// One shipping option of the radio group.
pub struct RateView {
    pub id: String,
    pub name: String,
    pub amount: String,
    pub estimate: Option<String>,
    pub checked: bool,
}

/// One entry of the country choice.
pub struct CountryOption {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

/// A message above the form: an error (`role=alert`) or a note.
pub struct Notice {
    pub kind: &'static str,
    pub text: String,
}

impl Notice {
    pub fn error(text: impl Into<String>) -> Option<Notice> {
        Some(Notice {
            kind: "error",
            text: text.into(),
        })
    }

    pub fn info(text: impl Into<String>) -> Option<Notice> {
        Some(Notice {
            kind: "info",
            text: text.into(),
        })
    }
}

/// The open session's page: summary and form.
#[derive(Template)]
#[template(path = "hosted/pay.html")]
pub struct PayPage {
    pub lang: &'static str,
    pub title: String,
    pub merchant: String,
    pub test_mode: bool,
    pub id: String,
    pub heading: String,
    pub show_totals: bool,
    pub lines: Vec<LineView>,
    pub subtotal: String,
    pub rows: Vec<AmountRow>,
    pub total: String,
    pub rates: Vec<RateView>,
    pub collect_address: bool,
    pub countries: Vec<CountryOption>,
    pub values: Values,
    pub errors: Errors,
    pub notice: Option<Notice>,
    pub csrf_token: String,
    pub order: String,
    pub submit_label: String,
    pub cancel_url: Option<String>,
    pub expires: String,
}

/// A link on a state page.
pub struct Link {
    pub href: String,
    pub label: String,
}

/// A page with no form: paid, expired, not found, refused.
#[derive(Template)]
#[template(path = "hosted/state.html")]
pub struct StatePage {
    pub lang: &'static str,
    pub title: String,
    pub merchant: String,
    pub test_mode: bool,
    /// `data-state` of the page, for tests and styling.
    pub state: &'static str,
    pub heading: String,
    pub message: String,
    pub link: Option<Link>,
}

/// The name the page greets the customer with: the session's statement
/// descriptor, else a neutral title (checkoutd keeps no business profile).
pub fn merchant(session: &Session) -> String {
    session
        .payment_intent_data
        .statement_descriptor
        .clone()
        .unwrap_or_else(|| "Checkout".to_owned())
}

/// Only `http(s)` URLs become links or redirects.
pub fn web_url(url: Option<&str>) -> Option<String> {
    url.filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(str::to_owned)
}

/// What the customer is left with after this page: `success_url` for a
/// hosted session, `return_url` for the embedded kinds (unless they never
/// redirect), with `{CHECKOUT_SESSION_ID}` filled in.
pub fn completion_url(session: &Session) -> Option<String> {
    let target = if session.ui_mode.is_hosted() {
        session.success_url.as_deref()
    } else if session.redirect_on_completion.as_deref() == Some("never") {
        None
    } else {
        session.return_url.as_deref()
    };
    web_url(target).map(|u| u.replace("{CHECKOUT_SESSION_ID}", &session.id))
}

fn money(session: &Session, amount: i64, locale: Locale) -> String {
    match session.currency {
        Some(c) => format_amount(amount, c, locale),
        None => amount.to_string(),
    }
}

fn lines(session: &Session, locale: Locale) -> Vec<LineView> {
    session
        .line_items
        .iter()
        .map(|l| LineView {
            name: l.price.product_name.clone(),
            quantity: l.quantity,
            unit: l
                .price
                .unit_amount()
                .map(|u| money(session, u, locale))
                .unwrap_or_default(),
            amount: money(session, l.totals.amount_subtotal, locale),
            recurring: l.price.recurring.as_ref().map(format::recurring_suffix),
        })
        .collect()
}

fn rows(session: &Session, locale: Locale) -> Vec<AmountRow> {
    let mut rows = Vec::new();
    if let Some(rate) = session.selected_rate() {
        let name = rate.display_name.as_deref().unwrap_or("Shipping");
        rows.push(AmountRow {
            id: "shipping-amount",
            label: format!("Shipping ({name})"),
            amount: money(session, session.totals.amount_shipping, locale),
        });
    }
    let exclusive: i64 = session
        .line_items
        .iter()
        .map(|l| l.totals.exclusive_tax)
        .fold(0, i64::saturating_add);
    let inclusive = session.totals.amount_tax.saturating_sub(exclusive);
    if inclusive > 0 && exclusive == 0 {
        rows.push(AmountRow {
            id: "tax-amount",
            label: "Tax (included)".into(),
            amount: money(session, inclusive, locale),
        });
    } else {
        rows.push(AmountRow {
            id: "tax-amount",
            label: "Tax".into(),
            amount: money(session, exclusive, locale),
        });
        if inclusive > 0 {
            rows.push(AmountRow {
                id: "tax-included",
                label: "Tax included in prices".into(),
                amount: money(session, inclusive, locale),
            });
        }
    }
    rows
}

fn rates(session: &Session, locale: Locale) -> Vec<RateView> {
    session
        .shipping_options
        .iter()
        .map(|r| RateView {
            id: r.id.clone(),
            name: r.display_name.clone().unwrap_or_else(|| "Shipping".into()),
            amount: session
                .shipping_amount(r)
                .map(|a| money(session, a, locale))
                .unwrap_or_default(),
            estimate: r
                .delivery_estimate
                .as_ref()
                .and_then(format::delivery_estimate),
            checked: session.selected_shipping_rate.as_deref() == Some(r.id.as_str()),
        })
        .collect()
}

fn countries(session: &Session, selected: &str) -> Vec<CountryOption> {
    let mut list: Vec<CountryOption> = session
        .shipping_allowed_countries
        .iter()
        .flatten()
        .map(|code| CountryOption {
            code: code.clone(),
            name: country_name(code).to_owned(),
            selected: code == selected,
        })
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    list
}

/// The form page of an open session, with what was typed, per-field
/// errors and a notice.
pub fn pay_page(
    session: &Session,
    values: Values,
    errors: Errors,
    notice: Option<Notice>,
) -> PayPage {
    let locale = Locale::for_session(session.locale.as_deref());
    let total = money(session, session.totals.amount_total, locale);
    let (heading, submit_label) = match (session.mode, session.submit_type.as_deref()) {
        (Mode::Setup, _) => ("Save your card".to_owned(), "Save card".to_owned()),
        (Mode::Subscription, _) => ("Subscribe".to_owned(), format!("Subscribe · {total}")),
        (_, Some("donate")) => ("Donate".to_owned(), format!("Donate {total}")),
        (_, Some("book")) => ("Book".to_owned(), format!("Book · {total}")),
        _ => ("Pay".to_owned(), format!("Pay {total}")),
    };
    let merchant = merchant(session);
    PayPage {
        lang: locale.lang(),
        title: format!("{heading} · {merchant}"),
        merchant,
        test_mode: !session.livemode,
        id: session.id.clone(),
        heading,
        show_totals: session.mode != Mode::Setup,
        lines: lines(session, locale),
        subtotal: money(session, session.totals.amount_subtotal, locale),
        rows: rows(session, locale),
        total,
        rates: rates(session, locale),
        collect_address: session.shipping_allowed_countries.is_some(),
        countries: countries(session, values.country.trim()),
        values,
        errors,
        notice,
        csrf_token: csrf::form_token(session),
        order: csrf::order_token(session),
        submit_label,
        cancel_url: web_url(session.cancel_url.as_deref()),
        expires: format::format_time(session.expires_at, locale),
    }
}

/// What a state page is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageState {
    Complete,
    AlreadyPaid,
    Expired,
    NotFound,
    Forbidden,
    Stale,
    TooLarge,
    Error,
}

/// A page without a form; `session` adds the merchant and links.
pub fn state_page(kind: PageState, session: Option<&Session>) -> StatePage {
    let locale = Locale::for_session(session.and_then(|s| s.locale.as_deref()));
    let merchant = session.map(merchant).unwrap_or_else(|| "Checkout".into());
    let done_link = session.and_then(completion_url).map(|href| Link {
        href,
        label: "Return to the merchant".into(),
    });
    let reload = session.map(|s| Link {
        href: s.id.clone(),
        label: "Reload the page".into(),
    });
    let (state, heading, message, link) = match kind {
        PageState::Complete => (
            "complete",
            "Payment complete",
            "This checkout is complete. Thank you!",
            done_link,
        ),
        PageState::AlreadyPaid => (
            "complete",
            "Already paid",
            "This checkout was already completed; you have not been charged again.",
            done_link,
        ),
        PageState::Expired => (
            "expired",
            "This checkout has expired",
            "The time to complete this checkout has run out. Go back to the merchant to start again.",
            session
                .and_then(|s| web_url(s.cancel_url.as_deref()))
                .map(|href| Link {
                    href,
                    label: "Return to the merchant".into(),
                }),
        ),
        PageState::NotFound => (
            "not_found",
            "Page not found",
            "There is no checkout at this address. Check the link you followed.",
            None,
        ),
        PageState::Forbidden => (
            "forbidden",
            "This form could not be accepted",
            "The form was not sent from this checkout page. Reload the page and try again.",
            reload,
        ),
        PageState::Stale => (
            "stale",
            "This page is out of date",
            "Reload the page to see the current order and try again.",
            reload,
        ),
        PageState::TooLarge => (
            "error",
            "The form is too large",
            "Reload the page and try again.",
            reload,
        ),
        PageState::Error => (
            "error",
            "Something went wrong",
            "We could not load this checkout. Try again in a moment.",
            reload,
        ),
    };
    StatePage {
        lang: locale.lang(),
        title: format!("{heading} · {merchant}"),
        merchant,
        test_mode: session.is_some_and(|s| !s.livemode),
        state,
        heading: heading.into(),
        message: message.into(),
        link,
    }
}
