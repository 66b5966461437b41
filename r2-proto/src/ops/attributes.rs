//! What an object is stored with: system headers, user metadata and storage
//! class (PutObject, CreateMultipartUpload, CopyObject with REPLACE).

use http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_TYPE, EXPIRES,
};
use time::OffsetDateTime;

use super::builder::RequestBuilder;
use super::header_names::X_AMZ_STORAGE_CLASS;
use crate::error::RequestError;
use crate::model::{Metadata, StorageClass};

/// The headers an object is stored with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectAttributes {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Expires`.
    pub expires: Option<OffsetDateTime>,
    /// User metadata.
    pub metadata: Metadata,
    /// `x-amz-storage-class`: `STANDARD` or `STANDARD_IA` on R2.
    pub storage_class: Option<StorageClass>,
}

impl ObjectAttributes {
    /// No attributes: set them with the builder methods.
    ///
    /// ```
    /// use r2_proto::ops::ObjectAttributes;
    ///
    /// let attributes = ObjectAttributes::new()
    ///     .content_type("video/mp4")
    ///     .cache_control("max-age=3600")
    ///     .metadata("camera", "x100v");
    /// assert_eq!(attributes.content_type.as_deref(), Some("video/mp4"));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    crate::attribute_setters!();

    /// Writes the attributes as headers, checking each.
    pub(crate) fn write(&self, builder: &mut RequestBuilder) -> Result<(), RequestError> {
        builder.header_opt(CONTENT_TYPE, self.content_type.as_deref())?;
        builder.header_opt(CACHE_CONTROL, self.cache_control.as_deref())?;
        builder.header_opt(CONTENT_DISPOSITION, self.content_disposition.as_deref())?;
        builder.header_opt(CONTENT_ENCODING, self.content_encoding.as_deref())?;
        builder.header_opt(CONTENT_LANGUAGE, self.content_language.as_deref())?;
        builder.date_header_opt(EXPIRES, self.expires)?;
        write_storage_class(builder, self.storage_class.as_ref())?;
        self.metadata.write_headers(builder.headers_mut())
    }
}

/// Sets `x-amz-storage-class`, refusing classes R2 does not have.
pub(crate) fn write_storage_class(
    builder: &mut RequestBuilder,
    class: Option<&StorageClass>,
) -> Result<(), RequestError> {
    match class {
        None => Ok(()),
        Some(StorageClass::Other(name)) => Err(RequestError::UnsupportedStorageClass(name.clone())),
        Some(class) => builder.header(X_AMZ_STORAGE_CLASS, class.as_str()),
    }
}

/// Inherent builder methods setting an object's attributes, for a type
/// whose attributes are at `self.<path>` (`attribute_setters!(.attributes)`)
/// or that is `ObjectAttributes` (`attribute_setters!()`). Exported (hidden)
/// for the adapters' upload requests.
#[doc(hidden)]
#[macro_export]
macro_rules! attribute_setters {
    ($(.$field:ident)*) => {
        /// Sets `Content-Type`.
        #[must_use]
        pub fn content_type(mut self, value: impl Into<String>) -> Self {
            self$(.$field)*.content_type = Some(value.into());
            self
        }

        /// Sets `Cache-Control`.
        #[must_use]
        pub fn cache_control(mut self, value: impl Into<String>) -> Self {
            self$(.$field)*.cache_control = Some(value.into());
            self
        }

        /// Sets `Content-Disposition`.
        #[must_use]
        pub fn content_disposition(mut self, value: impl Into<String>) -> Self {
            self$(.$field)*.content_disposition = Some(value.into());
            self
        }

        /// Sets `Content-Encoding`.
        #[must_use]
        pub fn content_encoding(mut self, value: impl Into<String>) -> Self {
            self$(.$field)*.content_encoding = Some(value.into());
            self
        }

        /// Sets `Content-Language`.
        #[must_use]
        pub fn content_language(mut self, value: impl Into<String>) -> Self {
            self$(.$field)*.content_language = Some(value.into());
            self
        }

        /// Sets `Expires`.
        #[must_use]
        pub fn expires(mut self, when: time::OffsetDateTime) -> Self {
            self$(.$field)*.expires = Some(when);
            self
        }

        /// Adds one user metadata entry (`x-amz-meta-<name>`).
        #[must_use]
        pub fn metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self$(.$field)*.metadata.insert(name, value);
            self
        }

        /// Replaces all user metadata.
        #[must_use]
        pub fn metadata_all(mut self, metadata: $crate::model::Metadata) -> Self {
            self$(.$field)*.metadata = metadata;
            self
        }

        /// Sets the storage class (`STANDARD` or `STANDARD_IA`).
        #[must_use]
        pub fn storage_class(mut self, class: $crate::model::StorageClass) -> Self {
            self$(.$field)*.storage_class = Some(class);
            self
        }

    };
}
