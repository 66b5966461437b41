//! Clock-skew correction.
//!
//! When a server answers `RequestTimeTooSkewed` with its own time, the
//! offset between its clock and ours is kept and added to every signing
//! time after that, so that one wrong clock costs one retried request.

use time::OffsetDateTime;

/// The offset between the server's clock and the local one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockSkew {
    offset: time::Duration,
}

impl ClockSkew {
    /// The time to sign with: the local wall time corrected by the offset.
    pub fn corrected(&self, local: OffsetDateTime) -> OffsetDateTime {
        local.checked_add(self.offset).unwrap_or(local)
    }

    /// Learns the offset from a server time observed at local time `local`.
    pub fn learn(&mut self, server: OffsetDateTime, local: OffsetDateTime) {
        self.offset = server - local;
    }

    /// The current offset (server minus local).
    pub fn offset(&self) -> time::Duration {
        self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn learns_and_applies_the_offset() {
        let mut skew = ClockSkew::default();
        let local = datetime!(2024-05-01 12:00:00 UTC);
        assert_eq!(skew.corrected(local), local);
        skew.learn(datetime!(2024-05-01 12:20:00 UTC), local);
        assert_eq!(skew.offset(), time::Duration::minutes(20));
        assert_eq!(
            skew.corrected(datetime!(2024-05-01 13:00:00 UTC)),
            datetime!(2024-05-01 13:20:00 UTC)
        );
        skew.learn(datetime!(2024-05-01 11:55:00 UTC), local);
        assert_eq!(skew.offset(), time::Duration::minutes(-5));
    }
}
