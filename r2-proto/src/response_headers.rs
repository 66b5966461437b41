//! Reading response headers into typed values, with typed errors for values
//! that cannot be read.

use http::HeaderMap;
use time::OffsetDateTime;

use crate::dates::parse_http_date;
use crate::error::{R2Error, ResponseError, ResponseProblem};
use crate::operation_name::OperationName;

/// A response's headers, for one operation (named in errors).
#[derive(Clone, Copy)]
pub(crate) struct ResponseHeaders<'a> {
    headers: &'a HeaderMap,
    operation: OperationName,
}

impl<'a> ResponseHeaders<'a> {
    /// Wraps `headers` of a response to `operation`.
    pub(crate) fn new(headers: &'a HeaderMap, operation: OperationName) -> Self {
        Self { headers, operation }
    }

    /// The headers themselves.
    pub(crate) fn map(&self) -> &'a HeaderMap {
        self.headers
    }

    fn invalid(&self, header: &'static str, value: &str) -> R2Error {
        ResponseError {
            operation: self.operation,
            problem: ResponseProblem::InvalidHeader {
                header,
                value: value.to_owned(),
            },
        }
        .into()
    }

    /// The value as text; values that are not visible ASCII are read lossily.
    pub(crate) fn text(&self, name: &'static str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    /// The value, which must be present.
    pub(crate) fn required(&self, name: &'static str) -> Result<String, R2Error> {
        self.text(name).ok_or_else(|| {
            ResponseError {
                operation: self.operation,
                problem: ResponseProblem::MissingHeader(name),
            }
            .into()
        })
    }

    /// A decimal number.
    pub(crate) fn number<T: std::str::FromStr>(
        &self,
        name: &'static str,
    ) -> Result<Option<T>, R2Error> {
        self.text(name)
            .map(|text| text.trim().parse().map_err(|_| self.invalid(name, &text)))
            .transpose()
    }

    /// An HTTP date.
    pub(crate) fn date(&self, name: &'static str) -> Result<Option<OffsetDateTime>, R2Error> {
        self.text(name)
            .map(|text| parse_http_date(&text).ok_or_else(|| self.invalid(name, &text)))
            .transpose()
    }

    /// A value parsed by `parse`, which returns `None` for bad input.
    pub(crate) fn parsed<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, R2Error> {
        self.text(name)
            .map(|text| parse(&text).ok_or_else(|| self.invalid(name, &text)))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn typed_values_and_errors() {
        let mut map = HeaderMap::new();
        map.insert("content-length", HeaderValue::from_static("42"));
        map.insert("x-bad", HeaderValue::from_static("99999999999999999999999"));
        map.insert(
            "last-modified",
            HeaderValue::from_static("Wed, 01 May 2024 12:34:56 GMT"),
        );
        map.insert("x-bad-date", HeaderValue::from_static("yesterday"));
        let headers = ResponseHeaders::new(&map, OperationName::HeadObject);
        assert_eq!(headers.number::<u64>("content-length").unwrap(), Some(42));
        assert_eq!(headers.number::<u64>("absent").unwrap(), None);
        let err = headers.number::<u64>("x-bad").unwrap_err();
        assert_eq!(
            err.to_string(),
            "HeadObject response: header x-bad holds an invalid value \"99999999999999999999999\""
        );
        assert!(headers.date("last-modified").unwrap().is_some());
        assert!(headers.date("x-bad-date").is_err());
        assert!(headers.required("etag").is_err());
        assert_eq!(
            headers
                .parsed("content-length", |t| t.parse::<u8>().ok())
                .unwrap(),
            Some(42)
        );
        assert!(headers.map().contains_key("x-bad"));
    }
}
