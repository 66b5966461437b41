//! A built request, before and after signing.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Uri};
use time::OffsetDateTime;

use super::OperationName;
use crate::error::SignError;
use crate::names::{BucketName, ObjectKey};
use crate::sign::{PayloadHash, PresignedRequest, Signer};

/// The body of a request the core built.
#[derive(Clone, PartialEq, Eq)]
pub enum RequestBody {
    /// No body.
    Empty,
    /// A body the core holds: an XML document, or bytes handed over by the caller.
    Bytes(Bytes),
    /// A body the core holds in pieces, sent one after the other (a short
    /// stream gathered part by part before it was known to be short).
    Chunks(Vec<Bytes>),
    /// A body the adapter streams from its source; the core knows its length,
    /// which is sent as `Content-Length`.
    Stream {
        /// The exact number of bytes the adapter must send.
        content_length: u64,
    },
}

impl RequestBody {
    /// The pieces of the body the core holds, to send one after the other
    /// without copying them together (none for `Empty` and `Stream`).
    pub fn pieces(&self) -> &[Bytes] {
        match self {
            Self::Empty | Self::Stream { .. } => &[],
            Self::Bytes(bytes) => std::slice::from_ref(bytes),
            Self::Chunks(chunks) => chunks,
        }
    }

    /// The number of bytes the body holds.
    pub fn content_length(&self) -> u64 {
        match self {
            Self::Empty => 0,
            Self::Bytes(bytes) => bytes.len() as u64,
            Self::Chunks(chunks) => chunks.iter().map(|c| c.len() as u64).sum(),
            Self::Stream { content_length } => *content_length,
        }
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("Empty"),
            Self::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            Self::Chunks(chunks) => write!(
                f,
                "Chunks({} chunks, {} bytes)",
                chunks.len(),
                self.content_length()
            ),
            Self::Stream { content_length } => write!(f, "Stream({content_length} bytes)"),
        }
    }
}

/// What a request is for: carried as an extension of every signed request
/// ([`http::Request::extensions`]), so that an adapter can name the
/// operation, bucket and key in its spans, metrics and cassettes without
/// parsing the URL back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestInfo {
    /// The operation.
    pub operation: OperationName,
    /// The bucket (`None` for ListBuckets).
    pub bucket: Option<BucketName>,
    /// The key, for requests on one object.
    pub key: Option<ObjectKey>,
}

impl RequestInfo {
    /// The info a signed request carries, if the core built it.
    pub fn of<B>(request: &Request<B>) -> Option<&Self> {
        request.extensions().get::<Arc<Self>>().map(Arc::as_ref)
    }
}

/// An operation's request, built and unsigned, with the payload hash it is
/// to be signed with. Sign a fresh copy for each attempt.
#[derive(Debug)]
pub struct PreparedRequest {
    pub(crate) info: Arc<RequestInfo>,
    pub(crate) request: Request<RequestBody>,
    pub(crate) payload: PayloadHash,
}

impl PreparedRequest {
    /// The operation.
    pub fn operation(&self) -> OperationName {
        self.info.operation
    }

    /// What the request is for.
    pub fn info(&self) -> &RequestInfo {
        &self.info
    }

    /// The bucket the request acts on (`None` for ListBuckets): what
    /// per-bucket breakers and rate limits key on.
    pub fn bucket(&self) -> Option<&BucketName> {
        self.info.bucket.as_ref()
    }

    /// The unsigned request.
    pub fn request(&self) -> &Request<RequestBody> {
        &self.request
    }

    /// The method.
    pub fn method(&self) -> &Method {
        self.request.method()
    }

    /// The URI.
    pub fn uri(&self) -> &Uri {
        self.request.uri()
    }

    /// The headers, before signing.
    pub fn headers(&self) -> &HeaderMap {
        self.request.headers()
    }

    /// The body.
    pub fn body(&self) -> &RequestBody {
        self.request.body()
    }

    /// The payload hash it is signed with.
    pub fn payload(&self) -> &PayloadHash {
        &self.payload
    }

    /// A signed copy at `now`, ready to send, carrying its [`RequestInfo`]
    /// as an extension. The body is cloned cheaply (`Bytes`), so a retry
    /// signs again with a fresh time.
    pub fn sign(
        &self,
        signer: &Signer,
        now: OffsetDateTime,
    ) -> Result<Request<RequestBody>, SignError> {
        let mut copy = Request::new(self.request.body().clone());
        *copy.method_mut() = self.request.method().clone();
        *copy.uri_mut() = self.request.uri().clone();
        *copy.version_mut() = self.request.version();
        *copy.headers_mut() = self.request.headers().clone();
        copy.extensions_mut().insert(Arc::clone(&self.info));
        signer.sign(&mut copy, &self.payload, now)?;
        Ok(copy)
    }

    /// A presigned URL for this request, valid for `expires_in` (1 s to 7
    /// days). Its headers (content type, metadata, integrity header) are
    /// bound into the signature and must be sent by the URL's user; no
    /// checksum is added that the request did not carry.
    pub fn presign(
        &self,
        signer: &Signer,
        expires_in: Duration,
        now: OffsetDateTime,
    ) -> Result<PresignedRequest, SignError> {
        signer.presign(&self.request, expires_in, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_lengths_and_debug() {
        assert_eq!(RequestBody::Empty.content_length(), 0);
        assert_eq!(
            RequestBody::Bytes(Bytes::from_static(b"abc")).content_length(),
            3
        );
        assert_eq!(
            RequestBody::Stream { content_length: 9 }.content_length(),
            9
        );
        assert_eq!(
            format!("{:?}", RequestBody::Bytes(Bytes::from_static(b"secret"))),
            "Bytes(6 bytes)"
        );
        assert_eq!(
            format!("{:?}", RequestBody::Stream { content_length: 9 }),
            "Stream(9 bytes)"
        );
        assert_eq!(format!("{:?}", RequestBody::Empty), "Empty");
        let chunks = RequestBody::Chunks(vec![Bytes::from_static(b"ab"), Bytes::from_static(b"c")]);
        assert_eq!(chunks.content_length(), 3);
        assert_eq!(format!("{chunks:?}"), "Chunks(2 chunks, 3 bytes)");
    }
}
