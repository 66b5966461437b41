//! Checking a response's status and reading its XML body, with typed errors
//! for anything that is not what the operation promises.

use std::borrow::Cow;
use std::str::FromStr;

use bytes::Bytes;
use http::Response;
use time::OffsetDateTime;

use super::OperationName;
use crate::dates::parse_iso8601;
use crate::error::{
    ErrorContext, R2Error, ResponseError, ResponseProblem, TransferError, error_from_response,
};
use crate::model::body_cut_short;
use crate::xml::{Child, XmlError, XmlReader};

/// The error for any status the operation does not accept (anything but 2xx).
pub(crate) fn check_status(
    context: &ErrorContext<'_>,
    response: &Response<Bytes>,
) -> Result<(), R2Error> {
    if response.status().is_success() {
        Ok(())
    } else {
        Err(error_from_response(
            context,
            response.status(),
            response.headers(),
            response.body(),
        ))
    }
}

/// A response body being read as XML.
pub(crate) struct Document<'a> {
    reader: XmlReader<'a>,
    operation: OperationName,
}

fn problem(operation: OperationName, problem: ResponseProblem) -> R2Error {
    ResponseError { operation, problem }.into()
}

fn xml_problem(operation: OperationName, error: XmlError, expected: &'static str) -> R2Error {
    match error {
        XmlError::Malformed(reason) => problem(operation, ResponseProblem::MalformedXml(reason)),
        XmlError::UnexpectedRoot { found } => problem(
            operation,
            ResponseProblem::UnexpectedRoot { expected, found },
        ),
    }
}

impl<'a> Document<'a> {
    /// Checks the status, then opens the body, whose root must be one of
    /// `roots`. A success status whose body is `<Error>` (CopyObject,
    /// UploadPartCopy and CompleteMultipartUpload do this) is that error.
    pub(crate) fn open(
        context: &ErrorContext<'_>,
        response: &'a Response<Bytes>,
        roots: &[&'static str],
    ) -> Result<Self, R2Error> {
        check_status(context, response)?;
        if body_cut_short(response.headers(), response.body().len() as u64) {
            let expected = response
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            return Err(TransferError::IncompleteBody {
                expected,
                received: response.body().len() as u64,
            }
            .into());
        }
        let operation = context.operation;
        let expected = roots.first().copied().unwrap_or("?");
        let (reader, root) =
            XmlReader::open(response.body()).map_err(|e| xml_problem(operation, e, expected))?;
        if root.as_bytes() == b"Error" {
            return Err(error_from_response(
                context,
                response.status(),
                response.headers(),
                response.body(),
            ));
        }
        if !roots.iter().any(|r| r.as_bytes() == root.as_bytes()) {
            return Err(problem(
                operation,
                ResponseProblem::UnexpectedRoot {
                    expected,
                    found: root.to_text(),
                },
            ));
        }
        Ok(Self { reader, operation })
    }

    fn malformed(&self, error: XmlError) -> R2Error {
        xml_problem(self.operation, error, "?")
    }

    /// The next child of the current element.
    pub(crate) fn next(&mut self) -> Result<Option<Child>, R2Error> {
        self.reader.next_child().map_err(|e| self.malformed(e))
    }

    /// A child's text.
    pub(crate) fn text(&mut self, child: Child) -> Result<Cow<'a, str>, R2Error> {
        self.reader.text(child).map_err(|e| self.malformed(e))
    }

    /// A child's text, owned.
    pub(crate) fn string(&mut self, child: Child) -> Result<String, R2Error> {
        self.text(child).map(Cow::into_owned)
    }

    fn invalid(&self, element: &'static str, value: &str) -> R2Error {
        problem(
            self.operation,
            ResponseProblem::InvalidElement {
                element,
                value: value.to_owned(),
            },
        )
    }

    /// A child's text as a number.
    pub(crate) fn number<T: FromStr>(
        &mut self,
        child: Child,
        element: &'static str,
    ) -> Result<T, R2Error> {
        let text = self.text(child)?;
        text.trim()
            .parse()
            .map_err(|_| self.invalid(element, &text))
    }

    /// A child's text as `true` or `false`.
    pub(crate) fn boolean(&mut self, child: Child, element: &'static str) -> Result<bool, R2Error> {
        let text = self.text(child)?;
        match text.trim() {
            "true" | "TRUE" | "True" => Ok(true),
            "false" | "FALSE" | "False" => Ok(false),
            _ => Err(self.invalid(element, &text)),
        }
    }

    /// A child's text as an ISO 8601 time.
    pub(crate) fn date(
        &mut self,
        child: Child,
        element: &'static str,
    ) -> Result<OffsetDateTime, R2Error> {
        let text = self.text(child)?;
        parse_iso8601(text.trim()).ok_or_else(|| self.invalid(element, &text))
    }

    /// Skips a child.
    pub(crate) fn skip(&mut self, child: Child) -> Result<(), R2Error> {
        self.reader.skip(child).map_err(|e| self.malformed(e))
    }

    /// The error for a required element that did not appear.
    pub(crate) fn missing(&self, element: &'static str) -> R2Error {
        problem(self.operation, ResponseProblem::MissingElement(element))
    }

    /// Checks that the document ends after its root.
    pub(crate) fn finish(self) -> Result<(), R2Error> {
        let operation = self.operation;
        self.reader
            .finish()
            .map_err(|e| xml_problem(operation, e, "?"))
    }
}
