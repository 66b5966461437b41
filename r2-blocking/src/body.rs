//! Response bodies: on the wire, or whole in memory (recorded or replayed).

use std::io::{Cursor, Read};

use bytes::Bytes;

use crate::http1::WireBody;

/// A response body, read through [`Read`].
#[derive(Debug)]
pub(crate) enum ResponseBody {
    /// Still on the connection.
    Wire(Box<WireBody>),
    /// In memory: read whole while recording, or from a cassette.
    Whole(Cursor<Bytes>),
    /// The answer has no body.
    Empty,
}

impl ResponseBody {
    /// A body on the wire, or none.
    pub(crate) fn wire(body: Option<WireBody>) -> Self {
        body.map_or(Self::Empty, |body| Self::Wire(Box::new(body)))
    }

    /// A body in memory.
    pub(crate) fn whole(bytes: Bytes) -> Self {
        Self::Whole(Cursor::new(bytes))
    }
}

impl Read for ResponseBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Wire(body) => body.read(buf),
            Self::Whole(cursor) => cursor.read(buf),
            Self::Empty => Ok(0),
        }
    }
}
