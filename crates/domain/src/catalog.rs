//! The catalog objects a checkout session refers to: products, prices,
//! shipping rates and tax rates.
//!
//! These are the stored shapes; the Stripe dialect renders them with every
//! field of Stripe's schema. A session keeps a *snapshot* of each price, tax
//! rate and shipping rate it uses, as Stripe's line items embed the full
//! price object: later catalog edits (which Stripe limits to metadata, names
//! and `active`) never move a session's totals.

use crate::currency::Currency;
use crate::metadata::Metadata;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `product` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub updated: i64,
    pub active: bool,
    pub name: String,
    pub description: Option<String>,
    pub images: Vec<String>,
    pub marketing_features: Vec<String>,
    pub metadata: Metadata,
    pub package_dimensions: Option<PackageDimensions>,
    pub shippable: Option<bool>,
    pub statement_descriptor: Option<String>,
    pub tax_code: Option<String>,
    pub unit_label: Option<String>,
    pub url: Option<String>,
    pub default_price: Option<String>,
}

/// Physical size of a shippable product (inches and ounces, as Stripe).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageDimensions {
    pub height: Decimal,
    pub length: Decimal,
    pub weight: Decimal,
    pub width: Decimal,
}

/// Whether a price or shipping rate includes tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxBehavior {
    Exclusive,
    Inclusive,
    Unspecified,
}

impl TaxBehavior {
    pub const VALUES: &'static [&'static str] = &["exclusive", "inclusive", "unspecified"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "exclusive" => Some(Self::Exclusive),
            "inclusive" => Some(Self::Inclusive),
            "unspecified" => Some(Self::Unspecified),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Exclusive => "exclusive",
            Self::Inclusive => "inclusive",
            Self::Unspecified => "unspecified",
        }
    }
}

/// Billing interval of a recurring price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Day,
    Week,
    Month,
    Year,
}

impl Interval {
    pub const VALUES: &'static [&'static str] = &["day", "month", "week", "year"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            "year" => Some(Self::Year),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Year => "year",
        }
    }
}

/// `recurring` of a price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recurring {
    pub interval: Interval,
    pub interval_count: i64,
}

/// `price` object. Only `per_unit` billing is supported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub active: bool,
    pub currency: Currency,
    /// Id of the product (for inline `price_data`, the inline product's id).
    pub product: String,
    /// Name of the product at the time the price was made, for line-item
    /// descriptions.
    pub product_name: String,
    /// Amount in minor units; for decimal prices, the exact value.
    pub unit_amount_decimal: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurring: Option<Recurring>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_behavior: Option<TaxBehavior>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lookup_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

impl Price {
    /// `unit_amount` as Stripe renders it: the integer amount when the
    /// decimal amount is whole, else `null`.
    pub fn unit_amount(&self) -> Option<i64> {
        if self.unit_amount_decimal.fract().is_zero() {
            self.unit_amount_decimal.to_i64()
        } else {
            None
        }
    }

    /// Whether the price is charged inclusive of tax.
    pub fn is_tax_inclusive(&self) -> bool {
        self.tax_behavior == Some(TaxBehavior::Inclusive)
    }
}

/// A per-currency amount of a shipping rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrencyOption {
    pub amount: i64,
    pub tax_behavior: TaxBehavior,
}

/// `fixed_amount` of a shipping rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixedAmount {
    pub amount: i64,
    pub currency: Currency,
    pub currency_options: BTreeMap<String, CurrencyOption>,
}

/// Unit of a delivery estimate bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryBound {
    pub unit: String,
    pub value: i64,
}

/// `delivery_estimate` of a shipping rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryEstimate {
    pub minimum: Option<DeliveryBound>,
    pub maximum: Option<DeliveryBound>,
}

/// `shipping_rate` object (type `fixed_amount`, the only type Stripe has).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShippingRate {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub active: bool,
    pub display_name: Option<String>,
    pub fixed_amount: FixedAmount,
    pub delivery_estimate: Option<DeliveryEstimate>,
    pub tax_behavior: Option<TaxBehavior>,
    pub tax_code: Option<String>,
    pub metadata: Metadata,
}

impl ShippingRate {
    /// The amount in `currency`: the base amount, or a `currency_options`
    /// entry; `None` when the rate cannot be charged in that currency.
    pub fn amount_in(&self, currency: Currency) -> Option<i64> {
        if self.fixed_amount.currency == currency {
            Some(self.fixed_amount.amount)
        } else {
            self.fixed_amount
                .currency_options
                .get(currency.as_str())
                .map(|o| o.amount)
        }
    }
}

/// `tax_rate` object (percentage rates; Stripe's flat-amount rates are
/// created only by Stripe itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaxRate {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub active: bool,
    pub display_name: String,
    pub description: Option<String>,
    /// Up to 4 decimal places, 0..=100.
    pub percentage: Decimal,
    pub inclusive: bool,
    pub country: Option<String>,
    pub state: Option<String>,
    pub jurisdiction: Option<String>,
    pub tax_type: Option<String>,
    pub metadata: Metadata,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn price(amount: &str) -> Price {
        Price {
            id: "price_1".into(),
            livemode: false,
            created: 0,
            active: true,
            currency: Currency::parse("usd").unwrap(),
            product: "prod_1".into(),
            product_name: "T-shirt".into(),
            unit_amount_decimal: Decimal::from_str(amount).unwrap(),
            recurring: None,
            tax_behavior: None,
            lookup_key: None,
            nickname: None,
            metadata: Metadata::new(),
        }
    }

    #[test]
    fn unit_amount_is_the_whole_decimal_or_null() {
        assert_eq!(price("1099").unit_amount(), Some(1099));
        assert_eq!(price("1099.000").unit_amount(), Some(1099));
        assert_eq!(price("10.5").unit_amount(), None);
    }
}
