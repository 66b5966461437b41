//! The `X-Amz-Date` timestamp: ISO 8601 basic format in UTC, `YYYYMMDDTHHMMSSZ`.

use time::{OffsetDateTime, UtcOffset};

use crate::error::SignError;

/// A signing time, converted to UTC and rendered once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AmzDate {
    text: [u8; 16],
    utc: OffsetDateTime,
}

impl AmzDate {
    /// Renders `now` (any offset) as a UTC `X-Amz-Date`; years outside 0..=9999 are refused.
    pub(crate) fn new(now: OffsetDateTime) -> Result<Self, SignError> {
        let utc = now
            .checked_to_offset(UtcOffset::UTC)
            .ok_or(SignError::TimestampOutOfRange)?;
        let year = u32::try_from(utc.year())
            .ok()
            .filter(|y| *y <= 9999)
            .ok_or(SignError::TimestampOutOfRange)?;
        let digit = |value: u32, place: u32| b'0' + ((value / place) % 10) as u8;
        let (month, day) = (u32::from(u8::from(utc.month())), u32::from(utc.day()));
        let (hour, minute, second) = (
            u32::from(utc.hour()),
            u32::from(utc.minute()),
            u32::from(utc.second()),
        );
        let text = [
            digit(year, 1000),
            digit(year, 100),
            digit(year, 10),
            digit(year, 1),
            digit(month, 10),
            digit(month, 1),
            digit(day, 10),
            digit(day, 1),
            b'T',
            digit(hour, 10),
            digit(hour, 1),
            digit(minute, 10),
            digit(minute, 1),
            digit(second, 10),
            digit(second, 1),
            b'Z',
        ];
        Ok(Self { text, utc })
    }

    /// The full timestamp, `YYYYMMDDTHHMMSSZ`.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text).unwrap_or_default()
    }

    /// The credential-scope date, `YYYYMMDD`.
    pub(crate) fn date(&self) -> [u8; 8] {
        let [a, b, c, d, e, f, g, h, ..] = self.text;
        [a, b, c, d, e, f, g, h]
    }

    /// The signing time in UTC.
    pub(crate) fn utc(&self) -> OffsetDateTime {
        self.utc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn renders_utc_basic_format() {
        let date = AmzDate::new(datetime!(2024-05-01 12:34:56 UTC)).unwrap();
        assert_eq!(date.as_str(), "20240501T123456Z");
        assert_eq!(&date.date(), b"20240501");
    }

    #[test]
    fn converts_offsets_to_utc() {
        let date = AmzDate::new(datetime!(2024-01-01 01:30:00 +02:00)).unwrap();
        assert_eq!(date.as_str(), "20231231T233000Z");
    }

    #[test]
    fn refuses_years_out_of_range() {
        assert_eq!(
            AmzDate::new(datetime!(-0001-01-01 0:00 UTC)),
            Err(SignError::TimestampOutOfRange)
        );
        assert!(AmzDate::new(datetime!(0000-01-01 0:00 UTC)).is_ok());
        assert!(AmzDate::new(datetime!(9999-12-31 23:59:59 UTC)).is_ok());
    }
}
