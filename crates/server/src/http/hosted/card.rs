//! The test card the hosted page accepts, checked as a card form would.
//!
//! checkoutd moves no money: a card "pays" when its number passes the Luhn
//! check, its expiry is this month or later and its CVC has 3–4 digits.
//! Stripe's documented decline numbers are declined with Stripe's messages,
//! so an integration can exercise its failure path:
//!
//! | number | outcome |
//! |---|---|
//! | 4242 4242 4242 4242 | paid |
//! | 4000 0000 0000 0002 | declined (`Your card was declined.`) |
//! | 4000 0000 0000 9995 | declined (insufficient funds) |
//! | 4000 0000 0000 9987 | declined (lost card) |
//! | 4000 0000 0000 0069 | declined (expired card) |
//! | 4000 0000 0000 0127 | declined (incorrect CVC) |
//! | any other number that fails Luhn | rejected as invalid |

/// What the card's number says about the payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Approved,
    /// Declined with the message to show.
    Declined(&'static str),
}

const DECLINES: &[(&str, &str)] = &[
    ("4000000000000002", "Your card was declined."),
    (
        "4000000000009995",
        "Your card has insufficient funds. Try a different card.",
    ),
    ("4000000000009987", "Your card was declined."),
    ("4000000000000069", "Your card has expired."),
    (
        "4000000000000127",
        "Your card's security code is incorrect.",
    ),
];

/// Whether a string of ASCII digits passes the Luhn checksum.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum = (sum + d) % 10;
    }
    !digits.is_empty() && sum == 0
}

/// The card number's digits (spaces and dashes allowed between them), or
/// the message for the field.
pub fn card_number(input: &str) -> Result<String, &'static str> {
    let digits: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
        .collect();
    if digits.is_empty() {
        return Err("Enter your card number.");
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("Your card number is invalid.");
    }
    if digits.len() < 12 {
        return Err("Your card number is incomplete.");
    }
    if digits.len() > 19 || !luhn_valid(&digits) {
        return Err("Your card number is invalid.");
    }
    Ok(digits)
}

/// Month and four-digit year of `MM / YY`, `MM/YYYY` or `MMYY`, which must
/// not lie before `(year, month)`.
pub fn expiry(input: &str, year: i64, month: u32) -> Result<(u32, i64), &'static str> {
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let (mm, yy) = match compact.split_once('/') {
        Some(parts) => parts,
        None if compact.len() == 4 || compact.len() == 6 => compact.split_at(2),
        None if compact.is_empty() => return Err("Enter your card's expiration date."),
        None => return Err("Your card's expiration date is incomplete."),
    };
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !numeric(mm) || !numeric(yy) || mm.len() > 2 || !(yy.len() == 2 || yy.len() == 4) {
        return Err("Your card's expiration date is incomplete.");
    }
    let m: u32 = mm
        .parse()
        .map_err(|_| "Your card's expiration date is invalid.")?;
    let mut y: i64 = yy
        .parse()
        .map_err(|_| "Your card's expiration date is invalid.")?;
    if !(1..=12).contains(&m) {
        return Err("Your card's expiration month is invalid.");
    }
    if yy.len() == 2 {
        y += (year / 100) * 100;
    }
    if (y, m) < (year, month) {
        return Err("Your card's expiration date is in the past.");
    }
    if y > year + 50 {
        return Err("Your card's expiration year is invalid.");
    }
    Ok((m, y))
}

/// A CVC is three or four digits.
pub fn cvc(input: &str) -> Result<(), &'static str> {
    let t = input.trim();
    if t.is_empty() {
        Err("Enter your card's security code.")
    } else if (3..=4).contains(&t.len()) && t.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err("Your card's security code is incomplete.")
    }
}

/// Whether a valid card number pays or is declined.
pub fn outcome(digits: &str) -> Outcome {
    match DECLINES.iter().find(|(n, _)| *n == digits) {
        Some((_, message)) => Outcome::Declined(message),
        None => Outcome::Approved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_success_card_passes_and_pays() {
        let digits = card_number("4242 4242 4242 4242").unwrap();
        assert_eq!(digits, "4242424242424242");
        assert_eq!(outcome(&digits), Outcome::Approved);
    }

    #[test]
    fn the_decline_card_is_valid_but_declined() {
        let digits = card_number("4000-0000-0000-0002").unwrap();
        assert_eq!(
            outcome(&digits),
            Outcome::Declined("Your card was declined.")
        );
    }

    #[test]
    fn numbers_failing_luhn_are_invalid() {
        assert_eq!(
            card_number("4242 4242 4242 4241"),
            Err("Your card number is invalid.")
        );
        assert_eq!(
            card_number("1234 5678 9012 3456"),
            Err("Your card number is invalid.")
        );
        assert_eq!(
            card_number("4242 abcd"),
            Err("Your card number is invalid.")
        );
        assert_eq!(
            card_number("4242 4242"),
            Err("Your card number is incomplete.")
        );
        assert_eq!(card_number("  "), Err("Enter your card number."));
        assert!(!luhn_valid(""));
        assert!(luhn_valid("79927398713"));
        assert!(luhn_valid("5555555555554444"));
    }

    #[test]
    fn expiry_accepts_common_forms_and_rejects_the_past() {
        assert_eq!(expiry("12 / 34", 2026, 3), Ok((12, 2034)));
        assert_eq!(expiry("03/2026", 2026, 3), Ok((3, 2026)));
        assert_eq!(expiry("0430", 2026, 3), Ok((4, 2030)));
        assert_eq!(
            expiry("02/26", 2026, 3),
            Err("Your card's expiration date is in the past.")
        );
        assert_eq!(
            expiry("13/30", 2026, 3),
            Err("Your card's expiration month is invalid.")
        );
        assert!(expiry("1/", 2026, 3).is_err());
        assert!(expiry("ab/cd", 2026, 3).is_err());
        assert!(expiry("", 2026, 3).is_err());
        assert!(expiry("01/99999999999999999999", 2026, 3).is_err());
    }

    #[test]
    fn cvc_is_three_or_four_digits() {
        assert!(cvc("123").is_ok());
        assert!(cvc("1234").is_ok());
        assert!(cvc("12").is_err());
        assert!(cvc("12a").is_err());
        assert!(cvc("").is_err());
    }
}
