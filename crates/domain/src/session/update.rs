//! Changing an open session (`POST /v1/checkout/sessions/{id}`): metadata
//! first, then its lines and shipping options, then the rest, with the
//! totals recomputed when the lines or the shipping options changed.

use super::create::{build_line, line_param, session_currency};
use super::*;
use crate::metadata;

impl Session {
    /// Apply an update, consuming the session (the store hands each
    /// attempt a session of its own). On any error the half-changed value
    /// is dropped and nothing is stored.
    pub fn update(
        mut self,
        update: SessionUpdate,
        new_line_id: &mut dyn FnMut() -> String,
    ) -> DomainResult<Session> {
        self.require_open("updated")?;
        let SessionUpdate {
            metadata,
            line_items,
            shipping_options,
            collected_shipping,
            payment_intent_data,
        } = update;
        // Totals follow from the lines and the shipping options alone: an
        // update of neither (metadata, say) leaves them as they are.
        let retotal = line_items.is_some() || shipping_options.is_some();
        self.update_metadata(metadata.as_ref())?;
        if let Some(lines) = line_items {
            if self.mode == Mode::Setup {
                return Err(DomainError::invalid(
                    "line_items",
                    "You cannot update `line_items` on a Checkout Session in `setup` mode.",
                ));
            }
            self.line_items = self.updated_lines(lines, new_line_id)?;
            if self.line_items.is_empty() {
                return Err(DomainError::invalid(
                    "line_items",
                    "A Checkout Session in `payment` or `subscription` mode must have at least one line item.",
                ));
            }
            self.currency = session_currency(None, &self.line_items)?;
            self.check_line_rules()?;
            if shipping_options.is_none() {
                self.check_shipping_currency()?;
            }
        }
        if let Some(options) = shipping_options {
            self.set_shipping_options(options)?;
        }
        self.update_rest(collected_shipping, payment_intent_data)?;
        if retotal {
            self.recompute()?;
        }
        Ok(self)
    }

    /// The new line list from a retransmitted `line_items` array.
    fn updated_lines(
        &self,
        updates: Vec<LineItemUpdate>,
        new_line_id: &mut dyn FnMut() -> String,
    ) -> DomainResult<Vec<LineItem>> {
        let mut seen: Vec<&str> = Vec::new();
        let mut lines = Vec::with_capacity(updates.len());
        for (i, u) in updates.into_iter().enumerate() {
            match u.id {
                Some(id) => {
                    let Some(existing) = self.line_items.iter().find(|l| l.id == id) else {
                        return Err(DomainError::invalid(
                            line_param(i, "id"),
                            format!(
                                "The line item `{id}` does not exist on this Checkout Session."
                            ),
                        ));
                    };
                    if seen.contains(&existing.id.as_str()) {
                        return Err(DomainError::invalid(
                            line_param(i, "id"),
                            format!("The line item `{id}` appears more than once in `line_items`."),
                        ));
                    }
                    seen.push(existing.id.as_str());
                    let metadata = match &u.metadata {
                        Some(patch) => {
                            metadata::apply(&line_param(i, "metadata"), &existing.metadata, patch)?
                        }
                        None => existing.metadata.clone(),
                    };
                    lines.push(build_line(
                        existing.id.clone(),
                        u.price.unwrap_or_else(|| existing.price.clone()),
                        u.quantity.unwrap_or(existing.quantity),
                        u.tax_rates.unwrap_or_else(|| existing.tax_rates.clone()),
                        u.adjustable_quantity
                            .or_else(|| existing.adjustable_quantity.clone()),
                        metadata,
                        i,
                    )?);
                }
                None => {
                    let Some(price) = u.price else {
                        return Err(DomainError::invalid(
                            line_param(i, "price"),
                            format!("Missing required param: line_items[{i}][price]. A new line item needs `price` or `price_data`."),
                        )
                        .with_code("parameter_missing"));
                    };
                    let Some(quantity) = u.quantity else {
                        return Err(DomainError::invalid(
                            line_param(i, "quantity"),
                            format!("Missing required param: line_items[{i}][quantity]."),
                        )
                        .with_code("parameter_missing"));
                    };
                    let metadata = match &u.metadata {
                        Some(patch) => metadata::build(&line_param(i, "metadata"), patch)?,
                        None => Metadata::new(),
                    };
                    lines.push(build_line(
                        new_line_id(),
                        price,
                        quantity,
                        u.tax_rates.unwrap_or_default(),
                        u.adjustable_quantity,
                        metadata,
                        i,
                    )?);
                }
            }
        }
        Ok(lines)
    }

