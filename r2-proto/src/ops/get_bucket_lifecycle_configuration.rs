//! GetBucketLifecycleConfiguration: read a bucket's lifecycle rules.
//!
//! Read-only lifecycle awareness: r2 reads the rules (for example to warn
//! that unfinished multipart uploads are aborted after N days) and never
//! writes them.

use bytes::Bytes;
use http::{Method, Response};
use time::OffsetDateTime;

use super::builder::RequestBuilder;
use super::document::Document;
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{BucketError, ErrorContext, R2Error};
use crate::model::StorageClass;
use crate::names::BucketName;

/// When a rule acts: after a number of days, or on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleExpiration {
    /// Days after the object's creation.
    Days(u32),
    /// On this date.
    Date(OffsetDateTime),
}

/// A transition to another storage class.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LifecycleTransition {
    /// When.
    pub when: Option<LifecycleExpiration>,
    /// To which class (`STANDARD_IA` on R2).
    pub storage_class: Option<StorageClass>,
}

/// One lifecycle rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LifecycleRule {
    /// The rule's id.
    pub id: Option<String>,
    /// True when `Status` is `Enabled`.
    pub enabled: bool,
    /// The key prefix the rule applies to (`None` or empty: every key).
    pub prefix: Option<String>,
    /// When objects are deleted.
    pub expiration: Option<LifecycleExpiration>,
    /// Days after which unfinished multipart uploads are aborted.
    pub abort_incomplete_multipart_upload_days: Option<u32>,
    /// Storage class transitions.
    pub transitions: Vec<LifecycleTransition>,
}

/// Reads the lifecycle rules of a bucket. A bucket without rules
/// (`NoSuchLifecycleConfiguration`) gives an empty list, not an error.
///
/// ```
/// use r2_proto::ops::{GetBucketLifecycleConfiguration, LifecycleExpiration, Operation};
/// use r2_proto::BucketName;
///
/// let get = GetBucketLifecycleConfiguration::new(BucketName::new("logs")?);
/// let body = "<LifecycleConfiguration><Rule><ID>expire</ID><Status>Enabled</Status>\
///             <Filter><Prefix>tmp/</Prefix></Filter><Expiration><Days>30</Days></Expiration></Rule>\
///             </LifecycleConfiguration>";
/// let response = http::Response::builder().status(200).body(bytes::Bytes::from(body))?;
/// let rules = get.parse(&response)?;
/// assert_eq!(rules[0].prefix.as_deref(), Some("tmp/"));
/// assert_eq!(rules[0].expiration, Some(LifecycleExpiration::Days(30)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetBucketLifecycleConfiguration {
    bucket: BucketName,
}

impl GetBucketLifecycleConfiguration {
    /// Reads the rules of `bucket`.
    pub fn new(bucket: impl Into<BucketName>) -> Self {
        Self {
            bucket: bucket.into(),
        }
    }
}

fn read_when(
    doc: &mut Document<'_>,
) -> Result<(Option<LifecycleExpiration>, Option<StorageClass>), R2Error> {
    let (mut when, mut class) = (None, None);
    while let Some(field) = doc.next()? {
        match field.name() {
            b"Days" => when = Some(LifecycleExpiration::Days(doc.number(field, "Days")?)),
            b"Date" => when = Some(LifecycleExpiration::Date(doc.date(field, "Date")?)),
            b"StorageClass" => class = Some(StorageClass::parse(&doc.text(field)?)),
            _ => doc.skip(field)?,
        }
    }
    Ok((when, class))
}

/// Reads a `<Filter>` (or its `<And>`) for the prefix.
fn read_filter(doc: &mut Document<'_>) -> Result<Option<String>, R2Error> {
    let mut prefix = None;
    while let Some(field) = doc.next()? {
        match field.name() {
            b"Prefix" => prefix = Some(doc.string(field)?),
            b"And" => prefix = read_filter(doc)?.or(prefix),
            _ => doc.skip(field)?,
        }
    }
    Ok(prefix)
}

