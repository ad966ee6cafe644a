//! Stripe's form decoder and its readers on arbitrary bytes: decoding and
//! every reader must answer `Ok` or a 4xx `StripeError`, never panic.

#![no_main]

use checkoutd::http::stripe::expand::Expand;
use checkoutd::http::stripe::form::{self, Params, Value};
use checkoutd::http::stripe::{list, params, session_params};
use libfuzzer_sys::fuzz_target;

fn client_error<T>(r: Result<T, checkoutd::http::stripe::error::StripeError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            assert!(e.status.is_client_error(), "not a 4xx: {e:?}");
            None
        }
    }
}

/// Read one level with every generic reader, descending into objects and
/// array elements (up to a depth), then finish it.
fn walk(entries: &[(String, Value)], depth: usize) {
    let mut p = Params::new(entries.to_vec());
    for (i, (key, value)) in entries.iter().enumerate() {
        if !p.has(key) {
            continue;
        }
        let _ = p.path(key);
        match i % 9 {
            0 => {
                if let Some(Some(Some(inner))) = client_error(p.object(key)) {
                    let _ = client_error(inner.finish());
                    if let (Value::Map(m), true) = (value, depth < 8) {
                        walk(m, depth + 1);
                    }
                }
            }
            1 => {
                if let Some(Some(items)) = client_error(p.array(key)) {
                    for (path, v) in items {
                        let nested = match &v {
                            Value::Map(m) if depth < 8 => Some(m.clone()),
                            _ => None,
                        };
                        if let Some(mut el) = client_error(form::element(path, v)) {
                            let _ = client_error(el.raw_str("price"));
                            let _ = client_error(el.finish());
                        }
                        if let Some(m) = nested {
                            walk(&m, depth + 1);
                        }
                    }
                }
            }
            2 => drop(client_error(p.string_array(key, 40))),
            3 => drop(client_error(p.int_in(key, -5, 1_000_000))),
            4 => drop(client_error(p.bool(key))),
            5 => drop(client_error(p.emptyable_string(key, 10))),
            6 => drop(client_error(p.enumeration(key, &["payment", "setup"]))),
            7 => drop(client_error(p.clone_int(key))),
            _ => drop(client_error(p.required_string(key, 5000))),
        }
    }
    let _ = client_error(p.finish());
}

/// The typed readers the endpoints use, on a fresh copy of the tree.
fn typed(tree: &[(String, Value)]) {
    let mut p = Params::new(tree.to_vec());
    let _ = client_error(Expand::read(&mut p, &["line_items", "customer"]));
    let _ = client_error(list::query(&mut p, "checkout.session", true));
    let _ = client_error(params::metadata_patch(&mut p, "metadata"));
    let _ = client_error(params::currency(&mut p, "currency"));
    let _ = client_error(params::decimal(&mut p, "unit_amount_decimal", 12));
    let _ = client_error(params::id_list(&mut p, "tax_rates"));
    let _ = client_error(session_params::payment_intent_data_update(&mut p));
    if let Some(Some(Some(s))) = client_error(p.object("shipping_details")) {
        let _ = client_error(session_params::shipping_details(s));
    }
    let _ = client_error(p.finish());

    let mut p = Params::new(tree.to_vec());
    let _ = client_error(params::new_metadata(&mut p, "metadata"));
    let _ = client_error(session_params::new_payment_intent_data(&mut p));
    let _ = client_error(params::required_currency(&mut p, "currency"));
    let _ = client_error(p.finish());
}

fuzz_target!(|data: &[u8]| {
    let _ = form::canonical_pairs(data);
    let Some(tree) = client_error(form::parse(data)) else {
        return;
    };
    typed(&tree);
    walk(&tree, 0);
    let _ = client_error(Params::from_bytes(data));
});
