//! Properties of [`Session::update`]: random sequences of updates (lines
//! added, removed, reordered, requantified and repriced, tax rates
//! exclusive and inclusive, shipping options replaced and cleared,
//! metadata set, deleted and cleared) over a small catalog, checked after
//! every step against the totals rules of [`crate::totals`] and a model of
//! what the lines should now be.
//!
//! Checked after each step: no panic; an error changes nothing (the
//! caller keeps its session, and the model stays); session totals are the
//! sums of the lines plus the selected shipping; a line taxed only by
//! inclusive rates totals its subtotal; line item ids are unique; the
//! selected shipping option is one of the options (the first after a
//! replace) or none when there are none, and has an amount in the
//! session's currency.

use super::*;
use crate::catalog::{FixedAmount, Interval, Recurring};
use crate::totals::line_totals;
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

fn usd() -> Currency {
    Currency::parse("usd").expect("usd")
}

fn eur() -> Currency {
    Currency::parse("eur").expect("eur")
}

fn price(id: &str, amount: &str, currency: Currency, recurring: bool) -> Price {
    Price {
        id: id.into(),
        livemode: false,
        created: 0,
        active: true,
        currency,
        product: "prod_1".into(),
        product_name: "Thing".into(),
        unit_amount_decimal: Decimal::from_str(amount).expect("decimal"),
        recurring: recurring.then_some(Recurring {
            interval: Interval::Month,
            interval_count: 1,
        }),
        tax_behavior: None,
        lookup_key: None,
        nickname: None,
        metadata: Metadata::new(),
    }
}

/// Usd prices (one huge, one of zero), then the ones that must fail in a
/// usd payment session: eur, recurring, fractional minor units.
fn prices() -> Vec<Price> {
    vec![
        price("price_a", "1099", usd(), false),
        price("price_b", "1", usd(), false),
        price("price_c", "250000", usd(), false),
        price("price_zero", "0", usd(), false),
        price("price_huge", "9223372036854775", usd(), false),
        price("price_eur", "1000", eur(), false),
        price("price_monthly", "500", usd(), true),
        price("price_fraction", "10.5", usd(), false),
    ]
}

fn tax(id: &str, pct: &str, inclusive: bool) -> TaxRate {
    TaxRate {
        id: id.into(),
        livemode: false,
        created: 0,
        active: true,
        display_name: "Tax".into(),
        description: None,
        percentage: Decimal::from_str(pct).expect("decimal"),
        inclusive,
        country: None,
        state: None,
        jurisdiction: None,
        tax_type: None,
        metadata: Metadata::new(),
    }
}

fn tax_rates() -> Vec<TaxRate> {
    vec![
        tax("txr_ex_825", "8.25", false),
        tax("txr_in_20", "20", true),
        tax("txr_in_75", "7.5", true),
        tax("txr_ex_0", "0", false),
        tax("txr_ex_100", "100", false),
        tax("txr_in_33", "33.3333", true),
    ]
}

fn shipping(id: &str, amount: i64, currency: Currency) -> ShippingRate {
    ShippingRate {
        id: id.into(),
        livemode: false,
        created: 0,
        active: true,
        display_name: Some("Ground".into()),
        fixed_amount: FixedAmount {
            amount,
            currency,
            currency_options: BTreeMap::new(),
        },
        delivery_estimate: None,
        tax_behavior: None,
        tax_code: None,
        metadata: Metadata::new(),
    }
}

/// Usd rates, then one priced only in eur (refused in a usd session).
fn shipping_rates() -> Vec<ShippingRate> {
    vec![
        shipping("shr_500", 500, usd()),
        shipping("shr_free", 0, usd()),
        shipping("shr_big", 70_000, usd()),
        shipping("shr_eur", 900, eur()),
    ]
}

/// One step of a random update sequence. Indexes are taken modulo the
/// catalog or the current lines, so every step means something.
#[derive(Debug, Clone)]
enum Op {
    AddLine { price: u8, quantity: i64, rates: u8 },
    RemoveLine(u8),
    Swap(u8, u8),
    Reverse,
    Requantify { line: u8, quantity: i64 },
    Reprice { line: u8, price: u8 },
    SetRates { line: u8, rates: u8 },
    RepeatLine(u8),
    UnknownLine,
    ReplaceShipping(Vec<u8>),
    ClearShipping,
    Metadata(Vec<(u8, Option<u8>)>),
    ClearMetadata,
}

