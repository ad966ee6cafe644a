//! The checkout session: its state, the rules of create and update, and its
//! state machine (`open` → `complete` | `expired`).
//!
//! The HTTP dialect parses its wire format and resolves ids (prices, tax and
//! shipping rates) into catalog snapshots; everything that decides whether a
//! session may be built or changed, and what its totals are, is here. Ids of
//! new line items come from a caller-supplied generator and `now` is passed
//! in, so every function is deterministic.
//!
//! Choices where Stripe's behaviour is undocumented (written here and in the
//! README):
//! - Updating a session that is not `open` answers
//!   `This Checkout Session is no longer open (status: expired). Only open
//!   Checkout Sessions can be updated.` (400, `invalid_request_error`).
//! - Replacing `shipping_options` selects the first new option; clearing
//!   them gives `shipping_cost: null` and no shipping in the totals.
//! - `line_items` and `shipping_options` may be updated on every `ui_mode`
//!   (the hosted page always renders the current state); only
//!   `collected_information` is limited to `embedded_page`/`elements`/`form`.

use crate::catalog::{Price, ShippingRate, TaxRate};
use crate::currency::Currency;
use crate::error::{DomainError, DomainResult};
use crate::lines::{LineList, StoredLines};
use crate::metadata::{self, Metadata, MetadataPatch};
use crate::totals::{self, LineTotals, SessionTotals};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Least and most time from creation to `expires_at` (30 min, 24 h).
pub const MIN_LIFETIME: i64 = 30 * 60;
pub const MAX_LIFETIME: i64 = 24 * 60 * 60;
/// Most shipping options on one session.
pub const MAX_SHIPPING_OPTIONS: usize = 5;
/// Most line items in payment mode, and of each kind in subscription mode.
pub const MAX_LINE_ITEMS: usize = 100;
pub const MAX_SUBSCRIPTION_ITEMS_PER_KIND: usize = 20;

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }
        impl $name {
            /// Wire names, in the order Stripe lists them in errors.
            pub const VALUES: &'static [&'static str] = &[$($wire),+];
            pub fn as_str(&self) -> &'static str {
                match self { $(Self::$variant => $wire),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

wire_enum!(
    /// `mode` of a session.
    Mode { Payment => "payment", Setup => "setup", Subscription => "subscription" }
);
wire_enum!(
    /// `status` of a session.
    Status { Complete => "complete", Expired => "expired", Open => "open" }
);
wire_enum!(
    /// `payment_status` of a session.
    PaymentStatus { NoPaymentRequired => "no_payment_required", Paid => "paid", Unpaid => "unpaid" }
);
wire_enum!(
    /// `ui_mode` of a session (endive names).
    UiMode { Elements => "elements", EmbeddedPage => "embedded_page", Form => "form", HostedPage => "hosted_page" }
);

impl UiMode {
    /// Parse a current name or one of the pre-2026 aliases.
    pub fn parse_with_aliases(s: &str) -> Option<Self> {
        match s {
            "hosted" => Some(Self::HostedPage),
            "embedded" => Some(Self::EmbeddedPage),
            "custom" => Some(Self::Elements),
            other => Self::parse(other),
        }
    }

    /// Whether the customer pays on checkoutd's hosted page (`url` set).
    pub fn is_hosted(&self) -> bool {
        *self == Self::HostedPage
    }
}

/// A postal address; every field optional as in Stripe's `address`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub city: Option<String>,
    pub country: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub state: Option<String>,
}

/// Name and address to ship to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingDetails {
    pub name: String,
    pub address: Address,
}

/// What the customer entered when paying.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDetails {
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<Address>,
}

/// `adjustable_quantity` of a line item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustableQuantity {
    pub enabled: bool,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
}

/// `payment_intent_data` kept from create and update (endive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentIntentData {
    pub description: Option<String>,
    pub metadata: Metadata,
    pub setup_future_usage: Option<String>,
    pub statement_descriptor: Option<String>,
    pub statement_descriptor_suffix: Option<String>,
}

impl PaymentIntentData {
    /// Whether nothing was given (the stored form then leaves it out).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One line of the cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineItem {
    pub id: String,
    pub price: Price,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_rates: Vec<TaxRate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjustable_quantity: Option<AdjustableQuantity>,
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    pub totals: LineTotals,
}

