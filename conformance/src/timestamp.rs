//! Reading `X-Amz-Date` timestamps (`YYYYMMDDTHHMMSSZ`) back into times.

use time::{Date, Month, OffsetDateTime, Time};

/// Parses `YYYYMMDDTHHMMSSZ` as a UTC time.
pub fn parse_amz_date(text: &str) -> Result<OffsetDateTime, String> {
    let invalid = || format!("{text:?} is not a YYYYMMDDTHHMMSSZ timestamp");
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes.get(8) != Some(&b'T') || bytes.get(15) != Some(&b'Z') {
        return Err(invalid());
    }
    let number = |range: std::ops::Range<usize>| -> Result<u32, String> {
        text.get(range)
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(invalid)
    };
    let year = i32::try_from(number(0..4)?).map_err(|_| invalid())?;
    let month = Month::try_from(u8::try_from(number(4..6)?).map_err(|_| invalid())?)
        .map_err(|_| invalid())?;
    let small =
        |range| -> Result<u8, String> { u8::try_from(number(range)?).map_err(|_| invalid()) };
    let date = Date::from_calendar_date(year, month, small(6..8)?).map_err(|_| invalid())?;
    let time =
        Time::from_hms(small(9..11)?, small(11..13)?, small(13..15)?).map_err(|_| invalid())?;
    Ok(date.with_time(time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            parse_amz_date("20240229T000000Z"),
            Ok(datetime!(2024-02-29 0:00 UTC))
        );
        for bad in [
            "",
            "20240230T000000Z",
            "2024-05-01T00:00",
            "20240501T250000Z",
            "2024050lT000000Z",
        ] {
            assert!(parse_amz_date(bad).is_err(), "{bad}");
        }
    }
}
