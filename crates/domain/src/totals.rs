//! Exact totals of a checkout session, in `i64` minor units.
//!
//! # Rules
//!
//! Per line item:
//! - `amount_subtotal` = unit amount × quantity.
//! - `amount_discount` = 0 (checkoutd has no coupons yet).
//! - Each tax rate is rounded on its own, **per line, per rate, half away
//!   from zero**, to the currency's minor unit:
//!   - inclusive rates (Σ of their percentages = P) are carved out of the
//!     amount: rate r takes `round(base × pᵣ / (100 + P))`;
//!   - exclusive rates add on top of the net amount (base minus the inclusive
//!     taxes): `round(net × pᵣ / 100)`.
//! - `amount_tax` = Σ taxes; `amount_total` = base + Σ exclusive taxes.
//!
//! Session:
//! - `amount_subtotal` = Σ line subtotals (shipping excluded);
//! - `total_details.amount_shipping` = the selected shipping rate's amount;
//! - `total_details.amount_tax` = Σ line taxes (manual tax rates never apply
//!   to shipping, so `shipping_cost.amount_tax` is 0);
//! - `amount_total` = subtotal − discounts + shipping + exclusive taxes.
//!
//! # Worked examples
//!
//! - 1099 usd × 2, no tax: subtotal 2198, tax 0, total 2198 (Stripe's own
//!   documented example).
//! - 1000 usd × 1 with an exclusive 8.25 % rate: tax round(82.5) = 83,
//!   total 1083.
//! - 1000 usd × 1 with an inclusive 20 % rate: tax round(1000 × 20 / 120) =
//!   round(166.67) = 167, total 1000: inclusive totals never move with the
//!   rate.
//! - 1000 jpy (zero-decimal) × 3 with an exclusive 10 % rate: tax 300, total
//!   3300 — the same integer arithmetic serves every exponent.
//!
//! All arithmetic is checked: an amount that leaves `i64` is an
//! [`ErrorKind::AmountOverflow`](crate::error::ErrorKind) error, never a panic
//! or a wrap. Intermediate products are done in `i128`.

use crate::catalog::TaxRate;
use crate::error::{DomainError, DomainResult};

/// Scale of tax percentages: 4 decimal places.
const PCT_SCALE: i128 = 10_000;

/// The tax one rate adds to one line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RateTax {
    /// Id of the tax rate (its snapshot lives on the line item).
    pub rate_id: String,
    pub amount: i64,
    /// The amount the rate was applied to (net of inclusive taxes).
    pub taxable_amount: i64,
}

/// Totals of one line item.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineTotals {
    pub amount_subtotal: i64,
    pub amount_discount: i64,
    pub amount_tax: i64,
    pub amount_total: i64,
    /// Σ exclusive taxes, which add to the session total.
    pub exclusive_tax: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes: Vec<RateTax>,
}

/// Totals of a session.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionTotals {
    pub amount_subtotal: i64,
    pub amount_discount: i64,
    pub amount_shipping: i64,
    pub amount_tax: i64,
    pub amount_total: i64,
}

/// A tax rate's percentage in ten-thousandths of a percent.
fn pct_e4(rate: &TaxRate) -> i128 {
    let mut p = rate.percentage;
    p.rescale(4);
    // rescale(4) fixes the scale, so the mantissa is the value × 10⁴.
    p.mantissa()
}

/// `num / den` rounded half away from zero (`den` > 0).
fn div_round(num: i128, den: i128) -> i128 {
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    }
}

fn to_i64(v: i128) -> DomainResult<i64> {
    i64::try_from(v).map_err(|_| DomainError::overflow(None))
}

/// Totals of one line: `unit_amount` × `quantity` with its tax rates.
/// An overflow error names no parameter: the caller knows which line it
/// was, and names it only then (formatting the name for every line cost as
/// much as the totals).
pub fn line_totals(unit_amount: i64, quantity: i64, rates: &[TaxRate]) -> DomainResult<LineTotals> {
    let base = unit_amount
        .checked_mul(quantity)
        .ok_or_else(|| DomainError::overflow(None))?;
    let base_w = i128::from(base);
    let inclusive_pct: i128 = rates.iter().filter(|r| r.inclusive).map(pct_e4).sum();
    let mut taxes = Vec::with_capacity(rates.len());
    let mut inclusive_tax: i128 = 0;
    for rate in rates.iter().filter(|r| r.inclusive) {
        let amount = div_round(base_w * pct_e4(rate), 100 * PCT_SCALE + inclusive_pct);
        inclusive_tax += amount;
        taxes.push((rate.id.clone(), amount));
    }
    let net = base_w - inclusive_tax;
    let mut exclusive_tax: i128 = 0;
    for rate in rates.iter().filter(|r| !r.inclusive) {
        let amount = div_round(net * pct_e4(rate), 100 * PCT_SCALE);
        exclusive_tax += amount;
        taxes.push((rate.id.clone(), amount));
    }
    // Keep the taxes in the order the rates were given.
    let mut ordered = Vec::with_capacity(rates.len());
    for rate in rates {
        if let Some(pos) = taxes.iter().position(|(id, _)| *id == rate.id) {
            let (rate_id, amount) = taxes.swap_remove(pos);
            ordered.push(RateTax {
                rate_id,
                amount: to_i64(amount)?,
                taxable_amount: to_i64(net)?,
            });
        }
    }
    Ok(LineTotals {
        amount_subtotal: base,
        amount_discount: 0,
        amount_tax: to_i64(inclusive_tax + exclusive_tax)?,
        amount_total: to_i64(base_w + exclusive_tax)?,
        exclusive_tax: to_i64(exclusive_tax)?,
        taxes: ordered,
    })
}