/// A line as given on create, or a new line on update (ids resolved).
#[derive(Debug, Clone)]
pub struct NewLineItem {
    pub price: Price,
    pub quantity: Option<i64>,
    pub tax_rates: Vec<TaxRate>,
    pub adjustable_quantity: Option<AdjustableQuantity>,
    pub metadata: Metadata,
}

/// One entry of `line_items` on update.
#[derive(Debug, Clone, Default)]
pub struct LineItemUpdate {
    /// Keep (and change) the existing line with this id; `None` adds a line.
    pub id: Option<String>,
    pub price: Option<Price>,
    pub quantity: Option<i64>,
    /// `Some(vec![])` clears the rates (`tax_rates=`).
    pub tax_rates: Option<Vec<TaxRate>>,
    pub adjustable_quantity: Option<AdjustableQuantity>,
    pub metadata: Option<MetadataPatch>,
}

/// Everything needed to create a session, with ids already resolved.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: String,
    pub livemode: bool,
    pub mode: Mode,
    pub ui_mode: UiMode,
    pub currency: Option<Currency>,
    pub line_items: Vec<NewLineItem>,
    pub shipping_options: Vec<ShippingRate>,
    pub shipping_allowed_countries: Option<Vec<String>>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub return_url: Option<String>,
    pub redirect_on_completion: Option<String>,
    pub expires_at: Option<i64>,
    pub customer_email: Option<String>,
    pub client_reference_id: Option<String>,
    pub metadata: Metadata,
    pub locale: Option<String>,
    pub update_shipping_details: Option<String>,
    pub payment_intent_data: PaymentIntentData,
    pub payment_method_types: Vec<String>,
    pub billing_address_collection: Option<String>,
    pub submit_type: Option<String>,
    pub client_secret: Option<String>,
}

fn no_lines<L: LineList>(lines: &L) -> bool {
    lines.no_lines()
}

/// A session as stored.
///
/// Generic over how it holds its lines (see [`crate::lines`]): `Session`
/// has them decoded; `Session<StoredLines>` still has the JSON they were
/// stored as, for the updates and renderings that never read them.
///
/// The stored JSON leaves out what is absent (`None`, empty lists and
/// maps), and reads it back as absent; documents written with every key
/// (before session 8) read the same. Absent keys are the cheapest to write:
/// encoding the stored JSON was a sixth of a metadata update's instructions
/// (callgrind), most of it spent per key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "L: Serialize + LineList",
    deserialize = "L: Deserialize<'de> + Default"
))]
pub struct Session<L = Arc<Vec<LineItem>>> {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub expires_at: i64,
    pub mode: Mode,
    pub ui_mode: UiMode,
    pub status: Status,
    pub payment_status: PaymentStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Decoded, the lines are shared (`Arc`), so that a change of anything
    /// else keeps the very same lines: the server reuses their stored JSON
    /// while the pointer is the one it encoded (its `http::stripe::hot`).
    /// Changing a line goes through `Arc::make_mut`, which makes a new one
    /// whenever another holder exists. As `StoredLines`, they are that JSON.
    #[serde(default, skip_serializing_if = "no_lines")]
    pub line_items: L,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipping_options: Vec<ShippingRate>,
    /// Id of the selected shipping rate (the first option until the
    /// customer picks another).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_shipping_rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_allowed_countries: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_on_completion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_reference_id: Option<String>,
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_shipping_details: Option<String>,
    #[serde(default, skip_serializing_if = "PaymentIntentData::is_empty")]
    pub payment_intent_data: PaymentIntentData,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_method_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address_collection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submit_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected_shipping: Option<ShippingDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_details: Option<CustomerDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_intent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<String>,
    pub totals: SessionTotals,
}

/// A change to an open session (`POST /v1/checkout/sessions/{id}`).
#[derive(Debug, Clone, Default)]
pub struct SessionUpdate {
    pub metadata: Option<MetadataPatch>,
    pub line_items: Option<Vec<LineItemUpdate>>,
    /// `Some(vec![])` clears the options (`shipping_options=`).
    pub shipping_options: Option<Vec<ShippingRate>>,
    pub collected_shipping: Option<ShippingDetails>,
    pub payment_intent_data: Option<PaymentIntentDataUpdate>,
}

