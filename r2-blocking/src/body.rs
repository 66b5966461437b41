//! Response bodies: on the wire, or whole in memory (recorded or replayed).

use std::io::{Cursor, Read};

use bytes::Bytes;

/// A response body.
#[derive(Debug)]
pub(crate) enum ResponseBody {
    /// Still on the connection.
    Wire(ureq::Body),
    /// In memory: read whole while recording, or from a cassette.
    Whole(Bytes),
}

impl ResponseBody {
    /// The body as a reader.
    pub(crate) fn into_reader(self) -> BodyReader {
        match self {
            Self::Wire(body) => BodyReader::Wire(body.into_reader()),
            Self::Whole(bytes) => BodyReader::Whole(Cursor::new(bytes)),
        }
    }
}

/// A response body being read.
pub(crate) enum BodyReader {
    /// From the connection.
    Wire(ureq::BodyReader<'static>),
    /// From memory.
    Whole(Cursor<Bytes>),
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Wire(reader) => reader.read(buf),
            Self::Whole(cursor) => cursor.read(buf),
        }
    }
}
