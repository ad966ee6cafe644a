//! The posted checkout form: decoding, the values shown again when the
//! page is re-rendered, and server-side validation of every field (the
//! browser's `required` attributes are a convenience, never the check).

use super::card::{self, Outcome};
use super::format::civil_from_days;
use checkout_domain::session::{Address, Session, ShippingDetails};

/// Longest value kept from any field; longer input is cut, then rejected
/// by the field's own rule where that matters.
const MAX_FIELD: usize = 1000;

/// A decoded `application/x-www-form-urlencoded` body.
#[derive(Debug, Default)]
pub struct Posted(Vec<(String, String)>);

fn decode(part: &str) -> String {
    String::from_utf8_lossy(&crate::http::urlencoded::unescape(part.as_bytes())).into_owned()
}

impl Posted {
    /// Decode a form body; malformed pairs decode as best they can.
    pub fn parse(body: &[u8]) -> Posted {
        let text = String::from_utf8_lossy(body);
        let pairs = text
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(k), decode(v))
            })
            .collect();
        Posted(pairs)
    }

    /// The first value of a field.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self, key: &str) -> String {
        self.get(key)
            .map(|v| v.chars().take(MAX_FIELD).collect())
            .unwrap_or_default()
    }
}

/// What the customer typed, shown again when the page is re-rendered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub email: String,
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
    pub card_number: String,
    pub card_expiry: String,
    pub card_cvc: String,
}

impl Values {
    /// A fresh form: the email from `customer_email`, and the country when
    /// only one is allowed.
    pub fn initial(session: &Session) -> Values {
        let country = match session.shipping_allowed_countries.as_deref() {
            Some([only]) => only.clone(),
            _ => String::new(),
        };
        Values {
            email: session.customer_email.clone().unwrap_or_default(),
            country,
            ..Values::default()
        }
    }

    /// The values of a post.
    pub fn posted(p: &Posted) -> Values {
        Values {
            email: p.text("email"),
            name: p.text("name"),
            line1: p.text("address_line1"),
            line2: p.text("address_line2"),
            city: p.text("address_city"),
            state: p.text("address_state"),
            postal_code: p.text("address_postal_code"),
            country: p.text("address_country"),
            card_number: p.text("card_number"),
            card_expiry: p.text("card_expiry"),
            card_cvc: p.text("card_cvc"),
        }
    }
}

/// A message per field that failed its check.
#[derive(Debug, Clone, Default)]
pub struct Errors {
    pub email: Option<String>,
    pub name: Option<String>,
    pub line1: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub card_number: Option<String>,
    pub card_expiry: Option<String>,
    pub card_cvc: Option<String>,
}

impl Errors {
    /// Whether any field failed.
    pub fn any(&self) -> bool {
        [
            &self.email,
            &self.name,
            &self.line1,
            &self.city,
            &self.postal_code,
            &self.country,
            &self.card_number,
            &self.card_expiry,
            &self.card_cvc,
        ]
        .iter()
        .any(|e| e.is_some())
    }
}

/// A form that passed every check.
#[derive(Debug, Clone)]
pub struct Checked {
    pub email: String,
    pub name: Option<String>,
    pub shipping: Option<ShippingDetails>,
    pub outcome: Outcome,
}

/// A plausible email address: one `@`, a dotted domain, no spaces.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 512
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn required(value: &str, max: usize, missing: &str, slot: &mut Option<String>) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        *slot = Some(missing.to_owned());
        None
    } else if v.chars().count() > max {
        *slot = Some(format!("This field can be at most {max} characters long."));
        None
    } else {
        Some(v.to_owned())
    }
}

fn optional(value: &str, max: usize) -> Option<String> {
    let v: String = value.trim().chars().take(max).collect();
    (!v.is_empty()).then_some(v)
}

fn shipping(values: &Values, session: &Session, errors: &mut Errors) -> Option<ShippingDetails> {
    let allowed = session.shipping_allowed_countries.as_ref()?;
    let name = required(
        &values.name,
        255,
        "Enter the name to ship to.",
        &mut errors.name,
    );
    let line1 = required(
        &values.line1,
        200,
        "Enter the street address.",
        &mut errors.line1,
    );
    let city = required(&values.city, 200, "Enter the city.", &mut errors.city);
    let country = values.country.trim();
    if country.is_empty() {
        errors.country = Some("Choose a country.".into());
    } else if !allowed.iter().any(|c| c == country) {
        errors.country = Some("We can't ship to this country.".into());
    }
    if values.postal_code.trim().chars().count() > 20 {
        errors.postal_code = Some("This postal code is too long.".into());
    }
    Some(ShippingDetails {
        name: name?,
        address: Address {
            line1: Some(line1?),
            line2: optional(&values.line2, 200),
            city: Some(city?),
            state: optional(&values.state, 200),
            postal_code: optional(&values.postal_code, 20),
            country: Some(country.to_owned()),
        },
    })
}

/// Check every field of a pay post against the session, at `now` (the
/// account's clock, for the card's expiry).
pub fn validate(values: &Values, session: &Session, now: i64) -> Result<Checked, Box<Errors>> {
    let mut errors = Errors::default();
    let email = values.email.trim().to_owned();
    if email.is_empty() {
        errors.email = Some("Enter your email address.".into());
    } else if !valid_email(&email) {
        errors.email = Some("Your email address is invalid.".into());
    }
    let shipping = shipping(values, session, &mut errors);
    let name = match &shipping {
        Some(details) => Some(details.name.clone()),
        None => optional(&values.name, 255),
    };
    let (year, month, _) = civil_from_days(now.div_euclid(86_400));
    let number = card::card_number(&values.card_number)
        .map_err(|e| errors.card_number = Some(e.into()))
        .ok();
    if let Err(e) = card::expiry(&values.card_expiry, year, month) {
        errors.card_expiry = Some(e.into());
    }
    if let Err(e) = card::cvc(&values.card_cvc) {
        errors.card_cvc = Some(e.into());
    }
    match number {
        Some(digits) if !errors.any() => Ok(Checked {
            email,
            name,
            shipping,
            outcome: card::outcome(&digits),
        }),
        _ => Err(Box::new(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_decode_plus_and_percent() {
        let p = Posted::parse(b"email=a%2Bb%40x.io&name=Ada+Lovelace&empty=&flag&email=second");
        assert_eq!(p.get("email"), Some("a+b@x.io"));
        assert_eq!(p.get("name"), Some("Ada Lovelace"));
        assert_eq!(p.get("empty"), Some(""));
        assert_eq!(p.get("flag"), Some(""));
        assert_eq!(p.get("missing"), None);
    }

    #[test]
    fn invalid_utf8_and_broken_escapes_do_not_panic() {
        let p = Posted::parse(b"a=%ff%fe&b=%zz&%=1");
        assert!(p.get("a").is_some());
        assert_eq!(p.get("b"), Some("%zz"));
    }

    #[test]
    fn emails_need_a_dotted_domain() {
        assert!(valid_email("jenny@example.com"));
        assert!(valid_email("a+tag@sub.example.co.uk"));
        assert!(!valid_email("jenny"));
        assert!(!valid_email("jenny@localhost"));
        assert!(!valid_email("a@b@c.com"));
        assert!(!valid_email("a b@c.com"));
        assert!(!valid_email("@c.com"));
        assert!(!valid_email("a@.com"));
    }
}
