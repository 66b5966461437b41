//! ListObjectsV2: list a bucket's keys, a page at a time, and a paginator
//! that yields each next request from the previous output.

use bytes::Bytes;
use http::{Method, Response};
use time::OffsetDateTime;

use super::builder::RequestBuilder;
use super::document::Document;
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error, ResponseError, ResponseProblem};
use crate::model::{ETag, StorageClass};
use crate::names::BucketName;
use crate::percent;

/// Lists keys. Always asks for `encoding-type=url`, so that keys holding
/// characters XML cannot carry survive, and decodes keys and prefixes back.
///
/// ```
/// use r2_proto::ops::{ListObjectsV2, Operation};
/// use r2_proto::{BucketName, Endpoint};
///
/// let list = ListObjectsV2::new(BucketName::new("photos")?)
///     .prefix("2024/")
///     .delimiter("/")
///     .max_keys(100);
/// let prepared = list.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(
///     prepared.uri().query(),
///     Some("list-type=2&encoding-type=url&prefix=2024%2F&delimiter=%2F&max-keys=100")
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListObjectsV2 {
    bucket: BucketName,
    prefix: Option<String>,
    delimiter: Option<String>,
    max_keys: Option<u32>,
    continuation_token: Option<String>,
    start_after: Option<String>,
    fetch_owner: bool,
}

/// An object's owner (with `fetch-owner`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Owner {
    /// Canonical id.
    pub id: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
}

/// One key of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectSummary {
    /// The key.
    pub key: String,
    /// Last modification time.
    pub last_modified: Option<OffsetDateTime>,
    /// ETag.
    pub etag: Option<ETag>,
    /// Size in bytes.
    pub size: u64,
    /// Storage class.
    pub storage_class: Option<StorageClass>,
    /// Owner, when asked for.
    pub owner: Option<Owner>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListObjectsV2Output {
    /// The bucket's name as the server echoed it.
    pub name: Option<String>,
    /// The prefix listed.
    pub prefix: Option<String>,
    /// The delimiter used.
    pub delimiter: Option<String>,
    /// Keys on this page.
    pub contents: Vec<ObjectSummary>,
    /// Prefixes rolled up at the delimiter.
    pub common_prefixes: Vec<String>,
    /// True when more pages follow.
    pub is_truncated: bool,
    /// The token of the next page.
    pub next_continuation_token: Option<String>,
    /// The token this page was asked with.
    pub continuation_token: Option<String>,
    /// `start-after` as echoed.
    pub start_after: Option<String>,
    /// Keys plus common prefixes on this page.
    pub key_count: Option<u32>,
    /// The page size limit.
    pub max_keys: Option<u32>,
}

impl ObjectSummary {
    /// The listed key as an [`ObjectKey`](crate::ObjectKey), to act on the object (a key a
    /// server lists is always a valid one; the check is kept all the same).
    pub fn object_key(&self) -> Result<crate::names::ObjectKey, crate::error::RequestError> {
        crate::names::ObjectKey::new(self.key.as_str())
    }
}

impl ListObjectsV2 {
    /// Lists `bucket`.
    pub fn new(bucket: impl Into<BucketName>) -> Self {
        Self {
            bucket: bucket.into(),
            prefix: None,
            delimiter: None,
            max_keys: None,
            continuation_token: None,
            start_after: None,
            fetch_owner: false,
        }
    }

    /// Only keys starting with `prefix`.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Rolls keys up into common prefixes at `delimiter` (usually `/`).
    #[must_use]
    pub fn delimiter(mut self, delimiter: impl Into<String>) -> Self {
        self.delimiter = Some(delimiter.into());
        self
    }

    /// At most `n` keys per page (1..=1000; R2's default is 1000).
    #[must_use]
    pub fn max_keys(mut self, n: u32) -> Self {
        self.max_keys = Some(n);
        self
    }

    /// Continues a listing from a previous page's token.
    #[must_use]
    pub fn continuation_token(mut self, token: impl Into<String>) -> Self {
        self.continuation_token = Some(token.into());
        self
    }

    /// Starts after this key.
    #[must_use]
    pub fn start_after(mut self, key: impl Into<String>) -> Self {
        self.start_after = Some(key.into());
        self
    }

    /// Includes each key's owner.
    #[must_use]
    pub fn fetch_owner(mut self, fetch: bool) -> Self {
        self.fetch_owner = fetch;
        self
    }

    /// The bucket.
    pub fn bucket(&self) -> &BucketName {
        &self.bucket
    }

    /// A paginator over every page of this listing.
    pub fn pages(self) -> ListPages {
        ListPages { next: Some(self) }
    }
}

/// Reads `<Owner>`.
fn read_owner(doc: &mut Document<'_>) -> Result<Owner, R2Error> {
    let mut owner = Owner::default();
    while let Some(field) = doc.next()? {
        match field.name() {
            b"ID" => owner.id = Some(doc.string(field)?),
            b"DisplayName" => owner.display_name = Some(doc.string(field)?),
            _ => doc.skip(field)?,
        }
    }
    Ok(owner)
}