/// Quantities around the edges: zero, negative, the maximum and past it.
fn quantity(g: &mut Gen) -> i64 {
    *g.choose(&[1, 1, 2, 3, 7, 0, -1, 999_999, 1_000_000, 42])
        .expect("non-empty")
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = u8::arbitrary;
        match u8::arbitrary(g) % 13 {
            0 | 1 => Op::AddLine {
                price: n(g),
                quantity: quantity(g),
                rates: n(g),
            },
            2 => Op::RemoveLine(n(g)),
            3 => Op::Swap(n(g), n(g)),
            4 => Op::Reverse,
            5 => Op::Requantify {
                line: n(g),
                quantity: quantity(g),
            },
            6 => Op::Reprice {
                line: n(g),
                price: n(g),
            },
            7 => Op::SetRates {
                line: n(g),
                rates: n(g),
            },
            8 => Op::RepeatLine(n(g)),
            9 => Op::UnknownLine,
            10 => Op::ReplaceShipping((0..u8::arbitrary(g) % 7).map(|_| n(g)).collect()),
            11 => Op::ClearShipping,
            _ => {
                let pairs = (0..u8::arbitrary(g) % 4)
                    .map(|_| (n(g), Option::<u8>::arbitrary(g)))
                    .collect();
                if bool::arbitrary(g) {
                    Op::Metadata(pairs)
                } else {
                    Op::ClearMetadata
                }
            }
        }
    }
}

/// The tax rates a bit mask picks (at most the catalog's).
fn rates_of(mask: u8) -> Vec<TaxRate> {
    tax_rates()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, r)| r)
        .collect()
}

fn pick<T: Clone>(items: &[T], i: u8) -> T {
    items[usize::from(i) % items.len()].clone()
}

/// Every current line retransmitted by id, unchanged.
fn keep_all(s: &Session) -> Vec<LineItemUpdate> {
    s.line_items
        .iter()
        .map(|l| LineItemUpdate {
            id: Some(l.id.clone()),
            ..LineItemUpdate::default()
        })
        .collect()
}

/// The update an op sends, built from the current session.
fn to_update(s: &Session, op: &Op) -> SessionUpdate {
    let n = s.line_items.len().max(1);
    let at = |i: u8| usize::from(i) % n;
    let lines = |updates: Vec<LineItemUpdate>| SessionUpdate {
        line_items: Some(updates),
        ..SessionUpdate::default()
    };
    match op {
        Op::AddLine {
            price,
            quantity,
            rates,
        } => {
            let mut all = keep_all(s);
            all.push(LineItemUpdate {
                price: Some(pick(&prices(), *price)),
                quantity: Some(*quantity),
                tax_rates: Some(rates_of(*rates)),
                ..LineItemUpdate::default()
            });
            lines(all)
        }
        Op::RemoveLine(i) => {
            let mut all = keep_all(s);
            if !all.is_empty() {
                all.remove(at(*i));
            }
            lines(all)
        }
        Op::Swap(a, b) => {
            let mut all = keep_all(s);
            if !all.is_empty() {
                all.swap(at(*a), at(*b));
            }
            lines(all)
        }
        Op::Reverse => {
            let mut all = keep_all(s);
            all.reverse();
            lines(all)
        }
        Op::Requantify { line, quantity } => {
            let mut all = keep_all(s);
            if let Some(u) = all.get_mut(at(*line)) {
                u.quantity = Some(*quantity);
            }
            lines(all)
        }
        Op::Reprice { line, price } => {
            let mut all = keep_all(s);
            if let Some(u) = all.get_mut(at(*line)) {
                u.price = Some(pick(&prices(), *price));
            }
            lines(all)
        }
        Op::SetRates { line, rates } => {
            let mut all = keep_all(s);
            if let Some(u) = all.get_mut(at(*line)) {
                u.tax_rates = Some(rates_of(*rates));
            }
            lines(all)
        }
        Op::RepeatLine(i) => {
            let mut all = keep_all(s);
            if let Some(u) = all.get(at(*i)).cloned() {
                all.push(u);
            }
            lines(all)
        }
        Op::UnknownLine => {
            let mut all = keep_all(s);
            all.push(LineItemUpdate {
                id: Some("li_unknown".into()),
                ..LineItemUpdate::default()
            });
            lines(all)
        }
        Op::ReplaceShipping(picks) => SessionUpdate {
            shipping_options: Some(picks.iter().map(|i| pick(&shipping_rates(), *i)).collect()),
            ..SessionUpdate::default()
        },
        Op::ClearShipping => SessionUpdate {
            shipping_options: Some(Vec::new()),
            ..SessionUpdate::default()
        },
        Op::Metadata(pairs) => SessionUpdate {
            metadata: Some(MetadataPatch::Merge(
                pairs
                    .iter()
                    .map(|(k, v)| (format!("k{}", k % 60), v.map(|v| format!("v{v}"))))
                    .collect(),
            )),
            ..SessionUpdate::default()
        },
        Op::ClearMetadata => SessionUpdate {
            metadata: Some(MetadataPatch::Clear),
            ..SessionUpdate::default()
        },
    }
}

