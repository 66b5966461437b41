//! The part numbers and upload ids multipart requests carry, checked
//! before anything is sent.

use crate::error::RequestError;

/// The highest part number S3 and R2 accept.
pub const MAX_PART_NUMBER: u32 = 10_000;

/// Checks a part number (1..=10000).
pub(crate) fn check_part_number(number: u32) -> Result<(), RequestError> {
    if (1..=MAX_PART_NUMBER).contains(&number) {
        Ok(())
    } else {
        Err(RequestError::OutOfRange {
            parameter: "partNumber",
            expected: "1 ..= 10000",
            got: number.to_string(),
        })
    }
}

/// Checks an upload id (not empty).
pub(crate) fn check_upload_id(upload_id: &str) -> Result<(), RequestError> {
    if upload_id.is_empty() {
        Err(RequestError::EmptyUploadId)
    } else {
        Ok(())
    }
}
