//! DeleteObjects: remove up to 1000 objects in one request.

use bytes::Bytes;
use http::{Method, Response};

use super::builder::RequestBuilder;
use super::document::Document;
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error, RequestError};
use crate::names::{BucketName, ObjectKey};
use crate::xml::writer::{S3_NAMESPACE, element};

/// The most keys one DeleteObjects request may name.
pub const MAX_DELETE_KEYS: usize = 1000;

/// Removes 1 to 1000 objects. The body carries its `Content-MD5`, as S3
/// requires; keys are XML-escaped, control characters included. A key that
/// could not be deleted is reported in [`DeleteObjectsOutput::errors`], not
/// as an error of the whole request.
///
/// ```
/// use r2_proto::ops::{DeleteObjects, Operation};
/// use r2_proto::{BucketName, Endpoint, ObjectKey};
///
/// let keys = ["a.txt", "b&c.txt"].map(|k| ObjectKey::new(k).unwrap());
/// let delete = DeleteObjects::new(BucketName::new("tmp")?, keys).quiet(true);
/// let prepared = delete.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.uri().query(), Some("delete"));
/// assert!(prepared.headers().contains_key("content-md5"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DeleteObjects {
    bucket: BucketName,
    keys: Vec<ObjectKey>,
    quiet: bool,
}

/// A key the server deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeletedObject {
    /// The key.
    pub key: String,
    /// The version deleted, where objects are versioned.
    pub version_id: Option<String>,
    /// True when a delete marker was created.
    pub delete_marker: bool,
}

/// A key the server did not delete.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FailedDelete {
    /// The key.
    pub key: String,
    /// The S3 error code, verbatim.
    pub code: String,
    /// The message.
    pub message: String,
}

/// What DeleteObjects returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeleteObjectsOutput {
    /// Keys deleted (none listed in quiet mode).
    pub deleted: Vec<DeletedObject>,
    /// Keys not deleted, with the reason.
    pub errors: Vec<FailedDelete>,
}

impl DeleteObjects {
    /// Removes `keys` from `bucket`.
    pub fn new(bucket: impl Into<BucketName>, keys: impl IntoIterator<Item = ObjectKey>) -> Self {
        Self {
            bucket: bucket.into(),
            keys: keys.into_iter().collect(),
            quiet: false,
        }
    }

    /// Quiet mode: the answer lists only the keys that failed.
    #[must_use]
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
    }

    /// The keys.
    pub fn keys(&self) -> &[ObjectKey] {
        &self.keys
    }

    /// The XML request body.
    pub fn body(&self) -> String {
        let mut xml = String::with_capacity(64 + self.keys.len() * 48);
        xml.push_str("<Delete xmlns=\"");
        xml.push_str(S3_NAMESPACE);
        xml.push_str("\">");
        if self.quiet {
            xml.push_str("<Quiet>true</Quiet>");
        }
        for key in &self.keys {
            xml.push_str("<Object>");
            element(&mut xml, "Key", key.as_str());
            xml.push_str("</Object>");
        }
        xml.push_str("</Delete>");
        xml
    }
}

impl Operation for DeleteObjects {
    type Output = DeleteObjectsOutput;
    const NAME: OperationName = OperationName::DeleteObjects;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        if !(1..=MAX_DELETE_KEYS).contains(&self.keys.len()) {
            return Err(RequestError::OutOfRange {
                parameter: "keys",
                expected: "1 ..= 1000 keys",
                got: self.keys.len().to_string(),
            }
            .into());
        }
        let mut builder = RequestBuilder::bucket(Self::NAME, Method::POST, &self.bucket);
        builder.subresource("delete");
        builder.xml_body(self.body())?;
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<DeleteObjectsOutput, R2Error> {
        let context = ErrorContext::bucket(Self::NAME, self.bucket.as_str());
        let mut doc = Document::open(&context, response, &["DeleteResult"])?;
        let mut output = DeleteObjectsOutput::default();
        while let Some(child) = doc.next()? {
            match child.name() {
                b"Deleted" => {
                    let mut deleted = DeletedObject {
                        key: String::new(),
                        version_id: None,
                        delete_marker: false,
                    };
                    while let Some(field) = doc.next()? {
                        match field.name() {
                            b"Key" => deleted.key = doc.string(field)?,
                            b"VersionId" => deleted.version_id = Some(doc.string(field)?),
                            b"DeleteMarker" => {
                                deleted.delete_marker = doc.boolean(field, "DeleteMarker")?;
                            }
                            _ => doc.skip(field)?,
                        }
                    }
                    output.deleted.push(deleted);
                }
                b"Error" => {
                    let mut failed = FailedDelete {
                        key: String::new(),
                        code: String::new(),
                        message: String::new(),
                    };
                    while let Some(field) = doc.next()? {
                        match field.name() {
                            b"Key" => failed.key = doc.string(field)?,
                            b"Code" => failed.code = doc.string(field)?,
                            b"Message" => failed.message = doc.string(field)?,
                            _ => doc.skip(field)?,
                        }
                    }
                    output.errors.push(failed);
                }
                _ => doc.skip(child)?,
            }
        }
        doc.finish()?;
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::XmlReader;
    use proptest::prelude::*;

    fn bucket() -> BucketName {
        BucketName::new("bkt").unwrap()
    }

    /// The keys of a DeleteObjects body, read back with the response reader.
    fn keys_in(body: &str) -> Vec<String> {
        let mut reader = XmlReader::open_root(body.as_bytes(), &["Delete"]).unwrap();
        let mut keys = Vec::new();
        while let Some(child) = reader.next_child().unwrap() {
            if child.name() != b"Object" {
                reader.skip(child).unwrap();
                continue;
            }
            while let Some(field) = reader.next_child().unwrap() {
                keys.push(reader.text(field).unwrap().into_owned());
            }
        }
        reader.finish().unwrap();
        keys
    }

    #[test]
    fn key_count_is_checked_before_sending() {
        let endpoint = Endpoint::parse("https://h.example").unwrap();
        let none = DeleteObjects::new(bucket(), []);
        assert!(matches!(
            none.to_request(&endpoint),
            Err(R2Error::Request(RequestError::OutOfRange {
                parameter: "keys",
                ..
            }))
        ));
        let keys = (0..1001).map(|i| ObjectKey::new(format!("k{i}")).unwrap());
        let too_many = DeleteObjects::new(bucket(), keys);
        assert!(too_many.to_request(&endpoint).is_err());
        let keys = (0..1000).map(|i| ObjectKey::new(format!("k{i}")).unwrap());
        assert!(
            DeleteObjects::new(bucket(), keys)
                .to_request(&endpoint)
                .is_ok()
        );
    }

    proptest! {
        /// Any keys, `&`, `<` and control characters included, come back
        /// from the body exactly.
        #[test]
        fn body_escapes_keys_so_they_read_back(
            keys in prop::collection::vec("[\\PC&<>\"'\\x01-\\x1f\\x7f]{1,40}", 1..20),
            quiet in any::<bool>(),
        ) {
            let keys: Vec<ObjectKey> = keys.into_iter().map(|k| ObjectKey::new(k).unwrap()).collect();
            let request = DeleteObjects::new(bucket(), keys.clone()).quiet(quiet);
            let body = request.body();
            let expected: Vec<String> = keys.iter().map(|k| k.as_str().to_owned()).collect();
            prop_assert_eq!(keys_in(&body), expected);
        }
    }
}
