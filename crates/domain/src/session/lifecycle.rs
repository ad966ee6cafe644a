//! The session's state machine after creation: `open` → `expired` (the
//! expire call or the sweeper) or `complete` (a payment), and the shipping
//! choice the hosted page makes on the way.

use super::update::check_country;
use super::*;

impl Session {
    /// Expire an open session (`POST …/expire` or the sweeper).
    pub fn expire(mut self) -> DomainResult<Session> {
        if self.status != Status::Open {
            return Err(DomainError::state(format!(
                "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of `{}`.",
                self.status.as_str()
            )));
        }
        self.status = Status::Expired;
        Ok(self)
    }

    /// Whether the sweeper should expire this session at `now`.
    pub fn is_due(&self, now: i64) -> bool {
        self.status == Status::Open && self.expires_at <= now
    }

    /// Pick one of the session's shipping options (hosted page).
    pub fn select_shipping(&mut self, rate_id: &str) -> DomainResult<()> {
        self.require_open("updated")?;
        if !self.shipping_options.iter().any(|r| r.id == rate_id) {
            return Err(DomainError::invalid(
                "shipping_rate",
                format!("The shipping rate `{rate_id}` is not one of this Checkout Session's shipping options."),
            ));
        }
        self.selected_shipping_rate = Some(rate_id.to_owned());
        self.recompute()
    }

    /// Pay an open session: it becomes `complete`/`paid` with the customer's
    /// details. Paying twice is an error, so a double submit charges once.
    pub fn complete(mut self, payment: Payment) -> DomainResult<Session> {
        self.require_open("completed")?;
        if let Some(rate) = &payment.shipping_rate {
            self.select_shipping(rate)?;
        }
        if let Some(details) = &payment.shipping_details {
            check_country(&self, details, "shipping_details[address][country]")?;
        }
        let email = payment
            .email
            .or_else(|| self.customer_email.clone())
            .unwrap_or_else(|| "test@example.com".to_owned());
        let name = payment
            .name
            .or_else(|| payment.shipping_details.as_ref().map(|d| d.name.clone()));
        self.customer_details = Some(CustomerDetails {
            email: Some(email),
            name,
            phone: None,
            address: payment.shipping_details.as_ref().map(|d| d.address.clone()),
        });
        if payment.shipping_details.is_some() {
            self.collected_shipping = payment.shipping_details;
        }
        match self.mode {
            Mode::Payment => self.payment_intent = Some(payment.intent_id),
            Mode::Setup => self.setup_intent = Some(payment.intent_id),
            Mode::Subscription => self.subscription = Some(payment.intent_id),
        }
        self.status = Status::Complete;
        self.payment_status = if self.mode == Mode::Setup {
            PaymentStatus::NoPaymentRequired
        } else {
            PaymentStatus::Paid
        };
        Ok(self)
    }
}