    /// The metadata of an update: applied first, before its lines.
    fn update_metadata(&mut self, patch: Option<&MetadataPatch>) -> DomainResult<()> {
        if let Some(patch) = patch {
            self.metadata = metadata::apply("metadata", &self.metadata, patch)?;
        }
        Ok(())
    }

    /// The rest of an update, applied after its lines and shipping options.
    fn update_rest(
        &mut self,
        collected_shipping: Option<ShippingDetails>,
        payment_intent_data: Option<PaymentIntentDataUpdate>,
    ) -> DomainResult<()> {
        if let Some(details) = collected_shipping {
            if self.ui_mode.is_hosted() {
                return Err(DomainError::invalid(
                    "collected_information",
                    "`collected_information` can only be set on Checkout Sessions with `ui_mode` of `embedded_page`, `elements` or `form`; this session's `ui_mode` is `hosted_page`.",
                ));
            }
            check_country(
                self,
                &details,
                "collected_information[shipping_details][address][country]",
            )?;
            self.collected_shipping = Some(details);
        }
        if let Some(pid) = payment_intent_data {
            if self.mode != Mode::Payment {
                return Err(DomainError::invalid(
                    "payment_intent_data",
                    "You can only update `payment_intent_data` on Checkout Sessions in `payment` mode.",
                ));
            }
            let d = &mut self.payment_intent_data;
            if let Some(v) = pid.description {
                d.description = v;
            }
            if let Some(patch) = &pid.metadata {
                d.metadata = metadata::apply("payment_intent_data[metadata]", &d.metadata, patch)?;
            }
            if let Some(v) = pid.setup_future_usage {
                d.setup_future_usage = v;
            }
            if let Some(v) = pid.statement_descriptor {
                d.statement_descriptor = v;
            }
            if let Some(v) = pid.statement_descriptor_suffix {
                d.statement_descriptor_suffix = v;
            }
        }
        Ok(())
    }

    /// Lines that move the session to another currency must not leave a
    /// shipping option without an amount in it (the selected one would
    /// silently cost nothing). Found by the update property test.
    pub(super) fn check_shipping_currency(&self) -> DomainResult<()> {
        let Some(currency) = self.currency else {
            return Ok(());
        };
        match self
            .shipping_options
            .iter()
            .find(|r| r.amount_in(currency).is_none())
        {
            None => Ok(()),
            Some(rate) => Err(DomainError::invalid(
                "line_items",
                format!(
                    "These line items change the Checkout Session's currency to `{currency}`, but the shipping rate `{}` has no amount in `{currency}`. Send `shipping_options` with an amount in `{currency}` in the same update.",
                    rate.id
                ),
            )),
        }
    }

    /// Replace the shipping options and select the first.
    pub(super) fn set_shipping_options(&mut self, options: Vec<ShippingRate>) -> DomainResult<()> {
        if options.len() > MAX_SHIPPING_OPTIONS {
            return Err(DomainError::invalid(
                "shipping_options",
                format!("You may only specify up to {MAX_SHIPPING_OPTIONS} shipping options, but you passed {}.", options.len()),
            ));
        }
        if !options.is_empty() && self.mode != Mode::Payment {
            return Err(DomainError::invalid(
                "shipping_options",
                "`shipping_options` can only be used in `payment` mode.",
            ));
        }
        if let Some(currency) = self.currency {
            for (i, rate) in options.iter().enumerate() {
                if rate.amount_in(currency).is_none() {
                    return Err(DomainError::invalid(
                        format!("shipping_options[{i}]"),
                        format!(
                            "The shipping rate `{}` has no amount in `{currency}`, the currency of this Checkout Session.",
                            rate.id
                        ),
                    ));
                }
            }
        }
        self.selected_shipping_rate = options.first().map(|r| r.id.clone());
        self.shipping_options = options;
        Ok(())
    }
}

/// Reject a shipping country outside `shipping_address_collection`.
pub(super) fn check_country(
    session: &Session,
    details: &ShippingDetails,
    param: &str,
) -> DomainResult<()> {
    if let (Some(allowed), Some(country)) = (
        &session.shipping_allowed_countries,
        &details.address.country,
    ) {
        if !allowed.iter().any(|c| c == country) {
            return Err(DomainError::invalid(
                param,
                format!(
                    "This Checkout Session does not ship to `{country}`; allowed countries are {}.",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}
