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

mod create;
mod lifecycle;
mod update;

use crate::catalog::{Price, ShippingRate, TaxRate};
use crate::currency::Currency;
use crate::error::{DomainError, DomainResult};
use crate::metadata::{Metadata, MetadataPatch};
use crate::totals::{LineTotals, SessionTotals};
use serde::{Deserialize, Serialize};

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

/// A session as stored.
///
/// The stored JSON leaves out what is absent (`None`, empty lists and
/// maps), and reads it back as absent; documents written with every key
/// read the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line_items: Vec<LineItem>,
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

impl Session {
    pub(crate) fn require_open(&self, verb: &str) -> DomainResult<()> {
        if self.status == Status::Open {
            Ok(())
        } else {
            Err(DomainError::state(format!(
                "This Checkout Session is no longer open (status: {}). Only open Checkout Sessions can be {verb}.",
                self.status.as_str()
            )))
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

#[cfg(test)]
#[path = "props.rs"]
mod props;

#[cfg(test)]
mod stored_form {
    use super::*;

    /// A session as first stored, with every key.
    const WITH_EVERY_KEY: &str = include_str!("../fixtures/stored_session_v1.json");

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
}
