//! Building a new session: the rules Stripe states in prose for a create,
//! the lines' snapshots and totals, and the session's currency.

use super::*;
use crate::totals;

pub(super) fn line_param(index: usize, field: &str) -> String {
    if field.is_empty() {
        format!("line_items[{index}]")
    } else {
        format!("line_items[{index}][{field}]")
    }
}

impl Session {
    /// Build a new open session, enforcing the rules Stripe states in prose.
    pub fn create(
        input: NewSession,
        now: i64,
        new_line_id: &mut dyn FnMut() -> String,
    ) -> DomainResult<Session> {
        check_urls(&input)?;
        let expires_at = match input.expires_at {
            None => now + MAX_LIFETIME,
            Some(at) if at < now + MIN_LIFETIME => {
                return Err(DomainError::invalid(
                    "expires_at",
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                ))
            }
            Some(at) if at > now + MAX_LIFETIME => {
                return Err(DomainError::invalid(
                    "expires_at",
                    "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                ))
            }
            Some(at) => at,
        };
        if input.mode != Mode::Setup && input.line_items.is_empty() {
            return Err(DomainError::invalid(
                "line_items",
                format!(
                    "`line_items` is required in `{}` mode.",
                    input.mode.as_str()
                ),
            )
            .with_code("parameter_missing"));
        }
        if input.mode == Mode::Setup && !input.line_items.is_empty() {
            return Err(DomainError::invalid(
                "line_items",
                "You cannot pass `line_items` in `setup` mode.",
            ));
        }
        if input.mode == Mode::Setup
            && input.currency.is_none()
            && input.payment_method_types.is_empty()
        {
            return Err(DomainError::invalid(
                "currency",
                "Missing required param: currency. `currency` is required in `setup` mode when `payment_method_types` is not set.",
            )
            .with_code("parameter_missing"));
        }
        if input.mode != Mode::Payment && !input.shipping_options.is_empty() {
            return Err(DomainError::invalid(
                "shipping_options",
                "`shipping_options` can only be used in `payment` mode.",
            ));
        }
        let mut lines = Vec::with_capacity(input.line_items.len());
        for (i, new) in input.line_items.into_iter().enumerate() {
            let quantity = new.quantity.ok_or_else(|| {
                DomainError::invalid(
                    line_param(i, "quantity"),
                    format!("Missing required param: line_items[{i}][quantity]."),
                )
                .with_code("parameter_missing")
            })?;
            lines.push(build_line(
                new_line_id(),
                new.price,
                quantity,
                new.tax_rates,
                new.adjustable_quantity,
                new.metadata,
                i,
            )?);
        }
        let currency = session_currency(input.currency, &lines)?;
        let mut session = Session {
            id: input.id,
            livemode: input.livemode,
            created: now,
            expires_at,
            mode: input.mode,
            ui_mode: input.ui_mode,
            status: Status::Open,
            payment_status: if input.mode == Mode::Setup {
                PaymentStatus::NoPaymentRequired
            } else {
                PaymentStatus::Unpaid
            },
            currency,
            line_items: lines,
            shipping_options: Vec::new(),
            selected_shipping_rate: None,
            shipping_allowed_countries: input.shipping_allowed_countries,
            success_url: input.success_url,
            cancel_url: input.cancel_url,
            return_url: input.return_url,
            redirect_on_completion: input.redirect_on_completion,
            customer_email: input.customer_email,
            client_reference_id: input.client_reference_id,
            metadata: input.metadata,
            locale: input.locale,
            update_shipping_details: input.update_shipping_details,
            payment_intent_data: input.payment_intent_data,
            payment_method_types: input.payment_method_types,
            billing_address_collection: input.billing_address_collection,
            submit_type: input.submit_type,
            client_secret: if input.ui_mode.is_hosted() {
                None
            } else {
                input.client_secret
            },
            collected_shipping: None,
            customer_details: None,
            payment_intent: None,
            setup_intent: None,
            subscription: None,
            totals: SessionTotals::default(),
        };
        session.check_line_rules()?;
        session.set_shipping_options(input.shipping_options)?;
        session.recompute()?;
        Ok(session)
    }

    /// Recompute line and session totals from the current state.
    pub fn recompute(&mut self) -> DomainResult<()> {
        for i in 0..self.line_items.len() {
            let line = &self.line_items[i];
            let totals = line_totals_of(&line.price, line.quantity, &line.tax_rates, i)?;
            self.line_items[i].totals = totals;
        }
        let shipping = self.selected_rate().and_then(|r| self.shipping_amount(r));
        let refs: Vec<&LineTotals> = self.line_items.iter().map(|l| &l.totals).collect();
        self.totals = totals::session_totals(&refs, shipping)?;
        Ok(())
    }

    /// Rules on the set of lines: count limits and recurring prices by mode.
    pub(super) fn check_line_rules(&self) -> DomainResult<()> {
        let recurring = self
            .line_items
            .iter()
            .filter(|l| l.price.recurring.is_some())
            .count();
        let one_time = self.line_items.len() - recurring;
        match self.mode {
            Mode::Payment | Mode::Setup => {
                if let Some(i) = self
                    .line_items
                    .iter()
                    .position(|l| l.price.recurring.is_some())
                {
                    return Err(DomainError::invalid(
                        line_param(i, "price"),
                        "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.",
                    ));
                }
                if self.line_items.len() > MAX_LINE_ITEMS {
                    return Err(DomainError::invalid(
                        "line_items",
                        format!("You may only specify up to {MAX_LINE_ITEMS} line items in `payment` mode, but you passed {}.", self.line_items.len()),
                    ));
                }
            }
            Mode::Subscription => {
                if recurring == 0 {
                    return Err(DomainError::invalid(
                        "line_items",
                        "You must provide at least one recurring price in `subscription` mode when using prices.",
                    ));
                }
                if recurring > MAX_SUBSCRIPTION_ITEMS_PER_KIND
                    || one_time > MAX_SUBSCRIPTION_ITEMS_PER_KIND
                {
                    return Err(DomainError::invalid(
                        "line_items",
                        format!("In `subscription` mode you may specify up to {MAX_SUBSCRIPTION_ITEMS_PER_KIND} line items with recurring prices and {MAX_SUBSCRIPTION_ITEMS_PER_KIND} with one-time prices."),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn check_urls(input: &NewSession) -> DomainResult<()> {
    let embedded = !input.ui_mode.is_hosted();
    let ui = input.ui_mode.as_str();
    if embedded {
        for (name, value) in [
            ("success_url", &input.success_url),
            ("cancel_url", &input.cancel_url),
        ] {
            if value.is_some() {
                return Err(DomainError::invalid(
                    name,
                    format!("`{name}` is not allowed when `ui_mode` is `{ui}`."),
                ));
            }
        }
        let redirects = input.redirect_on_completion.as_deref() != Some("never");
        if redirects && input.return_url.is_none() && input.ui_mode == UiMode::EmbeddedPage {
            return Err(DomainError::invalid(
                "return_url",
                format!("Missing required param: return_url. `return_url` is required when `ui_mode` is `{ui}` unless `redirect_on_completion` is `never`."),
            )
            .with_code("parameter_missing"));
        }
    } else {
        if input.return_url.is_some() {
            return Err(DomainError::invalid(
                "return_url",
                "`return_url` is only allowed when `ui_mode` is `embedded_page`, `elements` or `form`.",
            ));
        }
        if input.redirect_on_completion.is_some() {
            return Err(DomainError::invalid(
                "redirect_on_completion",
                "`redirect_on_completion` is only allowed when `ui_mode` is `embedded_page`.",
            ));
        }
    }
    Ok(())
}

/// The session currency: the one all lines share, which must match an
/// explicit `currency`.
pub(super) fn session_currency(
    explicit: Option<Currency>,
    lines: &[LineItem],
) -> DomainResult<Option<Currency>> {
    let mut currency = explicit;
    for (i, line) in lines.iter().enumerate() {
        match currency {
            None => currency = Some(line.price.currency),
            Some(c) if c != line.price.currency => {
                return Err(DomainError::invalid(
                    line_param(i, "price"),
                    format!(
                        "All line items must use the same currency. `line_items[{i}]` uses `{}` but the Checkout Session uses `{c}`.",
                        line.price.currency
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(currency)
}

pub(super) fn line_totals_of(
    price: &Price,
    quantity: i64,
    rates: &[TaxRate],
    i: usize,
) -> DomainResult<LineTotals> {
    let unit = price.unit_amount().ok_or_else(|| {
        DomainError::invalid(
            line_param(i, "price"),
            format!(
                "Checkout does not currently support {} prices with fractional minor units in `line_items[{i}]`. You passed `{}`.",
                price.currency, price.unit_amount_decimal
            ),
        )
    })?;
    // Named here, on failure only (see `totals::line_totals`).
    totals::line_totals(unit, quantity, rates).map_err(|mut e| {
        e.param = Some(line_param(i, ""));
        e
    })
}

pub(super) fn build_line(
    id: String,
    price: Price,
    quantity: i64,
    tax_rates: Vec<TaxRate>,
    adjustable_quantity: Option<AdjustableQuantity>,
    metadata: Metadata,
    i: usize,
) -> DomainResult<LineItem> {
    if quantity < 0 || (quantity == 0 && adjustable_quantity.as_ref().is_none_or(|a| !a.enabled)) {
        return Err(DomainError::invalid(
            line_param(i, "quantity"),
            "Quantity must be greater than 0.",
        ));
    }
    if quantity > 999_999 {
        return Err(DomainError::invalid(
            line_param(i, "quantity"),
            "Quantity must be at most 999999.",
        ));
    }
    if let Some(adj) = &adjustable_quantity {
        let min = adj.minimum.unwrap_or(0);
        let max = adj.maximum.unwrap_or(99);
        if min < 0 || max > 999_999 || min > max {
            return Err(DomainError::invalid(
                line_param(i, "adjustable_quantity"),
                "`adjustable_quantity` needs 0 <= minimum <= maximum <= 999999.",
            ));
        }
        if adj.enabled && (quantity < min || quantity > max) {
            return Err(DomainError::invalid(
                line_param(i, "quantity"),
                format!("Quantity {quantity} is outside the adjustable range {min}..={max}."),
            ));
        }
    }
    for (r, rate) in tax_rates.iter().enumerate() {
        if tax_rates[..r].iter().any(|o| o.id == rate.id) {
            return Err(DomainError::invalid(
                format!("line_items[{i}][tax_rates]"),
                format!("The tax rate `{}` is given more than once.", rate.id),
            ));
        }
    }
    let totals = line_totals_of(&price, quantity, &tax_rates, i)?;
    Ok(LineItem {
        id,
        price,
        quantity,
        tax_rates,
        adjustable_quantity,
        metadata,
        totals,
    })
}
