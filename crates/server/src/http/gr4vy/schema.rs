//! The request body of create and update (`CheckoutSessionUpdate`, which the
//! SDKs call `CheckoutSessionCreate`) as data: every object, field, limit,
//! pattern and enum of `reference/gr4vy/README.md` §3, in the spec's order.
//!
//! Gr4vy's API is FastAPI over Pydantic, which reports every offending field
//! at once; a table walked by [`super::validate`] does the same, where serde
//! derives would stop at the first error. A module test checks the table
//! against the published OpenAPI document field by field, so a typo in a
//! limit fails the build's tests rather than a customer's request.

/// What a field holds. Every field but the required ones also accepts `null`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ty {
    /// A string of `min..=max` characters (Unicode scalar values).
    Str {
        min: usize,
        max: Option<usize>,
    },
    /// A string matching one of the spec's few patterns.
    Pattern(Pattern),
    /// An integer in `min..=max`; `min` is exclusive when `exclusive_min`.
    Int {
        min: i64,
        exclusive_min: bool,
        max: i64,
    },
    /// Any JSON number in `min..=max`.
    Number {
        min: f64,
        max: f64,
    },
    Bool,
    /// One of the listed strings. `literal` marks an inline enum (Pydantic
    /// `Literal`, error type `literal_error`) as against an enum class
    /// (error type `enum`).
    Enum {
        values: &'static [&'static str],
        literal: bool,
    },
    /// RFC 3339 / ISO 8601 date-time (`format: date-time`).
    DateTime,
    /// `YYYY-MM-DD` (`format: date`).
    Date,
    /// A UUID (`format: uuid`), normalised to lower-case hyphenated form.
    Uuid,
    /// A list, at most `max_items` long.
    Array {
        item: &'static Ty,
        max_items: Option<usize>,
    },
    /// A nested object.
    Object(&'static Schema),
    /// `map<string, string>`.
    StrMap,
}

/// The patterns the spec uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// `^[A-Z]{2}$`
    Country,
    /// `^[A-Z]{3}$`
    Currency,
    /// `^\+[1-9]\d{1,14}$` (E.164)
    Phone,
    /// `^[A-Z]{2}-[A-Z0-9]{1,3}$` (ISO 3166-2)
    StateCode,
}

impl Pattern {
    /// The regular expression as the spec writes it (for messages).
    pub fn regex(self) -> &'static str {
        match self {
            Pattern::Country => "^[A-Z]{2}$",
            Pattern::Currency => "^[A-Z]{3}$",
            Pattern::Phone => r"^\+[1-9]\d{1,14}$",
            Pattern::StateCode => "^[A-Z]{2}-[A-Z0-9]{1,3}$",
        }
    }

    /// Whether `s` matches.
    pub fn matches(self, s: &str) -> bool {
        let b = s.as_bytes();
        let upper = |c: &u8| c.is_ascii_uppercase();
        match self {
            Pattern::Country => b.len() == 2 && b.iter().all(upper),
            Pattern::Currency => b.len() == 3 && b.iter().all(upper),
            Pattern::Phone => {
                (3..=16).contains(&b.len())
                    && b[0] == b'+'
                    && (b'1'..=b'9').contains(&b[1])
                    && b[2..].iter().all(u8::is_ascii_digit)
            }
            Pattern::StateCode => {
                (4..=6).contains(&b.len())
                    && b[..2].iter().all(upper)
                    && b[2] == b'-'
                    && b[3..]
                        .iter()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            }
        }
    }
}

/// A value filled in when a field is absent (Pydantic defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldDefault {
    Int(i64),
    Str(&'static str),
}

/// One property of an object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    /// `T | null`.
    pub nullable: bool,
    pub default: Option<FieldDefault>,
}

/// An object with `additionalProperties: false`.
#[derive(Debug, PartialEq)]
pub struct Schema {
    /// The spec's schema name (used in Pydantic's `model_type` message).
    pub name: &'static str,
    pub fields: &'static [Field],
}

const MONEY_MAX: i64 = 99_999_999;

const fn opt(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: false,
        nullable: true,
        default: None,
    }
}

const fn req(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: true,
        nullable: false,
        default: None,
    }
}

const fn with_default(field: Field, default: FieldDefault) -> Field {
    Field {
        default: Some(default),
        ..field
    }
}

const fn s(min: usize, max: usize) -> Ty {
    Ty::Str {
        min,
        max: Some(max),
    }
}

const fn s_min(min: usize) -> Ty {
    Ty::Str { min, max: None }
}

const MONEY: Ty = Ty::Int {
    min: 0,
    exclusive_min: false,
    max: MONEY_MAX,
};
const COUNTRY: Ty = Ty::Pattern(Pattern::Country);
const CATEGORY: Ty = s(1, 50);
const ANY_STRING: Ty = s_min(0);
const LEG: Ty = Ty::Object(&AIRLINE_LEG);
const PASSENGER: Ty = Ty::Object(&AIRLINE_PASSENGER);
const ITEM: Ty = Ty::Object(&CART_ITEM);
const PHONE: Ty = Ty::Pattern(Pattern::Phone);

