//! Conditional request headers: `If-Match`, `If-None-Match`,
//! `If-Modified-Since`, `If-Unmodified-Since`.

use http::header::{IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_UNMODIFIED_SINCE};
use time::OffsetDateTime;

use super::builder::RequestBuilder;
use crate::error::RequestError;
use crate::model::ETag;

/// `If-None-Match`: a specific ETag, or `*` (the object must not exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfNoneMatch {
    /// `*`: succeed only if no object exists (create-only writes).
    Any,
    /// Succeed only if the object's ETag differs.
    ETag(ETag),
}

/// The conditions a request carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Preconditions {
    /// `If-Match`: only if the object's ETag is this one.
    pub if_match: Option<ETag>,
    /// `If-None-Match`.
    pub if_none_match: Option<IfNoneMatch>,
    /// `If-Modified-Since`.
    pub if_modified_since: Option<OffsetDateTime>,
    /// `If-Unmodified-Since`.
    pub if_unmodified_since: Option<OffsetDateTime>,
}

impl Preconditions {
    /// Writes the conditional headers.
    pub(crate) fn write(&self, builder: &mut RequestBuilder) -> Result<(), RequestError> {
        builder.etag_header_opt(IF_MATCH, self.if_match.as_ref())?;
        match &self.if_none_match {
            None => {}
            Some(IfNoneMatch::Any) => builder.header(IF_NONE_MATCH, "*")?,
            Some(IfNoneMatch::ETag(etag)) => builder.header(IF_NONE_MATCH, &etag.quoted())?,
        }
        builder.date_header_opt(IF_MODIFIED_SINCE, self.if_modified_since)?;
        builder.date_header_opt(IF_UNMODIFIED_SINCE, self.if_unmodified_since)
    }
}

/// Inherent builder methods for an operation that has a `preconditions` field.
macro_rules! precondition_setters {
    () => {
        /// `If-Match`: proceed only if the object's ETag is `etag` (else 412).
        #[must_use]
        pub fn if_match(mut self, etag: impl Into<$crate::model::ETag>) -> Self {
            self.preconditions.if_match = Some(etag.into());
            self
        }

        /// `If-None-Match: <etag>`: proceed only if the object's ETag differs.
        #[must_use]
        pub fn if_none_match(mut self, etag: impl Into<$crate::model::ETag>) -> Self {
            self.preconditions.if_none_match = Some($crate::ops::IfNoneMatch::ETag(etag.into()));
            self
        }

        /// `If-None-Match: *`: proceed only if no object exists under the key.
        #[must_use]
        pub fn if_none_match_any(mut self) -> Self {
            self.preconditions.if_none_match = Some($crate::ops::IfNoneMatch::Any);
            self
        }

        /// `If-Modified-Since`.
        #[must_use]
        pub fn if_modified_since(mut self, when: time::OffsetDateTime) -> Self {
            self.preconditions.if_modified_since = Some(when);
            self
        }

        /// `If-Unmodified-Since`.
        #[must_use]
        pub fn if_unmodified_since(mut self, when: time::OffsetDateTime) -> Self {
            self.preconditions.if_unmodified_since = Some(when);
            self
        }
    };
}

pub(crate) use precondition_setters;
