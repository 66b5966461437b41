//! A cassette: the interactions of one test, as a pretty-printed JSON
//! document in the order the requests were issued, headers sorted by name,
//! so that a re-recording reviews as a small diff.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::interaction::{Interaction, RecordedOutcome};

/// The format a cassette names in its `format` field.
pub const CASSETTE_FORMAT: &str = "r2-cassette/1";

/// The recorded interactions of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cassette {
    /// Always [`CASSETTE_FORMAT`].
    pub format: String,
    /// The interactions, by `seq`.
    pub interactions: Vec<Interaction>,
}

impl Default for Cassette {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

/// A cassette that cannot be read, written or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CassetteError {
    /// The file could not be read or written.
    #[error("cassette {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        message: String,
    },
    /// The text is not a cassette (bad JSON or a missing field).
    #[error("not a cassette: {0}")]
    Malformed(String),
    /// The cassette names a format this version does not read.
    #[error("cassette format {found:?} is not {CASSETTE_FORMAT:?}")]
    Format {
        /// The format it names.
        found: String,
    },
    /// An interaction's response cannot be rebuilt (bad status, header or base64).
    #[error("interaction {seq}: {message}")]
    Invalid {
        /// The interaction's `seq`.
        seq: u64,
        /// What is wrong with it.
        message: String,
    },
}

impl Cassette {
    /// A cassette of `interactions`, ordered by `seq`.
    pub fn new(mut interactions: Vec<Interaction>) -> Self {
        interactions.sort_by_key(|i| i.seq);
        Self {
            format: CASSETTE_FORMAT.to_owned(),
            interactions,
        }
    }

    /// The cassette as pretty-printed JSON, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a cassette from JSON text.
    pub fn from_json(text: &str) -> Result<Self, CassetteError> {
        let cassette: Self =
            serde_json::from_str(text).map_err(|e| CassetteError::Malformed(e.to_string()))?;
        if cassette.format != CASSETTE_FORMAT {
            return Err(CassetteError::Format {
                found: cassette.format,
            });
        }
        Ok(Self::new(cassette.interactions))
    }

    /// Writes the cassette to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CassetteError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json()).map_err(|e| io_error(path, &e))
    }

    /// Reads the cassette at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CassetteError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| io_error(path, &e))?;
        Self::from_json(&text)
    }

    /// How many interactions ended in a response with each status, and in
    /// a transport failure (`0`), for a summary line.
    pub fn statuses(&self) -> std::collections::BTreeMap<u16, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for interaction in &self.interactions {
            let status = match &interaction.outcome {
                RecordedOutcome::Response(response) => response.status,
                RecordedOutcome::Error(_) => 0,
            };
            *counts.entry(status).or_insert(0) += 1;
        }
        counts
    }
}

fn io_error(path: &Path, error: &std::io::Error) -> CassetteError {
    CassetteError::Io {
        path: path.display().to_string(),
        message: error.to_string(),
    }
}