/// `ProductType`.
pub const PRODUCT_TYPES: &[&str] = &[
    "physical",
    "discount",
    "shipping_fee",
    "sales_tax",
    "digital",
    "gift_card",
    "store_credit",
    "surcharge",
];

/// `TaxIdKind`.
pub const TAX_ID_KINDS: &[&str] = &[
    "ae.trn",
    "au.abn",
    "ar.dni",
    "ar.cuil",
    "ar.cuit",
    "br.cnpj",
    "br.cpf",
    "ca.bn",
    "ca.gst_hst",
    "ca.pst_bc",
    "ca.pst_mb",
    "ca.pst_sk",
    "ca.qst",
    "ch.vat",
    "cl.tin",
    "co.itin",
    "co.nit",
    "co.cc",
    "co.ce",
    "co.de",
    "co.rc",
    "co.ti",
    "co.passport",
    "es.cif",
    "eu.vat",
    "gb.vat",
    "hk.br",
    "id.nik",
    "id.npwp",
    "in.gst",
    "in.pan",
    "jp.cn",
    "jp.rn",
    "kr.brn",
    "li.uid",
    "mx.curp",
    "mx.rfc",
    "my.frp",
    "my.itn",
    "my.nric",
    "my.sst",
    "no.vat",
    "nz.gst",
    "pe.ruc",
    "ph.tin",
    "ru.inn",
    "ru.kpp",
    "sa.vat",
    "sg.gst",
    "sg.uen",
    "th.id",
    "th.vat",
    "tw.vat",
    "us.ein",
    "za.vat",
    "bo.ci",
    "uy.rut",
    "uy.ci",
];

/// `CartItem`, plus the two fields the 2.4.27 SDK has and the spec
/// snapshot lacks (`brand`, `subcategories`; limits unknown).
pub const CART_ITEM: Schema = Schema {
    name: "CartItem",
    fields: &[
        req("name", s(1, 255)),
        req(
            "quantity",
            Ty::Int {
                min: 0,
                exclusive_min: true,
                max: MONEY_MAX,
            },
        ),
        req("unit_amount", MONEY),
        with_default(opt("discount_amount", MONEY), FieldDefault::Int(0)),
        with_default(opt("tax_amount", MONEY), FieldDefault::Int(0)),
        opt("external_identifier", s(1, 200)),
        opt("sku", s(1, 200)),
        opt("upc", s(1, 50)),
        opt("product_url", s_min(0)),
        opt("image_url", s_min(0)),
        opt(
            "categories",
            Ty::Array {
                item: &CATEGORY,
                max_items: None,
            },
        ),
        opt(
            "product_type",
            Ty::Enum {
                values: PRODUCT_TYPES,
                literal: false,
            },
        ),
        opt("seller_country", COUNTRY),
        opt("tax_exempt", Ty::Bool),
        opt("unit_of_measure", s(1, 50)),
        opt("commodity_code", s(1, 50)),
        opt("description", s(1, 255)),
        opt("duty_amount", MONEY),
        opt("shipping_amount", MONEY),
        opt("brand", s_min(0)),
        opt(
            "subcategories",
            Ty::Array {
                item: &ANY_STRING,
                max_items: None,
            },
        ),
    ],
};

/// `AirlineLeg`.
pub const AIRLINE_LEG: Schema = Schema {
    name: "AirlineLeg",
    fields: &[
        opt("arrival_airport", s(3, 3)),
        opt("arrival_at", Ty::DateTime),
        opt("arrival_city", s(1, 100)),
        opt("arrival_country", COUNTRY),
        opt("carrier_code", s(2, 3)),
        opt("carrier_name", s_min(1)),
        opt("iata_designator", s(2, 2)),
        opt("icao_code", s(3, 3)),
        opt("coupon_number", s(1, 50)),
        opt("departure_airport", s(3, 3)),
        opt("departure_at", Ty::DateTime),
        opt("departure_city", s(1, 100)),
        opt("departure_country", COUNTRY),
        opt("departure_tax_amount", MONEY),
        opt("fare_amount", MONEY),
        opt("fare_basis_code", s(1, 8)),
        opt("fee_amount", MONEY),
        opt("flight_class", s(1, 5)),
        opt("flight_number", s(3, 6)),
        opt(
            "route_type",
            Ty::Enum {
                values: &["round_trip", "one_way"],
                literal: true,
            },
        ),
        opt("seat_class", s(1, 5)),
        opt("stop_over", Ty::Bool),
        opt("tax_amount", MONEY),
    ],
};

/// `AirlinePassenger`.
pub const AIRLINE_PASSENGER: Schema = Schema {
    name: "AirlinePassenger",
    fields: &[
        opt(
            "age_group",
            Ty::Enum {
                values: &["adult", "infant"],
                literal: true,
            },
        ),
        opt("date_of_birth", Ty::Date),
        opt("email_address", s(1, 320)),
        opt("first_name", s(1, 255)),
        opt("frequent_flyer_number", s(5, 50)),
        opt("last_name", s(1, 255)),
        opt("passport_number", s(1, 50)),
        opt("phone_number", PHONE),
        opt("ticket_number", s(1, 50)),
        opt("title", s(1, 50)),
        opt("country_code", COUNTRY),
    ],
};

