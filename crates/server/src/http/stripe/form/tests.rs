//! The form decoder and reader, against Stripe's encoding rules and messages.

use super::*;

fn tree(s: &str) -> Vec<(String, Value)> {
    parse(s.as_bytes()).unwrap()
}

#[test]
fn brackets_nest_literal_or_percent_encoded() {
    let a = tree("a[b][c]=1");
    let b = tree("a%5Bb%5D%5Bc%5D=1");
    assert_eq!(a, b);
    let mut p = Params::new(a);
    let mut inner = p.object("a").unwrap().unwrap().unwrap();
    let mut c = inner.object("b").unwrap().unwrap().unwrap();
    assert_eq!(c.raw_str("c").unwrap().as_deref(), Some("1"));
}

#[test]
fn spaces_as_plus_or_percent_20() {
    let mut p = Params::new(tree("a=x+y&b=x%20y"));
    assert_eq!(p.raw_str("a").unwrap().as_deref(), Some("x y"));
    assert_eq!(p.raw_str("b").unwrap().as_deref(), Some("x y"));
}

#[test]
fn arrays_indexed_or_appended() {
    let mut p = Params::new(tree("e[]=x&e[]=y&f[1]=b&f[0]=a"));
    assert_eq!(p.string_array("e", 10).unwrap().unwrap(), vec!["x", "y"]);
    assert_eq!(p.string_array("f", 10).unwrap().unwrap(), vec!["a", "b"]);
}

#[test]
fn array_indexes_must_be_sequential() {
    let mut p = Params::new(tree("expand[1]=x"));
    let err = p.string_array("expand", 10).unwrap_err();
    assert!(err
        .message
        .contains("You passed the keys `1`, we expected to have a key with the value `0`."));
    assert_eq!(err.param.as_deref(), Some("expand"));
    for odd in ["expand[%2B0]=x", "expand[00]=x", "expand[0]=x&expand[01]=y"] {
        let mut p = Params::new(tree(odd));
        assert!(p.string_array("expand", 10).is_err(), "{odd}");
    }
    let mut p = Params::new(tree("expand[1]=y&expand[0]=x&expand[10]=z&expand[2]=a&expand[3]=a&expand[4]=a&expand[5]=a&expand[6]=a&expand[7]=a&expand[8]=a&expand[9]=a"));
    let got = p.string_array("expand", 10).unwrap().unwrap();
    assert_eq!(got[..3], ["x", "y", "a"]);
    assert_eq!(got[10], "z");
}

#[test]
fn unknown_parameters_are_reported_with_their_path() {
    let mut p = Params::new(tree("name=x&foo=1"));
    p.raw_str("name").unwrap();
    let err = p.finish().unwrap_err();
    assert_eq!(err.message, "Received unknown parameter: foo");
    let mut p = Params::new(tree("a[b]=1&a[c]=2"));
    let inner = p.object("a").unwrap().unwrap().unwrap();
    assert_eq!(
        inner.finish().unwrap_err().message,
        "Received unknown parameters: a[b], a[c]"
    );
}

#[test]
fn integers_booleans_and_enums_have_stripe_messages() {
    let mut p = Params::new(tree("n=abc&b=yes&m=nope"));
    assert_eq!(p.int("n").unwrap_err().message, "Invalid integer: abc");
    assert_eq!(p.bool("b").unwrap_err().message, "Invalid boolean: yes");
    assert_eq!(
        p.enumeration("m", &["payment", "setup", "subscription"])
            .unwrap_err()
            .message,
        "Invalid m: must be one of payment, setup, or subscription"
    );
}

#[test]
fn empty_string_unsets() {
    let mut p = Params::new(tree("metadata=&tax_rates="));
    assert!(matches!(p.object("metadata").unwrap(), Some(None)));
    assert_eq!(p.array("tax_rates").unwrap().unwrap().len(), 0);
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(parse(b"a[b=1").is_err());
    assert!(parse(b"%FF=1").is_err());
    assert!(parse(b"a=1&a[b]=2").is_err());
    assert!(parse(b"[x]=1").is_err());
    assert!(parse(b"=&&=").is_err());
}
