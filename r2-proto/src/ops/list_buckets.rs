//! ListBuckets: the account's buckets.

use bytes::Bytes;
use http::{Method, Response};
use time::OffsetDateTime;

use super::builder::RequestBuilder;
use super::document::Document;
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error};
use crate::response_headers::ResponseHeaders;

/// Lists the account's buckets, with R2's pagination (`prefix`,
/// `start-after`, `continuation-token`, `max-keys`). Tokens scoped to one
/// bucket may not list buckets (403).
///
/// ```
/// use r2_proto::ops::{ListBuckets, Operation};
/// use r2_proto::Endpoint;
///
/// let list = ListBuckets::new().prefix("logs-").max_keys(10);
/// let prepared = list.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.uri().path(), "/");
/// assert_eq!(prepared.uri().query(), Some("prefix=logs-&max-keys=10"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListBuckets {
    prefix: Option<String>,
    start_after: Option<String>,
    continuation_token: Option<String>,
    max_keys: Option<u32>,
}

/// One bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BucketSummary {
    /// The bucket's name.
    pub name: String,
    /// When it was created.
    pub creation_date: Option<OffsetDateTime>,
}

/// One page of buckets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListBucketsOutput {
    /// The buckets.
    pub buckets: Vec<BucketSummary>,
    /// True when more pages follow (R2's `cf-is-truncated`).
    pub is_truncated: bool,
    /// The next page's token (R2's `cf-next-continuation-token`, or S3's `<ContinuationToken>`).
    pub next_continuation_token: Option<String>,
}

impl ListBuckets {
    /// Lists every bucket.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only buckets whose names start with `prefix`.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Starts after this bucket name.
    #[must_use]
    pub fn start_after(mut self, name: impl Into<String>) -> Self {
        self.start_after = Some(name.into());
        self
    }

    /// Continues from a previous page's token.
    #[must_use]
    pub fn continuation_token(mut self, token: impl Into<String>) -> Self {
        self.continuation_token = Some(token.into());
        self
    }

    /// At most `n` buckets per page (1..=1000).
    #[must_use]
    pub fn max_keys(mut self, n: u32) -> Self {
        self.max_keys = Some(n);
        self
    }
}

impl Operation for ListBuckets {
    type Output = ListBucketsOutput;
    const NAME: OperationName = OperationName::ListBuckets;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        let mut builder = RequestBuilder::service(Self::NAME, Method::GET);
        builder.query_opt("prefix", self.prefix.as_deref());
        builder.query_opt("start-after", self.start_after.as_deref());
        builder.query_opt("continuation-token", self.continuation_token.as_deref());
        builder.page_size("max-keys", self.max_keys)?;
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<ListBucketsOutput, R2Error> {
        let context = ErrorContext {
            operation: Self::NAME,
            bucket: None,
            key: None,
            upload_id: None,
        };
        let mut doc = Document::open(&context, response, &["ListAllMyBucketsResult"])?;
        let mut out = ListBucketsOutput::default();
        while let Some(child) = doc.next()? {
            match child.name() {
                b"Buckets" => {
                    while let Some(bucket) = doc.next()? {
                        if bucket.name() != b"Bucket" {
                            doc.skip(bucket)?;
                            continue;
                        }
                        let (mut name, mut creation_date) = (None, None);
                        while let Some(field) = doc.next()? {
                            match field.name() {
                                b"Name" => name = Some(doc.string(field)?),
                                b"CreationDate" => {
                                    creation_date = Some(doc.date(field, "CreationDate")?);
                                }
                                _ => doc.skip(field)?,
                            }
                        }
                        out.buckets.push(BucketSummary {
                            name: name.ok_or_else(|| doc.missing("Name"))?,
                            creation_date,
                        });
                    }
                }
                b"ContinuationToken" => out.next_continuation_token = Some(doc.string(child)?),
                _ => doc.skip(child)?,
            }
        }
        doc.finish()?;
        let headers = ResponseHeaders::new(response.headers(), Self::NAME);
        if let Some(token) = headers.text("cf-next-continuation-token") {
            out.next_continuation_token = Some(token);
        }
        out.is_truncated = headers.text("cf-is-truncated").as_deref() == Some("true")
            || out.next_continuation_token.is_some();
        Ok(out)
    }
}
