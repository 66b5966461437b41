//! The two date formats S3 speaks: ISO 8601 in XML bodies
//! (`2024-05-01T12:34:56.000Z`) and the HTTP date in headers
//! (`Wed, 01 May 2024 12:34:56 GMT`).

use time::{Date, Month, OffsetDateTime, Time, UtcOffset, Weekday};

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn small(text: &str) -> Option<u8> {
    u8::try_from(digits(text)?).ok()
}

/// The number written in `bytes`, which must all be ASCII digits.
fn digits_at(bytes: &[u8], range: std::ops::Range<usize>) -> Option<u32> {
    let digits = bytes.get(range)?;
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit()
            .then(|| acc.checked_mul(10)?.checked_add(u32::from(b - b'0')))
            .flatten()
    })
}

/// Parses an ISO 8601 timestamp as S3 writes it: `YYYY-MM-DDTHH:MM:SS`, an
/// optional fraction, then `Z`, an offset `±HH:MM`, or nothing (read as UTC).
pub fn parse_iso8601(text: &str) -> Option<OffsetDateTime> {
    let b = text.as_bytes();
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if !separators.iter().all(|&(at, sep)| b.get(at) == Some(&sep)) {
        return None;
    }
    let small_at = |range| u8::try_from(digits_at(b, range)?).ok();
    let year = i32::try_from(digits_at(b, 0..4)?).ok()?;
    let date = Date::from_calendar_date(
        year,
        Month::try_from(small_at(5..7)?).ok()?,
        small_at(8..10)?,
    )
    .ok()?;
    let (hour, minute, second) = (small_at(11..13)?, small_at(14..16)?, small_at(17..19)?);

    let mut at = 19;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        let fraction_len = b
            .get(at + 1..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if fraction_len == 0 {
            return None;
        }
        let kept = fraction_len.min(9);
        nanos = digits_at(b, at + 1..at + 1 + kept)? * 10u32.pow(9 - u32::try_from(kept).ok()?);
        at += 1 + fraction_len;
    }
    let offset = match b.get(at..)? {
        b"" | b"Z" => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = i8::try_from(digits_at(&[*h1, *h2], 0..2)?).ok()?;
            let minutes = i8::try_from(digits_at(&[*m1, *m2], 0..2)?).ok()?;
            let sign = if *sign == b'-' { -1 } else { 1 };
            UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?
        }
        _ => return None,
    };
    let time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    Some(date.with_time(time).assume_offset(offset))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses an HTTP date in the IMF-fixdate form, `Wed, 01 May 2024 12:34:56 GMT`.
pub fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    let (_weekday, rest) = text.trim().split_once(", ")?;
    let mut parts = rest.split(' ');
    let day = small(parts.next()?)?;
    let month_name = parts.next()?;
    let month_index = MONTHS.iter().position(|m| *m == month_name)?;
    let month = Month::try_from(u8::try_from(month_index + 1).ok()?).ok()?;
    let year = i32::try_from(digits(parts.next()?)?).ok()?;
    let mut hms = parts.next()?.splitn(3, ':');
    let (hour, minute, second) = (
        small(hms.next()?)?,
        small(hms.next()?)?,
        small(hms.next()?)?,
    );
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(date.with_time(time).assume_utc())
}

/// Formats `when` as an HTTP date, `Wed, 01 May 2024 12:34:56 GMT`.
pub fn format_http_date(when: OffsetDateTime) -> String {
    let utc = when.checked_to_offset(UtcOffset::UTC).unwrap_or(when);
    let weekday = match utc.weekday() {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    };
    let month = MONTHS
        .get(usize::from(u8::from(utc.month())) - 1)
        .copied()
        .unwrap_or("Jan");
    format!(
        "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        utc.day(),
        utc.year(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn iso8601_forms() {
        assert_eq!(
            parse_iso8601("2026-11-24T22:15:31.000Z"),
            Some(datetime!(2026-11-24 22:15:31 UTC))
        );
        assert_eq!(
            parse_iso8601("2024-05-01T12:55:12Z"),
            Some(datetime!(2024-05-01 12:55:12 UTC))
        );
        assert_eq!(
            parse_iso8601("2009-10-28T22:32:00"),
            Some(datetime!(2009-10-28 22:32:00 UTC))
        );
        assert_eq!(
            parse_iso8601("2024-05-01T12:00:00.5+02:00"),
            Some(datetime!(2024-05-01 12:00:00.5 +02:00))
        );
        assert_eq!(
            parse_iso8601("2024-05-01T12:00:00.123456789123Z"),
            Some(datetime!(2024-05-01 12:00:00.123456789 UTC))
        );
        for bad in [
            "",
            "2024-05-01",
            "2024-13-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2024-05-01T25:00:00Z",
            "2024-05-01T00:00Z",
            "99999999999-01-01T00:00:00Z",
            "2024-05-01T00:00:00.xZ",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_dates_round_trip() {
        let when = datetime!(2024-05-01 12:34:56 UTC);
        assert_eq!(format_http_date(when), "Wed, 01 May 2024 12:34:56 GMT");
        assert_eq!(parse_http_date("Wed, 01 May 2024 12:34:56 GMT"), Some(when));
        assert_eq!(
            format_http_date(datetime!(2024-05-01 14:34:56 +02:00)),
            "Wed, 01 May 2024 12:34:56 GMT"
        );
        for bad in [
            "",
            "01 May 2024 12:34:56 GMT",
            "Wed, 01 Foo 2024 12:34:56 GMT",
            "Wed, 01 May 2024 12:34:56 UTC",
            "Wed, 31 Feb 2024 12:34:56 GMT",
            "Wed, 01 May 2024 12:34:56 GMT extra",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }
}