/// The part of a [`SessionUpdate`] that leaves the lines and the shipping
/// options, and so the totals, as they are: all a metadata update is.
#[derive(Debug, Clone, Default)]
pub struct FieldsUpdate {
    pub metadata: Option<MetadataPatch>,
    pub collected_shipping: Option<ShippingDetails>,
    pub payment_intent_data: Option<PaymentIntentDataUpdate>,
}

impl SessionUpdate {
    /// The update as a [`FieldsUpdate`] when it changes neither the lines
    /// nor the shipping options; else the update back, boxed so that the
    /// result stays as small as its usual case.
    pub fn fields_only(self) -> Result<FieldsUpdate, Box<SessionUpdate>> {
        if self.line_items.is_some() || self.shipping_options.is_some() {
            return Err(Box::new(self));
        }
        Ok(self.split().2)
    }

    fn split(
        self,
    ) -> (
        Option<Vec<LineItemUpdate>>,
        Option<Vec<ShippingRate>>,
        FieldsUpdate,
    ) {
        let fields = FieldsUpdate {
            metadata: self.metadata,
            collected_shipping: self.collected_shipping,
            payment_intent_data: self.payment_intent_data,
        };
        (self.line_items, self.shipping_options, fields)
    }
}

/// `payment_intent_data` on update: each field `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct PaymentIntentDataUpdate {
    pub description: Option<Option<String>>,
    pub metadata: Option<MetadataPatch>,
    pub setup_future_usage: Option<Option<String>>,
    pub statement_descriptor: Option<Option<String>>,
    pub statement_descriptor_suffix: Option<Option<String>>,
}

/// What paying the session supplied (hosted page or test helper).
#[derive(Debug, Clone, Default)]
pub struct Payment {
    pub email: Option<String>,
    pub name: Option<String>,
    pub shipping_rate: Option<String>,
    pub shipping_details: Option<ShippingDetails>,
    /// Id of the payment or setup intent the payment produced.
    pub intent_id: String,
}

fn line_param(index: usize, field: &str) -> String {
    if field.is_empty() {
        format!("line_items[{index}]")
    } else {
        format!("line_items[{index}][{field}]")
    }
}

/// What needs none of the lines: it works on a `Session` and on a
/// `Session<StoredLines>` alike.
impl<L> Session<L> {
    fn require_open(&self, verb: &str) -> DomainResult<()> {
        if self.status == Status::Open {
            Ok(())
        } else {
            Err(DomainError::state(format!(
                "This Checkout Session is no longer open (status: {}). Only open Checkout Sessions can be {verb}.",
                self.status.as_str()
            )))
        }
    }

    /// [`Session::update`] of a session whose lines are left as stored:
    /// an update that keeps them (and the shipping options) needs neither
    /// them nor new totals.
    pub fn update_fields(mut self, fields: FieldsUpdate) -> DomainResult<Self> {
        self.require_open("updated")?;
        self.update_metadata(&fields)?;
        self.update_rest(fields)?;
        Ok(self)
    }

    /// The metadata of an update: applied first, before its lines.
    fn update_metadata(&mut self, fields: &FieldsUpdate) -> DomainResult<()> {
        if let Some(patch) = &fields.metadata {
            self.metadata = metadata::apply("metadata", &self.metadata, patch)?;
        }
        Ok(())
    }

