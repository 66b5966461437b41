//! Responses the client could not understand.

use crate::operation_name::OperationName;

/// A response did not have the shape its operation promises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} response: {problem}")]
pub struct ResponseError {
    /// The operation whose response it was.
    pub operation: OperationName,
    /// What was wrong.
    pub problem: ResponseProblem,
}

/// What was wrong with a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseProblem {
    /// The body is not well-formed XML, or is cut short.
    #[error("malformed XML: {0}")]
    MalformedXml(String),
    /// The body's root element is not the one expected.
    #[error("expected <{expected}>, found <{found}>")]
    UnexpectedRoot {
        /// The expected root element.
        expected: &'static str,
        /// The root element found.
        found: String,
    },
    /// A required element is missing.
    #[error("missing <{0}>")]
    MissingElement(&'static str),
    /// An element holds a value that cannot be read (a number too large, a bad date).
    #[error("<{element}> holds an invalid value {value:?}")]
    InvalidElement {
        /// The element.
        element: &'static str,
        /// Its text.
        value: String,
    },
    /// A required header is missing.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A header holds a value that cannot be read.
    #[error("header {header} holds an invalid value {value:?}")]
    InvalidHeader {
        /// The header.
        header: &'static str,
        /// Its value (lossily decoded).
        value: String,
    },
    /// The server paginated without giving a way to the next page, or gave the same one twice.
    #[error("pagination does not advance: {0}")]
    StuckPagination(&'static str),
}