fn read_rule(doc: &mut Document<'_>) -> Result<LifecycleRule, R2Error> {
    let mut rule = LifecycleRule {
        id: None,
        enabled: false,
        prefix: None,
        expiration: None,
        abort_incomplete_multipart_upload_days: None,
        transitions: Vec::new(),
    };
    while let Some(field) = doc.next()? {
        match field.name() {
            b"ID" => rule.id = Some(doc.string(field)?),
            b"Status" => rule.enabled = doc.text(field)?.trim() == "Enabled",
            b"Prefix" => rule.prefix = Some(doc.string(field)?),
            b"Filter" => rule.prefix = read_filter(doc)?.or(rule.prefix.take()),
            b"Expiration" => rule.expiration = read_when(doc)?.0,
            b"Transition" => {
                let (when, storage_class) = read_when(doc)?;
                rule.transitions.push(LifecycleTransition {
                    when,
                    storage_class,
                });
            }
            b"AbortIncompleteMultipartUpload" => {
                while let Some(inner) = doc.next()? {
                    match inner.name() {
                        b"DaysAfterInitiation" => {
                            rule.abort_incomplete_multipart_upload_days =
                                Some(doc.number(inner, "DaysAfterInitiation")?);
                        }
                        _ => doc.skip(inner)?,
                    }
                }
            }
            _ => doc.skip(field)?,
        }
    }
    Ok(rule)
}

impl Operation for GetBucketLifecycleConfiguration {
    type Output = Vec<LifecycleRule>;
    const NAME: OperationName = OperationName::GetBucketLifecycleConfiguration;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        let mut builder = RequestBuilder::bucket(Self::NAME, Method::GET, &self.bucket);
        builder.subresource("lifecycle");
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<Vec<LifecycleRule>, R2Error> {
        let context = ErrorContext::bucket(Self::NAME, self.bucket.as_str());
        let mut doc = match Document::open(&context, response, &["LifecycleConfiguration"]) {
            Ok(doc) => doc,
            Err(R2Error::Bucket(BucketError::NoSuchLifecycleConfiguration(_))) => {
                return Ok(Vec::new());
            }
            Err(e) => return Err(e),
        };
        let mut rules = Vec::new();
        while let Some(child) = doc.next()? {
            match child.name() {
                b"Rule" => rules.push(read_rule(&mut doc)?),
                _ => doc.skip(child)?,
            }
        }
        doc.finish()?;
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn parse(status: u16, body: &str) -> Result<Vec<LifecycleRule>, R2Error> {
        let response = Response::builder()
            .status(status)
            .body(Bytes::from(body.to_owned()))
            .unwrap();
        GetBucketLifecycleConfiguration::new(BucketName::new("logs").unwrap()).parse(&response)
    }

    #[test]
    fn reads_r2_rules() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Rule><ID>Default Multipart Abort Rule</ID><Status>Enabled</Status>
    <Filter><Prefix></Prefix></Filter>
    <AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>
  </Rule>
  <Rule><ID>archive</ID><Status>Disabled</Status>
    <Filter><And><Prefix>logs/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>
    <Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration>
    <Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>
  </Rule>
  <Rule><Prefix>legacy/</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>
</LifecycleConfiguration>"#;
        let rules = parse(200, body).unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].id.as_deref(), Some("Default Multipart Abort Rule"));
        assert!(rules[0].enabled);
        assert_eq!(rules[0].prefix.as_deref(), Some(""));
        assert_eq!(rules[0].abort_incomplete_multipart_upload_days, Some(7));
        assert!(!rules[1].enabled);
        assert_eq!(rules[1].prefix.as_deref(), Some("logs/"));
        assert_eq!(
            rules[1].expiration,
            Some(LifecycleExpiration::Date(datetime!(2030-01-01 0:00 UTC)))
        );
        assert_eq!(
            rules[1].transitions,
            [LifecycleTransition {
                when: Some(LifecycleExpiration::Days(30)),
                storage_class: Some(StorageClass::StandardIa),
            }]
        );
        assert_eq!(rules[2].prefix.as_deref(), Some("legacy/"));
        assert_eq!(rules[2].expiration, Some(LifecycleExpiration::Days(1)));
    }

    #[test]
    fn no_rules_is_an_empty_list() {
        let body =
            "<Error><Code>NoSuchLifecycleConfiguration</Code><Message>none</Message></Error>";
        assert_eq!(parse(404, body).unwrap(), []);
        assert_eq!(parse(200, "<LifecycleConfiguration/>").unwrap(), []);
        assert!(
            parse(
                403,
                "<Error><Code>AccessDenied</Code><Message>no</Message></Error>"
            )
            .is_err()
        );
        assert!(parse(200, "<LifecycleConfiguration><Rule><Expiration><Days>x</Days></Expiration></Rule></LifecycleConfiguration>").is_err());
    }

    #[test]
    fn asks_for_the_lifecycle_subresource() {
        let get = GetBucketLifecycleConfiguration::new(BucketName::new("logs").unwrap());
        let prepared = get
            .to_request(&Endpoint::parse("https://h.example").unwrap())
            .unwrap();
        assert_eq!(
            prepared.uri().to_string(),
            "https://h.example/logs?lifecycle"
        );
    }
}