    /// The rest of an update, applied after its lines and shipping options.
    fn update_rest(&mut self, fields: FieldsUpdate) -> DomainResult<()> {
        if let Some(details) = fields.collected_shipping {
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
        if let Some(pid) = fields.payment_intent_data {
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

    /// The same session holding `lines` instead.
    pub fn with_lines<M>(self, lines: M) -> Session<M> {
        Session {
            id: self.id,
            livemode: self.livemode,
            created: self.created,
            expires_at: self.expires_at,
            mode: self.mode,
            ui_mode: self.ui_mode,
            status: self.status,
            payment_status: self.payment_status,
            currency: self.currency,
            line_items: lines,
            shipping_options: self.shipping_options,
            selected_shipping_rate: self.selected_shipping_rate,
            shipping_allowed_countries: self.shipping_allowed_countries,
            success_url: self.success_url,
            cancel_url: self.cancel_url,
            return_url: self.return_url,
            redirect_on_completion: self.redirect_on_completion,
            customer_email: self.customer_email,
            client_reference_id: self.client_reference_id,
            metadata: self.metadata,
            locale: self.locale,
            update_shipping_details: self.update_shipping_details,
            payment_intent_data: self.payment_intent_data,
            payment_method_types: self.payment_method_types,
            billing_address_collection: self.billing_address_collection,
            submit_type: self.submit_type,
            client_secret: self.client_secret,
            collected_shipping: self.collected_shipping,
            customer_details: self.customer_details,
            payment_intent: self.payment_intent,
            setup_intent: self.setup_intent,
            subscription: self.subscription,
            totals: self.totals,
        }
    }

    /// The selected shipping rate, if any.
    pub fn selected_rate(&self) -> Option<&ShippingRate> {
        let id = self.selected_shipping_rate.as_deref()?;
        self.shipping_options.iter().find(|r| r.id == id)
    }

    /// Amount of a shipping rate in this session's currency.
    pub fn shipping_amount(&self, rate: &ShippingRate) -> Option<i64> {
        self.currency.and_then(|c| rate.amount_in(c))
    }
}

impl Session<StoredLines> {
    /// The session with its lines decoded.
    pub fn decode_lines(self) -> serde_json::Result<Session> {
        let lines = self.line_items.decoded()?;
        Ok(self.with_lines(lines))
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
            line_items: Arc::new(lines),
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
            // Lines whose totals stand stay the very same `Arc`.
            if totals != line.totals {
                Arc::make_mut(&mut self.line_items)[i].totals = totals;
            }
        }
        let shipping = self.selected_rate().and_then(|r| self.shipping_amount(r));
        let refs: Vec<&LineTotals> = self.line_items.iter().map(|l| &l.totals).collect();
        self.totals = totals::session_totals(&refs, shipping)?;
        Ok(())
    }

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

    /// Apply an update, consuming the session: the store hands each
    /// attempt a session of its own, so a clone per update (a twentieth of
    /// a metadata update's instructions) bought nothing. On any error the
    /// half-changed value is dropped and nothing is stored.
    pub fn update(
        mut self,
        update: SessionUpdate,
        new_line_id: &mut dyn FnMut() -> String,
    ) -> DomainResult<Session> {
        self.require_open("updated")?;
        let (line_items, shipping_options, fields) = update.split();
        // Totals follow from the lines and the shipping options alone: an
        // update of neither (metadata, say) leaves them as they are.
        let retotal = line_items.is_some() || shipping_options.is_some();
        self.update_metadata(&fields)?;
        if let Some(lines) = line_items {
            if self.mode == Mode::Setup {
                return Err(DomainError::invalid(
                    "line_items",
                    "You cannot update `line_items` on a Checkout Session in `setup` mode.",
                ));
            }
            self.line_items = Arc::new(self.updated_lines(lines, new_line_id)?);
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
        self.update_rest(fields)?;
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

    /// Rules on the set of lines: count limits and recurring prices by mode.
    fn check_line_rules(&self) -> DomainResult<()> {
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

    /// Lines that move the session to another currency must not leave a
    /// shipping option without an amount in it (the selected one would
    /// silently cost nothing). Found by the update property test.
    fn check_shipping_currency(&self) -> DomainResult<()> {
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
    fn set_shipping_options(&mut self, options: Vec<ShippingRate>) -> DomainResult<()> {
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
fn check_country<L>(
    session: &Session<L>,
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
fn session_currency(
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

fn line_totals_of(
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

fn build_line(
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

#[cfg(test)]
#[path = "session_props.rs"]
mod props;

#[cfg(test)]
mod stored_form {
    use super::*;

    /// A session as stored before session 8, with every key.
    const WITH_EVERY_KEY: &str = include_str!("fixtures/stored_session_v1.json");

    #[test]
    fn absent_fields_are_left_out_and_documents_with_every_key_still_read() {
        let old: Session = serde_json::from_str(WITH_EVERY_KEY).unwrap();
        assert_eq!(old.line_items.len(), 2);
        assert_eq!(
            old.metadata.get("order_id").map(String::as_str),
            Some("222165")
        );
        let text = serde_json::to_string(&old).unwrap();
        for absent in ["null", "[]", "{}", "payment_intent_data", "tax_rates"] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        assert!(text.len() < WITH_EVERY_KEY.len() * 2 / 3, "{text}");
        assert_eq!(serde_json::from_str::<Session>(&text).unwrap(), old);
    }

    fn fields() -> FieldsUpdate {
        FieldsUpdate {
            metadata: Some(MetadataPatch::Merge(vec![
                ("order_id".into(), None),
                ("k".into(), Some("v".into())),
            ])),
            payment_intent_data: Some(PaymentIntentDataUpdate {
                description: Some(Some("A T-shirt and a mug".into())),
                ..PaymentIntentDataUpdate::default()
            }),
            ..FieldsUpdate::default()
        }
    }

    /// The same update through [`Session::update`] (lines decoded) and
    /// [`Session::update_fields`] (lines left as stored JSON) gives the same
    /// session, and the stored text of the lines comes through untouched.
    #[test]
    fn an_update_of_other_fields_leaves_the_stored_lines_as_they_were() {
        let decoded: Session = serde_json::from_str(WITH_EVERY_KEY).unwrap();
        let stored: Session<StoredLines> = serde_json::from_str(WITH_EVERY_KEY).unwrap();
        let start = WITH_EVERY_KEY.find("\"line_items\":").unwrap() + "\"line_items\":".len();
        let end = WITH_EVERY_KEY.find(",\"shipping_options\"").unwrap();
        let text = stored.line_items.json().map(|j| j.to_string());
        assert_eq!(text.as_deref(), Some(&WITH_EVERY_KEY[start..end]));

        let update = SessionUpdate {
            metadata: fields().metadata,
            payment_intent_data: fields().payment_intent_data,
            ..SessionUpdate::default()
        };
        let expected = decoded.update(update, &mut || unreachable!()).unwrap();
        let changed = stored.update_fields(fields()).unwrap();
        assert_eq!(changed.line_items.json().map(|j| j.to_string()), text);
        assert_eq!(changed.clone().decode_lines().unwrap(), expected);
        // Serialised (through the decoded lines) and read back.
        let json = serde_json::to_string(&changed).unwrap();
        assert_eq!(serde_json::from_str::<Session>(&json).unwrap(), expected);
    }

    /// The lines are not even parsed as line items: lines that would not
    /// decode go through an update of the other fields, which refuses what
    /// `update` refuses.
    #[test]
    fn stored_lines_are_decoded_only_when_asked_for() {
        let bogus = WITH_EVERY_KEY.replacen("\"quantity\":1,", "\"quantity\":\"one\",", 1);
        let stored: Session<StoredLines> = serde_json::from_str(&bogus).unwrap();
        assert!(serde_json::from_str::<Session>(&bogus).is_err());
        let changed = stored.update_fields(fields()).unwrap();
        assert!(changed
            .line_items
            .json()
            .unwrap()
            .contains("\"quantity\":\"one\""));
        assert!(changed.clone().decode_lines().is_err());

        let mut expired: Session<StoredLines> = serde_json::from_str(WITH_EVERY_KEY).unwrap();
        expired.status = Status::Expired;
        let mut decoded: Session = serde_json::from_str(WITH_EVERY_KEY).unwrap();
        decoded.status = Status::Expired;
        let update = SessionUpdate {
            metadata: fields().metadata,
            ..SessionUpdate::default()
        };
        let refused = decoded.update(update, &mut || unreachable!()).unwrap_err();
        assert_eq!(expired.update_fields(fields()).unwrap_err(), refused);
    }

    #[test]
    fn only_updates_of_neither_lines_nor_shipping_options_are_fields_only() {
        let metadata = SessionUpdate {
            metadata: fields().metadata,
            ..SessionUpdate::default()
        };
        assert!(metadata.fields_only().is_ok());
        let lines = SessionUpdate {
            line_items: Some(Vec::new()),
            ..SessionUpdate::default()
        };
        assert!(lines.fields_only().is_err());
        let shipping = SessionUpdate {
            shipping_options: Some(Vec::new()),
            ..SessionUpdate::default()
        };
        assert!(shipping.fields_only().is_err());
    }
}
