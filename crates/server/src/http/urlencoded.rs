//! `application/x-www-form-urlencoded` unescaping, shared by the Stripe
//! dialect's form bodies and query strings and by the hosted page's form.

/// One key or value: `+` is a space, `%XX` the byte XX, and a `%` without
/// two hex digits after it stays as it is (`percent_encoding`'s rule).
pub fn unescape(raw: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&spaced).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_is_a_space_escapes_are_bytes_and_a_bare_percent_stays() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"line_items%5B0%5D%5Bprice%5D", b"line_items[0][price]"),
            (b"a+b%20c", b"a b c"),
            (b"%2B%2b", b"++"),
            (b"caf%C3%A9", "caf\u{e9}".as_bytes()),
            (b"100%", b"100%"),
            (b"%2", b"%2"),
            (b"%g1", b"%g1"),
            (b"%%41", b"%A"),
        ];
        for (raw, want) in cases {
            assert_eq!(unescape(raw), *want, "{}", String::from_utf8_lossy(raw));
        }
    }
}
