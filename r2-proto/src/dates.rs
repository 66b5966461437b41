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

/// Parses an ISO 8601 timestamp as S3 writes it: `YYYY-MM-DDTHH:MM:SS`, an
/// optional fraction, then `Z`, an offset `±HH:MM`, or nothing (read as UTC).
pub fn parse_iso8601(text: &str) -> Option<OffsetDateTime> {
    let (date, rest) = text.split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let year = i32::try_from(digits(date_parts.next()?)?).ok()?;
    let month = Month::try_from(small(date_parts.next()?)?).ok()?;
    let day = small(date_parts.next()?)?;
    let date = Date::from_calendar_date(year, month, day).ok()?;

    let (clock, offset) = if let Some(clock) = rest.strip_suffix('Z') {
        (clock, UtcOffset::UTC)
    } else if let Some(sign_at) = rest.rfind(['+', '-']) {
        let (clock, zone) = rest.split_at(sign_at);
        let sign: i8 = if zone.starts_with('-') { -1 } else { 1 };
        let (hours, minutes) = zone.get(1..)?.split_once(':')?;
        let hours = i8::try_from(small(hours)?).ok()?;
        let minutes = i8::try_from(small(minutes)?).ok()?;
        (
            clock,
            UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?,
        )
    } else {
        (rest, UtcOffset::UTC)
    };
    let (whole, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut hms = whole.splitn(3, ':');
    let (hour, minute, second) = (
        small(hms.next()?)?,
        small(hms.next()?)?,
        small(hms.next()?)?,
    );
    let nanos = if fraction.is_empty() {
        0
    } else {
        let kept = fraction.get(..fraction.len().min(9))?;
        digits(kept)? * 10u32.pow(9 - u32::try_from(kept.len()).ok()?)
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