/// True when `body` holds `<EncodingType>url</EncodingType>`. A literal `<`
/// cannot occur in element text, so no key can fake it; a prefixed or
/// spaced form is still found by the parse itself, just later.
pub(crate) fn declares_url_encoding(body: &[u8]) -> bool {
    memchr::memmem::find(body, b"<EncodingType>url</EncodingType>").is_some()
}

/// Reads one `<Contents>`, decoding the key right away when the listing
/// is known to be URL-encoded.
fn read_summary(doc: &mut Document<'_>, decode_keys: bool) -> Result<ObjectSummary, R2Error> {
    let mut summary = ObjectSummary {
        key: String::new(),
        last_modified: None,
        etag: None,
        size: 0,
        storage_class: None,
        owner: None,
    };
    let mut has_key = false;
    while let Some(field) = doc.next()? {
        match field.name() {
            b"Key" => {
                let text = doc.text(field)?;
                summary.key = if decode_keys {
                    decode_value(OperationName::ListObjectsV2, "Key", &text)?
                } else {
                    text.into_owned()
                };
                has_key = true;
            }
            b"LastModified" => summary.last_modified = Some(doc.date(field, "LastModified")?),
            b"ETag" => summary.etag = Some(ETag::new(doc.string(field)?)),
            b"Size" => summary.size = doc.number(field, "Size")?,
            b"StorageClass" => summary.storage_class = Some(StorageClass::parse(&doc.text(field)?)),
            b"Owner" => summary.owner = Some(read_owner(doc)?),
            _ => doc.skip(field)?,
        }
    }
    if !has_key {
        return Err(doc.missing("Key"));
    }
    Ok(summary)
}

/// Reads `<CommonPrefixes><Prefix>…</Prefix></CommonPrefixes>`.
pub(crate) fn read_common_prefix(doc: &mut Document<'_>) -> Result<Option<String>, R2Error> {
    let mut prefix = None;
    while let Some(field) = doc.next()? {
        match field.name() {
            b"Prefix" => prefix = Some(doc.string(field)?),
            _ => doc.skip(field)?,
        }
    }
    Ok(prefix)
}

/// Decodes a value of an `encoding-type=url` listing: `%XX` escapes, and
/// `+` as a space (a literal `+` arrives as `%2B`).
pub(crate) fn decode_value(
    operation: OperationName,
    element: &'static str,
    value: &str,
) -> Result<String, R2Error> {
    percent::decode_form(value).ok_or_else(|| {
        R2Error::from(ResponseError {
            operation,
            problem: ResponseProblem::InvalidElement {
                element,
                value: value.to_owned(),
            },
        })
    })
}

/// Decodes `value` in place (see [`decode_value`]).
pub(crate) fn url_decode(
    operation: OperationName,
    element: &'static str,
    value: &mut String,
) -> Result<(), R2Error> {
    if memchr::memchr2(b'+', b'%', value.as_bytes()).is_some() {
        *value = decode_value(operation, element, value)?;
    }
    Ok(())
}

impl Operation for ListObjectsV2 {
    type Output = ListObjectsV2Output;
    const NAME: OperationName = OperationName::ListObjectsV2;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        let mut builder = RequestBuilder::bucket(Self::NAME, Method::GET, &self.bucket);
        builder.query("list-type", "2");
        builder.query("encoding-type", "url");
        builder.query_opt("prefix", self.prefix.as_deref());
        builder.query_opt("delimiter", self.delimiter.as_deref());
        builder.page_size("max-keys", self.max_keys)?;
        builder.query_opt("continuation-token", self.continuation_token.as_deref());
        builder.query_opt("start-after", self.start_after.as_deref());
        if self.fetch_owner {
            builder.query("fetch-owner", "true");
        }
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<ListObjectsV2Output, R2Error> {
        let context = ErrorContext::bucket(Self::NAME, self.bucket.as_str());
        let mut doc = Document::open(&context, response, &["ListBucketResult"])?;
        let mut out = ListObjectsV2Output::default();
        let keys_decoded = declares_url_encoding(response.body());
        let mut url_encoded = false;
        while let Some(child) = doc.next()? {
            match child.name() {
                b"Contents" => {
                    if out.contents.capacity() == 0 {
                        let hint = out.key_count.or(out.max_keys).unwrap_or(0).min(1000);
                        out.contents.reserve(hint as usize);
                    }
                    out.contents.push(read_summary(&mut doc, keys_decoded)?);
                }
                b"CommonPrefixes" => {
                    if let Some(prefix) = read_common_prefix(&mut doc)? {
                        out.common_prefixes.push(prefix);
                    }
                }
                b"Name" => out.name = Some(doc.string(child)?),
                b"Prefix" => out.prefix = Some(doc.string(child)?),
                b"Delimiter" => out.delimiter = Some(doc.string(child)?),
                b"IsTruncated" => out.is_truncated = doc.boolean(child, "IsTruncated")?,
                b"NextContinuationToken" => out.next_continuation_token = Some(doc.string(child)?),
                b"ContinuationToken" => out.continuation_token = Some(doc.string(child)?),
                b"StartAfter" => out.start_after = Some(doc.string(child)?),
                b"KeyCount" => out.key_count = Some(doc.number(child, "KeyCount")?),
                b"MaxKeys" => out.max_keys = Some(doc.number(child, "MaxKeys")?),
                b"EncodingType" => url_encoded = doc.text(child)?.trim() == "url",
                _ => doc.skip(child)?,
            }
        }
        doc.finish()?;
        if url_encoded {
            if !keys_decoded {
                for summary in &mut out.contents {
                    url_decode(Self::NAME, "Key", &mut summary.key)?;
                }
            }
            for prefix in &mut out.common_prefixes {
                url_decode(Self::NAME, "Prefix", prefix)?;
            }
            for (element, value) in [
                ("Prefix", &mut out.prefix),
                ("Delimiter", &mut out.delimiter),
                ("StartAfter", &mut out.start_after),
            ] {
                if let Some(value) = value {
                    url_decode(Self::NAME, element, value)?;
                }
            }
        }
        Ok(out)
    }
}

