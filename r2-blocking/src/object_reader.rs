//! A GET body as a verified `Read`.

use std::io::Read;
use std::time::Instant;

use r2_proto::error::{R2Error, TransferError};
use r2_proto::model::ObjectMetadata;
use r2_proto::{ReadLimits, StreamCheck};

use crate::body::ResponseBody;
use crate::round_trip::Opened;
use crate::transport::body_error;

/// An object's body on its way in, read through [`Read`]. Every byte is
/// counted and hashed: the read that reaches the end fails, never silently,
/// if the body is shorter than `Content-Length` or, for a whole single-part
/// object, its MD5 or full-object checksum differs (an `io::Error` whose
/// inner error is the [`R2Error`]; [`ObjectReader::read_to_vec`] returns
/// the `R2Error` itself). A body that stalls (nothing for the client's
/// timeout, or slower than its low-speed limit while a read waits) fails
/// with a timeout.
pub struct ObjectReader {
    metadata: ObjectMetadata,
    body: ResponseBody,
    check: StreamCheck,
    idle: std::time::Duration,
    span: tracing::Span,
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReader")
            .field("metadata", &self.metadata)
            .field("check", &self.check)
            .finish_non_exhaustive()
    }
}

impl ObjectReader {
    pub(crate) fn new(metadata: ObjectMetadata, opened: Opened, limits: &ReadLimits) -> Self {
        let (status, headers) = (opened.response.status(), opened.response.headers());
        let check = StreamCheck::for_response(limits, status, headers, Instant::now());
        Self {
            metadata,
            body: opened.response.into_body(),
            check,
            idle: limits.idle,
            span: opened.trace.span().clone(),
        }
    }

    /// The object's metadata, from the response headers.
    pub fn metadata(&self) -> &ObjectMetadata {
        &self.metadata
    }

    /// Reads the rest of the body into memory.
    pub fn read_to_vec(mut self) -> Result<Vec<u8>, R2Error> {
        let mut all = Vec::new();
        self.read_to_end(&mut all).map_err(into_r2)?;
        Ok(all)
    }

    /// Copies the rest of the body to `sink`, returning the bytes copied.
    /// On error the sink holds a prefix of the body: the caller discards it.
    pub fn copy_to(mut self, sink: &mut impl std::io::Write) -> Result<u64, R2Error> {
        let mut buffer = vec![0u8; 256 << 10];
        let mut written = 0u64;
        loop {
            let n = self.read(&mut buffer).map_err(into_r2)?;
            if n == 0 {
                return Ok(written);
            }
            sink.write_all(buffer.get(..n).unwrap_or_default())
                .map_err(|e| TransferError::sink_failed(written, &e))?;
            written += n as u64;
        }
    }
}

/// The `R2Error` inside an `io::Error` from [`ObjectReader`].
fn into_r2(error: std::io::Error) -> R2Error {
    match error.downcast::<R2Error>() {
        Ok(inner) => inner,
        Err(other) => r2_proto::error::NetworkError::StreamInterrupted(other.to_string()).into(),
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.check.is_over() {
            return Ok(0);
        }
        self.check.resumed(Instant::now());
        match self.body.read(buf) {
            Ok(0) if !buf.is_empty() => {
                let _entered = self.span.enter();
                self.check
                    .ended()
                    .map(|()| 0)
                    .map_err(std::io::Error::other)
            }
            Ok(n) => {
                let piece = buf.get(..n).unwrap_or_default();
                match self.check.passed(piece, Instant::now()) {
                    Ok(()) => Ok(n),
                    Err(error) => Err(std::io::Error::other(error)),
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => Err(error),
            Err(error) => {
                let error = body_error(&error, self.idle);
                Err(std::io::Error::other(self.check.broke(error)))
            }
        }
    }
}