/// `Airline`.
pub const AIRLINE: Schema = Schema {
    name: "Airline",
    fields: &[
        opt("booking_code", s(1, 50)),
        opt("is_cardholder_traveling", Ty::Bool),
        opt("issued_address", s(1, 255)),
        opt("issued_at", Ty::DateTime),
        opt("issuing_carrier_code", s(2, 3)),
        opt("issuing_carrier_name", s_min(1)),
        opt("issuing_iata_designator", s(2, 2)),
        opt("issuing_icao_code", s(3, 3)),
        opt(
            "legs",
            Ty::Array {
                item: &LEG,
                max_items: Some(20),
            },
        ),
        opt("passenger_name_record", s(1, 50)),
        opt(
            "passengers",
            Ty::Array {
                item: &PASSENGER,
                max_items: Some(20),
            },
        ),
        opt("reservation_system", s(1, 200)),
        opt("restricted_ticket", Ty::Bool),
        with_default(
            opt(
                "ticket_delivery_method",
                Ty::Enum {
                    values: &["electronic", "other"],
                    literal: true,
                },
            ),
            FieldDefault::Str("electronic"),
        ),
        opt("ticket_number", s(1, 50)),
        opt("travel_agency_code", s(1, 50)),
        opt("travel_agency_invoice_number", s(1, 50)),
        opt("travel_agency_name", s(1, 200)),
        opt("travel_agency_plan_name", s(1, 200)),
    ],
};

/// `Address`.
pub const ADDRESS: Schema = Schema {
    name: "Address",
    fields: &[
        opt("city", s(1, 100)),
        opt("country", COUNTRY),
        opt("postal_code", s(1, 50)),
        opt("state", s(1, 255)),
        opt("state_code", Ty::Pattern(Pattern::StateCode)),
        opt("house_number_or_name", s(1, 255)),
        opt("line1", s(1, 255)),
        opt("line2", s(1, 255)),
        opt("organization", s(1, 255)),
    ],
};

/// `TaxId`.
pub const TAX_ID: Schema = Schema {
    name: "TaxId",
    fields: &[
        req("value", s(1, 50)),
        req(
            "kind",
            Ty::Enum {
                values: TAX_ID_KINDS,
                literal: false,
            },
        ),
    ],
};

/// `BillingDetails`.
pub const BILLING_DETAILS: Schema = Schema {
    name: "BillingDetails",
    fields: &[
        opt("first_name", s(1, 255)),
        opt("last_name", s(1, 255)),
        opt("email_address", s(1, 320)),
        opt("phone_number", PHONE),
        opt("address", Ty::Object(&ADDRESS)),
        opt("tax_id", Ty::Object(&TAX_ID)),
    ],
};

/// `ShippingDetailsCreate`.
pub const SHIPPING_DETAILS: Schema = Schema {
    name: "ShippingDetailsCreate",
    fields: &[
        opt("first_name", s(1, 255)),
        opt("last_name", s(1, 255)),
        opt("email_address", s(1, 320)),
        opt("phone_number", PHONE),
        opt("address", Ty::Object(&ADDRESS)),
    ],
};

/// `GuestBuyer`.
pub const GUEST_BUYER: Schema = Schema {
    name: "GuestBuyer",
    fields: &[
        opt("display_name", s(1, 200)),
        opt("external_identifier", s(1, 200)),
        opt("billing_details", Ty::Object(&BILLING_DETAILS)),
        opt("account_number", s(1, 200)),
        opt("shipping_details", Ty::Object(&SHIPPING_DETAILS)),
    ],
};

/// `CheckoutSessionUpdate`: the body of both create and update. No
/// default is filled for `expires_in`, so an update can tell it was absent.
pub const CHECKOUT_SESSION_UPDATE: Schema = Schema {
    name: "CheckoutSessionUpdate",
    fields: &[
        opt(
            "cart_items",
            Ty::Array {
                item: &ITEM,
                max_items: None,
            },
        ),
        opt("metadata", Ty::StrMap),
        opt("buyer", Ty::Object(&GUEST_BUYER)),
        opt("airline", Ty::Object(&AIRLINE)),
        opt("amount", MONEY),
        opt("currency", Ty::Pattern(Pattern::Currency)),
        opt("payment_service_id", Ty::Uuid),
        Field {
            name: "expires_in",
            ty: Ty::Number {
                min: 3600.0,
                max: 86400.0,
            },
            required: false,
            nullable: false,
            default: None,
        },
        opt("country", COUNTRY),
        opt("is_subsequent_payment", Ty::Bool),
        opt("merchant_initiated", Ty::Bool),
        opt(
            "payment_source",
            Ty::Enum {
                values: &[
                    "ecommerce",
                    "moto",
                    "recurring",
                    "installment",
                    "card_on_file",
                ],
                literal: false,
            },
        ),
        opt(
            "intent",
            Ty::Enum {
                values: &["authorize", "capture"],
                literal: false,
            },
        ),
    ],
};

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