/// Ops that can never succeed, whatever the session.
fn must_fail(s: &Session, op: &Op) -> bool {
    match op {
        Op::UnknownLine => true,
        Op::RepeatLine(_) => !s.line_items.is_empty(),
        Op::RemoveLine(_) => s.line_items.len() <= 1,
        _ => false,
    }
}

/// What the lines must be after a successful update: (price id, quantity,
/// tax rate ids) in order, computed from the update itself.
fn expected_lines(s: &Session, update: &SessionUpdate) -> Option<Vec<(String, i64, Vec<String>)>> {
    let updates = update.line_items.as_ref()?;
    Some(
        updates
            .iter()
            .map(|u| {
                let existing =
                    u.id.as_ref()
                        .and_then(|id| s.line_items.iter().find(|l| &l.id == id));
                let price = u
                    .price
                    .as_ref()
                    .or(existing.map(|l| &l.price))
                    .map(|p| p.id.clone())
                    .unwrap_or_default();
                let quantity = u.quantity.or(existing.map(|l| l.quantity)).unwrap_or(0);
                let rates = u
                    .tax_rates
                    .clone()
                    .or(existing.map(|l| l.tax_rates.clone()))
                    .unwrap_or_default();
                (price, quantity, rates.into_iter().map(|r| r.id).collect())
            })
            .collect(),
    )
}

fn lines_of(s: &Session) -> Vec<(String, i64, Vec<String>)> {
    s.line_items
        .iter()
        .map(|l| {
            (
                l.price.id.clone(),
                l.quantity,
                l.tax_rates.iter().map(|r| r.id.clone()).collect(),
            )
        })
        .collect()
}

