//! How the hosted page writes amounts and dates for a reader.
//!
//! The page is in English whatever the session's `locale`; `en-GB` only
//! changes the date order and the 24-hour clock (and writes US dollars as
//! `US$`, as British English does). Amounts come from the domain in minor
//! units and are placed by the currency's exponent, never through floats:
//!
//! | amount | currency | shown |
//! |---|---|---|
//! | 2198 | usd | `$21.98` |
//! | 1000 | jpy (0 decimals) | `¥1,000` |
//! | 1250 | kwd (3 decimals) | `KWD 1.250` |
//! | 150000 | chf (no symbol) | `CHF 1,500.00` |

use checkout_domain::catalog::{DeliveryEstimate, Interval, Recurring};
use checkout_domain::Currency;

/// The English variant the page formats for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// `en` and every locale the page has no strings for.
    EnUs,
    /// `en-GB`.
    EnGb,
}

impl Locale {
    /// The page's locale for a session's `locale` (English or a fallback
    /// to English).
    pub fn for_session(locale: Option<&str>) -> Locale {
        match locale {
            Some(l) if l.eq_ignore_ascii_case("en-GB") => Locale::EnGb,
            _ => Locale::EnUs,
        }
    }

    /// The `lang` attribute of the page.
    pub fn lang(self) -> &'static str {
        match self {
            Locale::EnUs => "en",
            Locale::EnGb => "en-GB",
        }
    }
}

/// The symbol English uses for a currency, if it has a well-known one.
fn symbol(currency: &str, locale: Locale) -> Option<&'static str> {
    Some(match currency {
        "usd" if locale == Locale::EnGb => "US$",
        "usd" => "$",
        "eur" => "€",
        "gbp" => "£",
        "jpy" => "¥",
        "cad" => "CA$",
        "aud" => "A$",
        "nzd" => "NZ$",
        "hkd" => "HK$",
        "mxn" => "MX$",
        "brl" => "R$",
        "twd" => "NT$",
        "cny" => "CN¥",
        "inr" => "₹",
        "krw" => "₩",
        "ils" => "₪",
        "vnd" => "₫",
        "php" => "₱",
        _ => return None,
    })
}

/// Digits with a comma every three places.
fn group(digits: &str) -> String {
    let lead = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        n => n,
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    out.push_str(&digits[..lead]);
    for start in (lead..digits.len()).step_by(3) {
        out.push(',');
        out.push_str(&digits[start..start + 3]);
    }
    out
}

/// `amount` minor units of `currency` as a reader expects it:
/// `$21.98`, `¥1,000`, `KWD 1.250`, `-€0.05`.
pub fn format_amount(amount: i64, currency: Currency, locale: Locale) -> String {
    let exponent = currency.exponent() as usize;
    let digits = amount.unsigned_abs().to_string();
    let padded = format!("{digits:0>width$}", width = exponent + 1);
    let (whole, fraction) = padded.split_at(padded.len() - exponent);
    let mut number = group(whole);
    if exponent > 0 {
        number.push('.');
        number.push_str(fraction);
    }
    let sign = if amount < 0 { "-" } else { "" };
    match symbol(currency.as_str(), locale) {
        Some(sym) => format!("{sign}{sym}{number}"),
        None => format!("{sign}{} {number}", currency.as_str().to_ascii_uppercase()),
    }
}

/// `/ month`, `every 3 months`: how often a recurring price is charged.
pub fn recurring_suffix(recurring: &Recurring) -> String {
    let unit = match recurring.interval {
        Interval::Day => "day",
        Interval::Week => "week",
        Interval::Month => "month",
        Interval::Year => "year",
    };
    if recurring.interval_count == 1 {
        format!("per {unit}")
    } else {
        format!("every {} {unit}s", recurring.interval_count)
    }
}

fn estimate_unit(unit: &str, value: i64) -> String {
    let name = match unit {
        "business_day" => "business day",
        "day" | "hour" | "week" | "month" => unit,
        other => other,
    };
    if value == 1 {
        name.to_owned()
    } else {
        format!("{name}s")
    }
}

/// `3–5 business days`, `At least 2 days`, `Up to 1 week`.
pub fn delivery_estimate(estimate: &DeliveryEstimate) -> Option<String> {
    match (&estimate.minimum, &estimate.maximum) {
        (Some(min), Some(max)) if min.unit == max.unit && min.value == max.value => Some(format!(
            "{} {}",
            min.value,
            estimate_unit(&min.unit, min.value)
        )),
        (Some(min), Some(max)) if min.unit == max.unit => Some(format!(
            "{}–{} {}",
            min.value,
            max.value,
            estimate_unit(&max.unit, max.value)
        )),
        (Some(min), Some(max)) => Some(format!(
            "{} {} – {} {}",
            min.value,
            estimate_unit(&min.unit, min.value),
            max.value,
            estimate_unit(&max.unit, max.value)
        )),
        (Some(min), None) => Some(format!(
            "At least {} {}",
            min.value,
            estimate_unit(&min.unit, min.value)
        )),
        (None, Some(max)) => Some(format!(
            "Up to {} {}",
            max.value,
            estimate_unit(&max.unit, max.value)
        )),
        (None, None) => None,
    }
}