/// Every page of a listing, without I/O: ask for [`next_request`](Self::next_request),
/// send it, feed the output to [`advance`](Self::advance), repeat until
/// `next_request` is `None`.
///
/// ```
/// use r2_proto::ops::{ListObjectsV2, ListObjectsV2Output};
/// use r2_proto::BucketName;
///
/// let mut pages = ListObjectsV2::new(BucketName::new("photos")?).max_keys(2).pages();
/// assert!(pages.next_request().is_some());
/// let mut first = ListObjectsV2Output::default();
/// first.is_truncated = true;
/// first.next_continuation_token = Some("t1".into());
/// pages.advance(&first)?;
/// assert!(pages.next_request().is_some());
/// pages.advance(&ListObjectsV2Output::default())?; // last page: not truncated
/// assert!(pages.next_request().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ListPages {
    next: Option<ListObjectsV2>,
}

impl ListPages {
    /// The request for the next page, or `None` when the listing is done.
    pub fn next_request(&self) -> Option<&ListObjectsV2> {
        self.next.as_ref()
    }

    /// Takes the output of the page last requested. A truncated page without
    /// a token, or a token seen before, is an error rather than a loop.
    pub fn advance(&mut self, output: &ListObjectsV2Output) -> Result<(), R2Error> {
        let Some(request) = self.next.take() else {
            return Ok(());
        };
        if !output.is_truncated {
            return Ok(());
        }
        let stuck = |reason| {
            R2Error::from(ResponseError {
                operation: OperationName::ListObjectsV2,
                problem: ResponseProblem::StuckPagination(reason),
            })
        };
        let token = output
            .next_continuation_token
            .clone()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| stuck("truncated page without NextContinuationToken"))?;
        if request.continuation_token.as_ref() == Some(&token) {
            return Err(stuck("the same continuation token twice"));
        }
        self.next = Some(request.continuation_token(token));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn list() -> ListObjectsV2 {
        ListObjectsV2::new(BucketName::new("bkt").unwrap())
    }

    #[test]
    fn max_keys_is_checked() {
        let endpoint = Endpoint::parse("https://h.example").unwrap();
        for bad in [0, 1001] {
            assert!(list().max_keys(bad).to_request(&endpoint).is_err());
        }
        assert!(
            list()
                .max_keys(1000)
                .fetch_owner(true)
                .start_after("a")
                .to_request(&endpoint)
                .is_ok()
        );
    }

    #[test]
    fn pagination_follows_tokens_and_refuses_loops() {
        let mut pages = list().pages();
        let page = |token: Option<&str>| ListObjectsV2Output {
            is_truncated: true,
            next_continuation_token: token.map(str::to_owned),
            ..ListObjectsV2Output::default()
        };
        pages.advance(&page(Some("a"))).unwrap();
        assert_eq!(
            pages.next_request().unwrap().continuation_token.as_deref(),
            Some("a")
        );
        assert!(pages.clone().advance(&page(Some("a"))).is_err());
        assert!(pages.clone().advance(&page(None)).is_err());
        assert!(pages.clone().advance(&page(Some(""))).is_err());
        pages.advance(&page(Some("b"))).unwrap();
        pages.advance(&ListObjectsV2Output::default()).unwrap();
        assert!(pages.next_request().is_none());
        pages.advance(&page(Some("c"))).unwrap();
        assert!(pages.next_request().is_none());
    }

    proptest! {
        /// Keys encoded as `encoding-type=url` decode back to themselves,
        /// whichever way the server wrote spaces.
        #[test]
        fn url_encoded_keys_round_trip(key in "\\PC{1,60}", plus_for_space in any::<bool>()) {
            let mut encoded = percent::encode_component(&key);
            if plus_for_space {
                encoded = encoded.replace("%20", "+");
            }
            url_decode(OperationName::ListObjectsV2, "Key", &mut encoded).unwrap();
            prop_assert_eq!(encoded, key);
        }
    }
}
