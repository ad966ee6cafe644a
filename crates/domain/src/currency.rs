//! ISO 4217 currencies and their minor-unit exponent, as Stripe applies them.
//!
//! Amounts everywhere are `i64` minor units; the exponent only matters for
//! validation and for formatting (the hosted page). Stripe treats some ISO
//! two-decimal currencies as zero-decimal (e.g. `ugx`, `vuv`) and the list
//! below follows Stripe, not ISO, where they differ.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A lowercase ISO 4217 currency code known to checkoutd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct Currency([u8; 3]);

/// Written as its code without a `String` in between (`into = "String"`
/// allocated one per currency of every stored session and response).
impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Stripe's zero-decimal currencies: the amount is in whole units.
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// Three-decimal currencies: the amount is in thousandths.
const THREE_DECIMAL: &[&str] = &["bhd", "jod", "kwd", "omr", "tnd"];

/// Active ISO 4217 codes (lowercase), sorted for binary search.
const ISO_4217: &[&str] = &[
    "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt",
    "bgn", "bhd", "bif", "bmd", "bnd", "bob", "brl", "bsd", "btn", "bwp", "byn", "bzd", "cad",
    "cdf", "chf", "clp", "cny", "cop", "crc", "cup", "cve", "czk", "djf", "dkk", "dop", "dzd",
    "egp", "ern", "etb", "eur", "fjd", "fkp", "gbp", "gel", "ghs", "gip", "gmd", "gnf", "gtq",
    "gyd", "hkd", "hnl", "htg", "huf", "idr", "ils", "inr", "iqd", "irr", "isk", "jmd", "jod",
    "jpy", "kes", "kgs", "khr", "kmf", "kpw", "krw", "kwd", "kyd", "kzt", "lak", "lbp", "lkr",
    "lrd", "lsl", "lyd", "mad", "mdl", "mga", "mkd", "mmk", "mnt", "mop", "mru", "mur", "mvr",
    "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok", "npr", "nzd", "omr", "pab", "pen",
    "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd", "rub", "rwf", "sar", "sbd", "scr",
    "sdg", "sek", "sgd", "shp", "sle", "sll", "sos", "srd", "ssp", "stn", "svc", "syp", "szl",
    "thb", "tjs", "tmt", "tnd", "top", "try", "ttd", "twd", "tzs", "uah", "ugx", "usd", "uyu",
    "uzs", "ves", "vnd", "vuv", "wst", "xaf", "xcd", "xof", "xpf", "yer", "zar", "zmw", "zwl",
];

impl Currency {
    /// Parse a code in any case; unknown codes are rejected.
    pub fn parse(code: &str) -> Option<Self> {
        let &[a, b, c] = code.as_bytes() else {
            return None;
        };
        let lower = Self([a, b, c].map(|x| x.to_ascii_lowercase()));
        ISO_4217
            .binary_search(&lower.as_str())
            .is_ok()
            .then_some(lower)
    }

    /// The lowercase code, as Stripe renders it.
    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII codes in `parse`.
        std::str::from_utf8(&self.0).unwrap_or("xxx")
    }

    /// Number of decimal places of the minor unit: 0, 2 or 3.
    pub fn exponent(&self) -> u32 {
        let code = self.as_str();
        if ZERO_DECIMAL.contains(&code) {
            0
        } else if THREE_DECIMAL.contains(&code) {
            3
        } else {
            2
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::parse(&s).ok_or_else(|| format!("unknown currency {s}"))
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_list_is_sorted_for_binary_search() {
        assert!(ISO_4217.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn codes_parse_in_any_case_and_render_lowercase() {
        assert_eq!(Currency::parse("USD").unwrap().as_str(), "usd");
        assert!(Currency::parse("usx").is_none());
        assert!(Currency::parse("us").is_none());
        assert!(Currency::parse("usdd").is_none());
        assert!(Currency::parse("éa").is_none());
        let usd = Currency::parse("usd").unwrap();
        assert_eq!(serde_json::to_string(&usd).unwrap(), r#""usd""#);
        assert_eq!(serde_json::from_str::<Currency>(r#""USD""#).unwrap(), usd);
        assert!(serde_json::from_str::<Currency>(r#""xyz""#).is_err());
    }

    #[test]
    fn exponents_follow_stripe() {
        assert_eq!(Currency::parse("jpy").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("krw").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("kwd").unwrap().exponent(), 3);
        assert_eq!(Currency::parse("eur").unwrap().exponent(), 2);
    }
}