/// Year, month (1–12) and day of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both are in range by construction (1..=31, 1..=12).
    (year, month as u32, day as u32)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A Unix time in UTC: `March 5, 2026, 2:05 PM UTC` (en) or
/// `5 March 2026, 14:05 UTC` (en-GB).
pub fn format_time(unix: i64, locale: Locale) -> String {
    let (year, month, day) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    let (hour, minute) = (secs / 3600, (secs % 3600) / 60);
    let month = MONTHS[(month - 1) as usize];
    match locale {
        Locale::EnGb => format!("{day} {month} {year}, {hour:02}:{minute:02} UTC"),
        Locale::EnUs => {
            let (h12, half) = match hour {
                0 => (12, "AM"),
                1..=11 => (hour, "AM"),
                12 => (12, "PM"),
                _ => (hour - 12, "PM"),
            };
            format!("{month} {day}, {year}, {h12}:{minute:02} {half} UTC")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn two_decimal_currencies_show_cents() {
        assert_eq!(format_amount(2198, c("usd"), Locale::EnUs), "$21.98");
        assert_eq!(format_amount(5, c("eur"), Locale::EnUs), "€0.05");
        assert_eq!(format_amount(0, c("gbp"), Locale::EnUs), "£0.00");
        assert_eq!(
            format_amount(123_456_789, c("usd"), Locale::EnUs),
            "$1,234,567.89"
        );
    }

    #[test]
    fn zero_decimal_currencies_have_no_fraction() {
        assert_eq!(format_amount(1000, c("jpy"), Locale::EnUs), "¥1,000");
        assert_eq!(format_amount(7, c("krw"), Locale::EnUs), "₩7");
        assert_eq!(
            format_amount(1_500_000, c("clp"), Locale::EnUs),
            "CLP 1,500,000"
        );
    }

    #[test]
    fn three_decimal_currencies_show_thousandths() {
        assert_eq!(format_amount(1250, c("kwd"), Locale::EnUs), "KWD 1.250");
        assert_eq!(format_amount(5, c("bhd"), Locale::EnUs), "BHD 0.005");
        assert_eq!(
            format_amount(1_234_567, c("jod"), Locale::EnUs),
            "JOD 1,234.567"
        );
    }

    #[test]
    fn currencies_without_a_symbol_use_the_code() {
        assert_eq!(
            format_amount(150_000, c("chf"), Locale::EnUs),
            "CHF 1,500.00"
        );
    }

    #[test]
    fn en_gb_marks_us_dollars() {
        assert_eq!(format_amount(2198, c("usd"), Locale::EnGb), "US$21.98");
        assert_eq!(format_amount(2198, c("gbp"), Locale::EnGb), "£21.98");
    }

    #[test]
    fn negative_and_extreme_amounts_never_panic() {
        assert_eq!(format_amount(-2198, c("usd"), Locale::EnUs), "-$21.98");
        assert_eq!(
            format_amount(i64::MIN, c("usd"), Locale::EnUs),
            "-$92,233,720,368,547,758.08"
        );
        assert_eq!(
            format_amount(i64::MAX, c("jpy"), Locale::EnUs),
            "¥9,223,372,036,854,775,807"
        );
    }

    #[test]
    fn locales_other_than_en_gb_fall_back_to_english() {
        assert_eq!(Locale::for_session(Some("en-GB")), Locale::EnGb);
        assert_eq!(Locale::for_session(Some("fr")), Locale::EnUs);
        assert_eq!(Locale::for_session(Some("auto")), Locale::EnUs);
        assert_eq!(Locale::for_session(None), Locale::EnUs);
        assert_eq!(Locale::EnGb.lang(), "en-GB");
    }

    #[test]
    fn dates_follow_the_locale() {
        // 2026-03-05T14:05:00Z
        let t = 1_772_719_500;
        assert_eq!(format_time(t, Locale::EnUs), "March 5, 2026, 2:05 PM UTC");
        assert_eq!(format_time(t, Locale::EnGb), "5 March 2026, 14:05 UTC");
        assert_eq!(
            format_time(0, Locale::EnUs),
            "January 1, 1970, 12:00 AM UTC"
        );
    }

    #[test]
    fn civil_dates_round_trip_known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn recurring_prices_name_their_interval() {
        let monthly = Recurring {
            interval: Interval::Month,
            interval_count: 1,
        };
        let quarterly = Recurring {
            interval: Interval::Month,
            interval_count: 3,
        };
        assert_eq!(recurring_suffix(&monthly), "per month");
        assert_eq!(recurring_suffix(&quarterly), "every 3 months");
    }
}
