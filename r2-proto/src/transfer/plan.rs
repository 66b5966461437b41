//! Part sizes for multipart uploads and ranged downloads.
//!
//! R2 requires every part but the last to have the same size, between
//! 5 MiB and 5 GiB − 5 MiB, with at most 10,000 parts and 5 TiB − 5 GiB in
//! all. A plan fixes one part size for the whole transfer: the configured
//! size, grown (in whole MiB) until the object fits in 10,000 parts.

use crate::config::{MAX_SINGLE_UPLOAD, MIN_PART_SIZE};
use crate::error::RequestError;

/// The most parts an upload may have.
pub const MAX_PARTS: u64 = 10_000;
/// The largest object R2 stores: 5 TiB − 5 GiB.
pub const MAX_OBJECT_SIZE: u64 = 5 * (1 << 40) - 5 * (1 << 30);

const MIB: u64 = 1 << 20;

/// The layout of a multipart transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    part_size: u64,
    total: u64,
}

impl PartPlan {
    /// The plan for `total` bytes with at least `preferred` bytes per part.
    pub fn for_size(total: u64, preferred: u64) -> Result<Self, RequestError> {
        if total > MAX_OBJECT_SIZE {
            return Err(RequestError::TooLarge {
                bytes: total,
                limit: MAX_OBJECT_SIZE,
            });
        }
        let needed = total.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
        let part_size = preferred
            .max(MIN_PART_SIZE)
            .max(needed)
            .min(MAX_SINGLE_UPLOAD);
        Ok(Self { part_size, total })
    }

    /// A plan resumed with the part size it was started with.
    pub fn resumed(total: u64, part_size: u64) -> Result<Self, RequestError> {
        if !(MIN_PART_SIZE..=MAX_SINGLE_UPLOAD).contains(&part_size)
            || total.div_ceil(part_size) > MAX_PARTS
        {
            return Err(RequestError::OutOfRange {
                parameter: "part size of the upload being resumed",
                expected: "5 MiB ..= 5 GiB - 5 MiB, and at most 10000 parts",
                got: part_size.to_string(),
            });
        }
        Ok(Self { part_size, total })
    }

    /// Bytes per part (all but the last).
    pub fn part_size(&self) -> u64 {
        self.part_size
    }

    /// The object's size.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The number of parts (at least 1).
    pub fn parts(&self) -> u32 {
        u32::try_from(self.total.div_ceil(self.part_size).max(1)).unwrap_or(u32::MAX)
    }

    /// The byte range of part `number` (1-based): offset and length.
    pub fn range(&self, number: u32) -> (u64, u64) {
        let offset = u64::from(number.saturating_sub(1)) * self.part_size;
        let len = self.part_size.min(self.total.saturating_sub(offset));
        (offset, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_size_until_the_object_needs_more_than_10000_parts() {
        let plan = PartPlan::for_size(25 * MIB + 3, 10 * MIB).unwrap();
        assert_eq!((plan.part_size(), plan.parts()), (10 * MIB, 3));
        assert_eq!(plan.range(1), (0, 10 * MIB));
        assert_eq!(plan.range(3), (20 * MIB, 5 * MIB + 3));
        let big = PartPlan::for_size(200 * (1 << 30), 10 * MIB).unwrap();
        assert_eq!(big.part_size(), 21 * MIB);
        assert!(big.parts() <= 10_000);
        let (offset, len) = big.range(big.parts());
        assert_eq!(offset + len, big.total());
        assert!(len <= big.part_size() && len > 0);
        let max = PartPlan::for_size(MAX_OBJECT_SIZE, MIN_PART_SIZE).unwrap();
        assert!(max.parts() <= 10_000);
        assert!(PartPlan::for_size(MAX_OBJECT_SIZE + 1, MIN_PART_SIZE).is_err());
        assert_eq!(PartPlan::for_size(0, 10 * MIB).unwrap().parts(), 1);
        assert_eq!(PartPlan::for_size(1, 1).unwrap().part_size(), MIN_PART_SIZE);
    }

    #[test]
    fn resumed_plans_keep_their_part_size() {
        let plan = PartPlan::resumed(100 * MIB, 7 * MIB).unwrap();
        assert_eq!(plan.part_size(), 7 * MIB);
        assert!(PartPlan::resumed(100 * MIB, MIB).is_err());
        assert!(PartPlan::resumed(MAX_OBJECT_SIZE, 5 * MIB).is_err());
    }
}
