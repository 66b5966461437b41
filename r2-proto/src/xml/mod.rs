//! XML for S3 bodies: a pull reader for responses, escaping for requests.

pub(crate) mod reader;
pub(crate) mod writer;

pub(crate) use reader::{Child, XmlError, XmlReader};
