//! The tables themselves: the body's objects, their fields and limits,
//! and the enums, in the order of the spec, built from the shapes in
//! [`super`].

use super::*;

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
