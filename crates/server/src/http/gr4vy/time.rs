//! Dates and times on Gr4vy's wire: `expires_at` rendered as RFC 3339, and
//! the `date-time` / `date` formats of request fields checked the way
//! Pydantic parses them. Hand-written (civil-from-days, after Howard
//! Hinnant) because checkoutd otherwise speaks Unix seconds only.

/// `2013-07-16T19:23:00.000+00:00`, the form of the spec's examples.
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000+00:00",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |acc, c| {
        acc.checked_mul(10)?.checked_add(u32::from(c - b'0'))
    })
}

fn is_leap(y: u32) -> bool {
    let (by4, by100, by400) = (y % 4, y % 100, y % 400);
    by4 == 0 && (by100 != 0 || by400 == 0)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Whether `s` is a `YYYY-MM-DD` calendar date.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    match (digits(&b[..4]), digits(&b[5..7]), digits(&b[8..])) {
        (Some(y), Some(m), Some(d)) => (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m),
        _ => false,
    }
}

/// Whether `s` is a date-time as Pydantic accepts one: a date, optionally
/// followed by `T`, `t` or a space and `HH:MM[:SS[.fraction]]`, and then
/// optionally `Z`, `z` or an offset `±HH[:]MM`.
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 10 || !s.is_char_boundary(10) || !is_date(&s[..10]) {
        return false;
    }
    let rest = &b[10..];
    if rest.is_empty() {
        return true;
    }
    if !matches!(rest[0], b'T' | b't' | b' ') {
        return false;
    }
    time_and_zone(&rest[1..])
}

fn time_and_zone(b: &[u8]) -> bool {
    if b.len() < 5 || b[2] != b':' {
        return false;
    }
    let (Some(h), Some(m)) = (digits(&b[..2]), digits(&b[3..5])) else {
        return false;
    };
    if h > 23 || m > 59 {
        return false;
    }
    let mut rest = &b[5..];
    if rest.first() == Some(&b':') {
        match rest.get(1..3).and_then(digits) {
            Some(sec) if sec <= 59 => rest = &rest[3..],
            _ => return false,
        }
        if rest.first() == Some(&b'.') || rest.first() == Some(&b',') {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return false;
            }
            rest = &rest[1 + n..];
        }
    }
    match rest {
        [] | [b'Z'] | [b'z'] => true,
        [b'+' | b'-', zone @ ..] => {
            let (hh, mm) = match zone {
                [a, b, b':', c, d] | [a, b, c, d] => ([*a, *b], [*c, *d]),
                [a, b] => ([*a, *b], [b'0', b'0']),
                _ => return false,
            };
            matches!((digits(&hh), digits(&mm)), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_renders_utc_with_milliseconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000+00:00");
        assert_eq!(rfc3339(1_795_348_676), "2026-11-22T11:57:56.000+00:00");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00.000+00:00");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.000+00:00");
    }

    #[test]
    fn dates_follow_the_calendar() {
        assert!(is_date("1980-01-31"));
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("1980-13-01"));
        assert!(!is_date("1980-1-31"));
        assert!(!is_date("19800131"));
        assert!(!is_date("1980-01-31T00:00:00Z"));
    }

    #[test]
    fn date_times_accept_what_pydantic_accepts() {
        for ok in [
            "2026-11-22T10:00:00Z",
            "2013-07-16T19:23:00.000+00:00",
            "2026-12-01T09:00:00",
            "2026-12-01 09:00",
            "2026-12-01t09:00:00.123456z",
            "2026-12-01T09:00:00-0530",
            "2026-12-01T09:00:00+05",
            "2026-12-01",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "tomorrow",
            "2026-11-22T25:00:00Z",
            "2026-11-22T10:60:00Z",
            "2026-11-22T10:00:00+24:00",
            "2026-11-22T10:00:00.Z",
            "2026-11-22X10:00:00Z",
            "2026-11-22T10",
            "2026-11-22T10:00:00Zjunk",
            "2026-11-31T10:00:00Z",
            "2026-11-22T10:00:0é",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }
}
