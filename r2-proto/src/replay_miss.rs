//! What a replay reports when its cassette holds no answer for a request:
//! the request and the recorded exchange nearest to it.

use std::fmt;

/// A request the cassette holds no answer for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayMiss {
    /// The request, as `Operation bucket/key: METHOD /path?query`.
    pub request: String,
    /// The recorded interaction closest to it, if the cassette has any.
    pub nearest: Option<NearestExchange>,
}

/// The recorded interaction most like an unmatched request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearestExchange {
    /// Its `seq`.
    pub seq: u64,
    /// Its summary.
    pub summary: String,
    /// How the request differs from it (empty when it matched but had
    /// already answered).
    pub differences: Vec<String>,
}

impl fmt::Display for ReplayMiss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no recorded exchange answers {}", self.request)?;
        match &self.nearest {
            None => write!(f, "; the cassette is empty"),
            Some(nearest) if nearest.differences.is_empty() => write!(
                f,
                "; #{} ({}) matches but was already replayed",
                nearest.seq, nearest.summary
            ),
            Some(nearest) => write!(
                f,
                "; nearest is #{} ({}): {}",
                nearest.seq,
                nearest.summary,
                nearest.differences.join("; ")
            ),
        }
    }
}