/// Totals of a session from its lines and the selected shipping amount.
pub fn session_totals(lines: &[&LineTotals], shipping: Option<i64>) -> DomainResult<SessionTotals> {
    let overflow = || DomainError::overflow(None);
    let mut t = SessionTotals {
        amount_shipping: shipping.unwrap_or(0),
        ..SessionTotals::default()
    };
    let mut exclusive: i64 = 0;
    for line in lines {
        t.amount_subtotal = t
            .amount_subtotal
            .checked_add(line.amount_subtotal)
            .ok_or_else(overflow)?;
        t.amount_discount = t
            .amount_discount
            .checked_add(line.amount_discount)
            .ok_or_else(overflow)?;
        t.amount_tax = t
            .amount_tax
            .checked_add(line.amount_tax)
            .ok_or_else(overflow)?;
        exclusive = exclusive
            .checked_add(line.exclusive_tax)
            .ok_or_else(overflow)?;
    }
    t.amount_total = t
        .amount_subtotal
        .checked_sub(t.amount_discount)
        .and_then(|v| v.checked_add(t.amount_shipping))
        .and_then(|v| v.checked_add(exclusive))
        .ok_or_else(overflow)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::Metadata;
    use quickcheck::quickcheck;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn rate(id: &str, pct: &str, inclusive: bool) -> TaxRate {
        TaxRate {
            id: id.into(),
            livemode: false,
            created: 0,
            active: true,
            display_name: "Tax".into(),
            description: None,
            percentage: Decimal::from_str(pct).unwrap(),
            inclusive,
            country: None,
            state: None,
            jurisdiction: None,
            tax_type: None,
            metadata: Metadata::new(),
        }
    }

    #[test]
    fn stripe_documented_example_1099_times_2() {
        let line = line_totals(1099, 2, &[]).unwrap();
        let s = session_totals(&[&line], None).unwrap();
        assert_eq!((s.amount_subtotal, s.amount_total), (2198, 2198));
    }

    #[test]
    fn exclusive_rate_rounds_half_away_from_zero() {
        let line = line_totals(1000, 1, &[rate("a", "8.25", false)]).unwrap();
        assert_eq!((line.amount_tax, line.amount_total), (83, 1083));
        let line = line_totals(1000, 1, &[rate("a", "8.24", false)]).unwrap();
        assert_eq!(line.amount_tax, 82);
    }

    #[test]
    fn inclusive_rate_is_carved_out() {
        let line = line_totals(1000, 1, &[rate("a", "20", true)]).unwrap();
        assert_eq!((line.amount_tax, line.amount_total), (167, 1000));
        assert_eq!(line.taxes[0].taxable_amount, 833);
    }

    #[test]
    fn several_rates_on_one_line() {
        let rates = [rate("vat", "20", true), rate("city", "1.5", false)];
        let line = line_totals(1200, 1, &rates).unwrap();
        // inclusive: 1200 × 20/120 = 200; net 1000; exclusive 1.5 % = 15.
        assert_eq!(line.taxes[0].amount, 200);
        assert_eq!(line.taxes[1].amount, 15);
        assert_eq!((line.amount_tax, line.amount_total), (215, 1215));
    }

    #[test]
    fn shipping_adds_to_total_not_subtotal() {
        let line = line_totals(850000, 1, &[]).unwrap();
        let s = session_totals(&[&line], Some(70000)).unwrap();
        assert_eq!(
            (s.amount_subtotal, s.amount_shipping, s.amount_total),
            (850000, 70000, 920000)
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        assert!(line_totals(i64::MAX, 2, &[]).is_err());
        let a = line_totals(i64::MAX, 1, &[]).unwrap();
        assert!(session_totals(&[&a, &a], None).is_err());
        assert!(session_totals(&[&a], Some(1)).is_err());
    }

    quickcheck! {
        fn session_totals_are_sums_of_lines(amounts: Vec<(u32, u8, bool)>) -> bool {
            let r = rate("r", "7.5", false);
            let lines: Vec<LineTotals> = amounts
                .iter()
                .map(|(a, q, taxed)| {
                    let rates = if *taxed { vec![r.clone()] } else { vec![] };
                    line_totals(i64::from(*a), i64::from(*q), &rates).unwrap()
                })
                .collect();
            let refs: Vec<&LineTotals> = lines.iter().collect();
            let s = session_totals(&refs, Some(500)).unwrap();
            s.amount_subtotal == lines.iter().map(|l| l.amount_subtotal).sum::<i64>()
                && s.amount_tax == lines.iter().map(|l| l.amount_tax).sum::<i64>()
                && s.amount_total == lines.iter().map(|l| l.amount_total).sum::<i64>() + 500
        }

        fn inclusive_totals_never_move_with_the_rate(amount: u32, qty: u8, pct: u16) -> bool {
            let pct = Decimal::new(i64::from(pct % 10_001), 2);
            let r = TaxRate { percentage: pct, ..rate("r", "0", true) };
            let line = line_totals(i64::from(amount), i64::from(qty), &[r]).unwrap();
            line.amount_total == line.amount_subtotal && line.amount_tax <= line.amount_subtotal
        }

        fn no_panic_on_any_i64(unit: i64, qty: i64, pct: u32) -> bool {
            let pct = Decimal::new(i64::from(pct % 1_000_001), 4);
            let ex = TaxRate { percentage: pct, ..rate("e", "0", false) };
            let inc = TaxRate { percentage: pct, ..rate("i", "0", true) };
            let _ = line_totals(unit, qty, &[ex, inc])
                .and_then(|l| session_totals(&[&l, &l], Some(unit)));
            true
        }
    }
}
