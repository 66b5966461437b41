//! Which parts of a request must equal a recorded one for the recording to
//! answer it.

use super::interaction::{HeaderValues, Interaction, RecordedRequest};

/// Headers that choose what the server answers, compared by default.
const SELECTING_HEADERS: [&str; 9] = [
    "range",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "x-amz-copy-source",
    "x-amz-copy-source-range",
    "x-amz-metadata-directive",
    "content-length",
];

/// Headers that differ from run to run, never compared.
const VOLATILE_HEADERS: [&str; 5] = [
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "user-agent",
    "date",
];

/// What a request must share with a recorded one to be answered by it.
/// The operation, bucket, key and path are always compared; among the
/// recordings that match, the first not yet replayed answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchOn {
    method: bool,
    query: bool,
    headers: Headers,
    body: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Headers {
    Named(Vec<String>),
    AllButVolatile,
}

impl Default for MatchOn {
    /// Method, query, and the headers that choose the answer (`range`,
    /// the conditionals, the copy source, `content-length`).
    fn default() -> Self {
        Self {
            method: true,
            query: true,
            headers: Headers::Named(SELECTING_HEADERS.iter().map(|h| (*h).to_owned()).collect()),
            body: false,
        }
    }
}

impl MatchOn {
    /// Only the operation, bucket, key and path.
    pub fn target_only() -> Self {
        Self {
            method: false,
            query: false,
            headers: Headers::Named(Vec::new()),
            body: false,
        }
    }

    /// Everything but what changes between runs (signature, dates, user
    /// agent): method, query, every header, and the body. Two clients that
    /// replay one cassette under this rule sent the same requests.
    pub fn strict() -> Self {
        Self {
            method: true,
            query: true,
            headers: Headers::AllButVolatile,
            body: true,
        }
    }

    /// Compare the method (or not).
    pub fn method(mut self, compare: bool) -> Self {
        self.method = compare;
        self
    }

    /// Compare the query, less presigning's date and signature (or not).
    pub fn query(mut self, compare: bool) -> Self {
        self.query = compare;
        self
    }

    /// Also compare header `name` (lower case).
    pub fn header(mut self, name: &str) -> Self {
        let name = name.to_ascii_lowercase();
        if let Headers::Named(names) = &mut self.headers
            && !names.contains(&name)
        {
            names.push(name);
        }
        self
    }

    /// Compare the body: its text, or its length and SHA-256 (or not).
    pub fn body(mut self, compare: bool) -> Self {
        self.body = compare;
        self
    }

    /// How `sent` differs from `recorded`, in words; empty when it matches.
    pub(crate) fn differences(
        &self,
        recorded: &Interaction,
        target: (&str, Option<&str>, Option<&str>),
        sent: &RecordedRequest,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let (operation, bucket, key) = target;
        differ(&mut out, "operation", &recorded.operation, operation);
        differ(
            &mut out,
            "bucket",
            recorded.bucket.as_deref().unwrap_or(""),
            bucket.unwrap_or(""),
        );
        differ(
            &mut out,
            "key",
            recorded.key.as_deref().unwrap_or(""),
            key.unwrap_or(""),
        );
        let was = &recorded.request;
        differ(&mut out, "path", was.path(), sent.path());
        if self.method {
            differ(&mut out, "method", &was.method, &sent.method);
        }
        if self.query {
            let (a, b) = (was.stable_query(), sent.stable_query());
            if a != b {
                out.push(format!(
                    "query: recorded {:?}, sent {:?}",
                    a.join("&"),
                    b.join("&")
                ));
            }
        }
        for name in self.header_names(was, sent) {
            let (a, b) = (values_of(was, &name), values_of(sent, &name));
            if a != b {
                out.push(format!(
                    "header {name}: recorded {}, sent {}",
                    shown(a.as_deref()),
                    shown(b.as_deref())
                ));
            }
        }
        if self.body && was.body != sent.body {
            out.push(format!(
                "body: recorded {} bytes, sent {} bytes{}",
                was.body.len,
                sent.body.len,
                if was.body.len == sent.body.len {
                    " with other content"
                } else {
                    ""
                }
            ));
        }
        out
    }

    fn header_names(&self, a: &RecordedRequest, b: &RecordedRequest) -> Vec<String> {
        match &self.headers {
            Headers::Named(names) => names.clone(),
            Headers::AllButVolatile => {
                let mut names: Vec<String> = a
                    .headers
                    .keys()
                    .chain(b.headers.keys())
                    .filter(|name| !VOLATILE_HEADERS.contains(&name.as_str()))
                    .cloned()
                    .collect();
                names.sort_unstable();
                names.dedup();
                names
            }
        }
    }
}

fn values_of<'a>(request: &'a RecordedRequest, name: &str) -> Option<Vec<&'a str>> {
    request.headers.get(name).map(HeaderValues::values)
}

fn differ(out: &mut Vec<String>, what: &str, recorded: &str, sent: &str) {
    if recorded != sent {
        out.push(format!("{what}: recorded {recorded:?}, sent {sent:?}"));
    }
}

fn shown(values: Option<&[&str]>) -> String {
    match values {
        None => "none".to_owned(),
        Some([one]) => format!("{one:?}"),
        Some(many) => format!("{many:?}"),
    }
}
