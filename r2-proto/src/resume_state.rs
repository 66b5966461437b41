//! What it takes to resume a multipart upload later, even from another
//! process: the upload id and the part size it was started with (R2 wants
//! every part but the last the same size, so a resumed upload must not
//! choose a new one).

use std::fmt;

use crate::percent;

/// The state needed to resume an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeState {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// The multipart upload id.
    pub upload_id: String,
    /// Bytes per part (all but the last).
    pub part_size: u64,
    /// The object's size.
    pub total: u64,
}

const HEADER: &str = "r2-resume/1";

impl ResumeState {
    /// A stable text form, one `name=value` per line (values percent-encoded),
    /// for storing next to the source.
    pub fn encode(&self) -> String {
        format!(
            "{HEADER}\nbucket={}\nkey={}\nupload_id={}\npart_size={}\ntotal={}\n",
            percent::encode_component(&self.bucket),
            percent::encode_component(&self.key),
            percent::encode_component(&self.upload_id),
            self.part_size,
            self.total
        )
    }

    /// Reads the text form back.
    pub fn decode(text: &str) -> Result<Self, InvalidResumeState> {
        let invalid = InvalidResumeState;
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(invalid("it does not start with r2-resume/1"));
        }
        let (mut bucket, mut key, mut upload_id, mut part_size, mut total) =
            (None, None, None, None, None);
        for line in lines.filter(|l| !l.is_empty()) {
            let (name, value) = line
                .split_once('=')
                .ok_or_else(|| invalid("a line without '='"))?;
            let text = || {
                String::from_utf8(percent::decode(value).into_owned())
                    .map_err(|_| invalid("a value that is not UTF-8"))
            };
            let number = || {
                value
                    .parse::<u64>()
                    .map_err(|_| invalid("a size that is not a number"))
            };
            match name {
                "bucket" => bucket = Some(text()?),
                "key" => key = Some(text()?),
                "upload_id" => upload_id = Some(text()?),
                "part_size" => part_size = Some(number()?),
                "total" => total = Some(number()?),
                _ => return Err(invalid("an unknown field")),
            }
        }
        Ok(Self {
            bucket: bucket.ok_or_else(|| invalid("no bucket"))?,
            key: key.ok_or_else(|| invalid("no key"))?,
            upload_id: upload_id.ok_or_else(|| invalid("no upload_id"))?,
            part_size: part_size.ok_or_else(|| invalid("no part_size"))?,
            total: total.ok_or_else(|| invalid("no total"))?,
        })
    }
}

/// A resume state's text that cannot be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid resume state: {0}")]
pub struct InvalidResumeState(pub &'static str);

impl fmt::Display for ResumeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "upload {} of {}/{} ({} bytes in parts of {})",
            self.upload_id, self.bucket, self.key, self.total, self.part_size
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_decodes() {
        let state = ResumeState {
            bucket: "videos".into(),
            key: "a b/c=d\nnewline é".into(),
            upload_id: "2~iCw_lDY8/+=".into(),
            part_size: 10 << 20,
            total: 123_456_789,
        };
        let text = state.encode();
        assert!(
            text.starts_with("r2-resume/1\nbucket=videos\nkey=a%20b%2Fc%3Dd%0Anewline%20%C3%A9\n")
        );
        assert_eq!(ResumeState::decode(&text).unwrap(), state);
        assert!(state.to_string().contains("2~iCw_lDY8/+="));
        for bad in [
            "",
            "r2-resume/2\n",
            "r2-resume/1\nbucket",
            "r2-resume/1\nbucket=b\nkey=k\nupload_id=u\npart_size=x\ntotal=1",
            "r2-resume/1\nbucket=b\nkey=k\nupload_id=u\npart_size=1",
            "r2-resume/1\nbucket=b\nkey=%FF\nupload_id=u\npart_size=1\ntotal=1",
            "r2-resume/1\nextra=1",
        ] {
            assert!(ResumeState::decode(bad).is_err(), "{bad:?}");
        }
    }
}