/// Every invariant of a session that an update accepted; `Err` says which
/// one broke.
fn check_invariants(s: &Session) -> Result<(), String> {
    let mut ids: Vec<&str> = s.line_items.iter().map(|l| l.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != s.line_items.len() {
        return Err("line item ids are not unique".into());
    }
    if s.line_items.is_empty() {
        return Err("a payment session has no line".into());
    }
    let mut exclusive = 0i64;
    for (i, line) in s.line_items.iter().enumerate() {
        let t = &line.totals;
        let unit = line.price.unit_amount().ok_or("fractional unit amount")?;
        let fresh = line_totals(unit, line.quantity, &line.tax_rates)
            .map_err(|e| format!("line {i} totals fail to recompute: {e}"))?;
        if &fresh != t {
            return Err(format!("line {i} totals are stale"));
        }
        if Some(t.amount_subtotal) != unit.checked_mul(line.quantity) {
            return Err(format!("line {i}: subtotal is not unit × quantity"));
        }
        if t.amount_tax != t.taxes.iter().map(|x| x.amount).sum::<i64>() {
            return Err(format!("line {i}: tax is not the sum of its rates"));
        }
        if t.amount_total != t.amount_subtotal + t.exclusive_tax {
            return Err(format!("line {i}: total is not subtotal + exclusive tax"));
        }
        if line.tax_rates.iter().all(|r| r.inclusive) && t.amount_total != t.amount_subtotal {
            return Err(format!("line {i}: inclusive-only total moved"));
        }
        if line.quantity < 1 || line.quantity > 999_999 {
            return Err(format!("line {i}: quantity {} accepted", line.quantity));
        }
        if Some(line.price.currency) != s.currency {
            return Err(format!("line {i}: currency differs from the session's"));
        }
        exclusive += t.exclusive_tax;
    }
    let shipping = match &s.selected_shipping_rate {
        None if s.shipping_options.is_empty() => 0,
        None => return Err("options but no selection".into()),
        Some(id) => {
            let rate = s
                .shipping_options
                .iter()
                .find(|r| &r.id == id)
                .ok_or("the selection is not one of the options")?;
            s.shipping_amount(rate)
                .ok_or("the selected option has no amount in the session currency")?
        }
    };
    let t = &s.totals;
    let sum = |f: fn(&LineTotals) -> i64| s.line_items.iter().map(|l| f(&l.totals)).sum::<i64>();
    if t.amount_subtotal != sum(|l| l.amount_subtotal) {
        return Err("session subtotal is not the sum of lines".into());
    }
    if t.amount_tax != sum(|l| l.amount_tax) {
        return Err("session tax is not the sum of lines".into());
    }
    if t.amount_shipping != shipping {
        return Err("amount_shipping is not the selected option's".into());
    }
    if t.amount_total != t.amount_subtotal - t.amount_discount + shipping + exclusive
        || t.amount_total != sum(|l| l.amount_total) + shipping
    {
        return Err("session total is not subtotal + shipping + exclusive taxes".into());
    }
    if s.metadata.len() > crate::metadata::MAX_KEYS {
        return Err("too many metadata keys".into());
    }
    Ok(())
}

fn start() -> Session {
    let input = NewSession {
        id: "cs_test_props".into(),
        livemode: false,
        mode: Mode::Payment,
        ui_mode: UiMode::HostedPage,
        currency: None,
        line_items: vec![NewLineItem {
            price: prices()[0].clone(),
            quantity: Some(2),
            tax_rates: vec![tax_rates()[0].clone()],
            adjustable_quantity: None,
            metadata: Metadata::new(),
        }],
        shipping_options: vec![shipping_rates()[0].clone()],
        shipping_allowed_countries: None,
        success_url: Some("https://example.com/ok".into()),
        cancel_url: None,
        return_url: None,
        redirect_on_completion: None,
        expires_at: None,
        customer_email: None,
        client_reference_id: None,
        metadata: Metadata::new(),
        locale: None,
        update_shipping_details: None,
        payment_intent_data: PaymentIntentData::default(),
        payment_method_types: Vec::new(),
        billing_address_collection: None,
        submit_type: None,
        client_secret: None,
    };
    let mut n = 0;
    Session::create(input, 1_700_000_000, &mut || {
        n += 1;
        format!("li_{n}")
    })
    .expect("the starting session is valid")
}

/// Apply `ops` one by one; the first broken property, described.
fn run(ops: &[Op]) -> Result<(), String> {
    let mut session = start();
    check_invariants(&session).map_err(|e| format!("at start: {e}"))?;
    let mut next_id = 100;
    for (step, op) in ops.iter().enumerate() {
        let update = to_update(&session, op);
        let expected = expected_lines(&session, &update);
        let result = session.clone().update(update.clone(), &mut || {
            next_id += 1;
            format!("li_{next_id}")
        });
        match result {
            Err(_) => {}
            Ok(_) if must_fail(&session, op) => {
                return Err(format!("step {step} ({op:?}) was accepted"));
            }
            Ok(next) => {
                check_invariants(&next).map_err(|e| format!("step {step} ({op:?}): {e}"))?;
                if let Some(want) = expected {
                    if lines_of(&next) != want {
                        return Err(format!("step {step} ({op:?}): lines are not as sent"));
                    }
                }
                if update.shipping_options.is_some() {
                    let first = update
                        .shipping_options
                        .as_ref()
                        .and_then(|o| o.first())
                        .map(|r| r.id.clone());
                    if next.selected_shipping_rate != first {
                        return Err(format!("step {step}: replace did not select the first"));
                    }
                }
                session = next;
            }
        }
    }
    Ok(())
}

fn prop(ops: Vec<Op>) -> TestResult {
    match run(&ops) {
        Ok(()) => TestResult::passed(),
        Err(e) => TestResult::error(e),
    }
}

#[test]
fn random_update_sequences_keep_totals_and_invariants() {
    QuickCheck::new()
        .tests(1_000)
        .rng(Gen::new(40))
        .quickcheck(prop as fn(Vec<Op>) -> TestResult);
}

#[test]
fn a_long_sequence_keeps_its_invariants() {
    let mut g = Gen::new(200);
    for _ in 0..20 {
        let ops: Vec<Op> = (0..300).map(|_| Op::arbitrary(&mut g)).collect();
        if let Err(e) = run(&ops) {
            panic!("{e}");
        }
    }
}

#[test]
fn errors_leave_the_session_unchanged_and_are_refused() {
    // Arrange: a session with one line.
    let s = start();
    // Act + Assert: each of these must fail.
    for op in [
        Op::UnknownLine,
        Op::RepeatLine(0),
        Op::RemoveLine(0),
        Op::Requantify {
            line: 0,
            quantity: 0,
        },
        Op::AddLine {
            price: 5,
            quantity: 1,
            rates: 0,
        },
        Op::AddLine {
            price: 6,
            quantity: 1,
            rates: 0,
        },
        Op::ReplaceShipping(vec![3]),
        Op::ReplaceShipping(vec![0, 1, 2, 0, 1, 2]),
        // Regression (found by the property above): moving the only line to
        // eur left the usd-only shipping option selected at no cost.
        Op::Reprice { line: 0, price: 5 },
    ] {
        let result = s
            .clone()
            .update(to_update(&s, &op), &mut || "li_new".into());
        assert!(result.is_err(), "{op:?} was accepted");
    }
}
