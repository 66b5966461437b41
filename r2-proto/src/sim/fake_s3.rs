//! An in-memory S3 with R2's multipart rules, answering the signed
//! requests the machines build. It keeps objects and multipart uploads,
//! checks the clock of every request as S3 does (15 minutes either way),
//! refuses a Complete whose parts break R2's equal-size rule, and logs
//! every request it saw.

use std::collections::BTreeMap;

use crate::model::{Checksum, ChecksumAlgorithm};
use crate::ops::RequestBody;
use crate::percent;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use md5::{Digest, Md5};
use time::{Duration, OffsetDateTime};

/// The smallest part R2 takes, except the last.
const MIN_PART: u64 = 5 * 1024 * 1024;

/// What a request asks for, as the fake reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestKind {
    /// PUT of a whole object.
    PutObject,
    /// GET of an object (whole or a range).
    GetObject,
    /// HEAD of an object.
    HeadObject,
    /// DELETE of an object.
    DeleteObject,
    /// POST `?uploads`.
    CreateMultipartUpload,
    /// PUT `?partNumber=N&uploadId=…`.
    UploadPart(u32),
    /// POST `?uploadId=…`.
    CompleteMultipartUpload,
    /// DELETE `?uploadId=…`.
    AbortMultipartUpload,
    /// GET `?uploadId=…`.
    ListParts,
    /// Anything else.
    Other,
}

impl RequestKind {
    /// The kind of `request`.
    pub fn of<B>(request: &Request<B>) -> Self {
        let query = Query::parse(request.uri().query().unwrap_or(""));
        let method = request.method();
        let upload = query.get("uploadId").is_some();
        match (method, upload) {
            (&Method::POST, _) if query.has("uploads") => Self::CreateMultipartUpload,
            (&Method::PUT, true) => match query.get("partNumber").and_then(|n| n.parse().ok()) {
                Some(number) => Self::UploadPart(number),
                None => Self::Other,
            },
            (&Method::POST, true) => Self::CompleteMultipartUpload,
            (&Method::DELETE, true) => Self::AbortMultipartUpload,
            (&Method::GET, true) => Self::ListParts,
            (&Method::PUT, false) => Self::PutObject,
            (&Method::GET, false) => Self::GetObject,
            (&Method::HEAD, false) => Self::HeadObject,
            (&Method::DELETE, false) => Self::DeleteObject,
            _ => Self::Other,
        }
    }
}

/// A stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Its bytes.
    pub data: Bytes,
    /// Its ETag, quoted.
    pub etag: String,
    /// Parts it was assembled from (0 for a single PUT).
    pub parts: u32,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
}

/// A part of a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    /// Its bytes.
    pub data: Bytes,
    /// Its ETag (the quoted MD5).
    pub etag: String,
    /// The checksum it was sent with, as `(algorithm, base64)`.
    pub checksum: Option<(ChecksumAlgorithm, String)>,
}

/// A multipart upload in progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredUpload {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Parts by number.
    pub parts: BTreeMap<u32, StoredPart>,
    /// The checksum algorithm declared at creation.
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    /// The `Content-Type` declared at creation.
    pub content_type: Option<String>,
}

/// One request the fake answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// What it asked for.
    pub kind: RequestKind,
    /// The status of the answer.
    pub status: u16,
}

/// The fake server.
#[derive(Debug, Clone, Default)]
pub struct FakeS3 {
    objects: BTreeMap<(String, String), StoredObject>,
    uploads: BTreeMap<String, StoredUpload>,
    next_upload: u64,
    /// How far the server's clock is ahead of the time it is given.
    clock_offset: Duration,
    log: Vec<Logged>,
}

/// The quoted MD5 hex of `data`.
pub fn md5_etag(data: &[u8]) -> String {
    format!("\"{}\"", hex(&Md5::digest(data)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn body_bytes(body: &RequestBody) -> Bytes {
    match body {
        RequestBody::Empty | RequestBody::Stream { .. } => Bytes::new(),
        RequestBody::Bytes(bytes) => bytes.clone(),
        RequestBody::Chunks(chunks) => {
            let mut all = Vec::with_capacity(chunks.iter().map(Bytes::len).sum());
            chunks.iter().for_each(|c| all.extend_from_slice(c));
            Bytes::from(all)
        }
    }
}

struct Query(Vec<(String, String)>);

impl Query {
    fn parse(query: &str) -> Self {
        let pairs = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let decode = |s: &str| String::from_utf8_lossy(&percent::decode(s)).into_owned();
                (decode(name), decode(value))
            })
            .collect();
        Self(pairs)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A response from its parts.
fn respond(
    status: StatusCode,
    headers: &[(&str, String)],
    body: impl Into<Bytes>,
) -> Response<Bytes> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// An S3 error document.
pub fn error_response(status: u16, code: &str, message: &str, extra: &str) -> Response<Bytes> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{extra}<RequestId>fake</RequestId></Error>"
    );
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    respond(status, &[("content-type", "application/xml".into())], body)
}

/// The text of every `<name>…</name>` in `xml`, in order.
fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        rest = rest.get(start + open.len()..).unwrap_or("");
        let Some(end) = rest.find(&close) else { break };
        found.push(rest.get(..end).unwrap_or(""));
        rest = rest.get(end + close.len()..).unwrap_or("");
    }
    found
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn algorithm_from_header(value: &str) -> Option<ChecksumAlgorithm> {
    ChecksumAlgorithm::ALL
        .into_iter()
        .find(|a| a.as_str().eq_ignore_ascii_case(value))
}

impl FakeS3 {
    /// An empty server whose clock agrees with the client's.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the server's clock `offset` ahead of the time it is given.
    pub fn with_clock_offset(mut self, offset: Duration) -> Self {
        self.clock_offset = offset;
        self
    }

    /// Stores an object directly.
    pub fn put(&mut self, bucket: &str, key: &str, data: impl Into<Bytes>) {
        let data = data.into();
        let etag = md5_etag(&data);
        self.objects.insert(
            (bucket.to_owned(), key.to_owned()),
            StoredObject {
                data,
                etag,
                parts: 0,
                content_type: None,
            },
        );
    }

    /// The object at `key`, if any.
    pub fn object(&self, bucket: &str, key: &str) -> Option<&StoredObject> {
        self.objects.get(&(bucket.to_owned(), key.to_owned()))
    }

    /// The multipart upload `id`, if it is still open.
    pub fn upload(&self, id: &str) -> Option<&StoredUpload> {
        self.uploads.get(id)
    }

    /// The ids of the uploads still open.
    pub fn open_uploads(&self) -> Vec<String> {
        self.uploads.keys().cloned().collect()
    }

    /// Every request answered so far.
    pub fn log(&self) -> &[Logged] {
        &self.log
    }

    /// How many requests of `kind` were answered.
    pub fn count(&self, kind: RequestKind) -> usize {
        self.log.iter().filter(|l| l.kind == kind).count()
    }

    /// Answers `request`, arriving when the client's clock reads `at`.
    pub fn handle(
        &mut self,
        request: &Request<RequestBody>,
        at: OffsetDateTime,
    ) -> Response<Bytes> {
        let kind = RequestKind::of(request);
        let response = self.answer(kind, request, at + self.clock_offset);
        self.log.push(Logged {
            kind,
            status: response.status().as_u16(),
        });
        response
    }

    /// Applies `request` as the server would, whatever happens to the answer.
    fn answer(
        &mut self,
        kind: RequestKind,
        request: &Request<RequestBody>,
        server_time: OffsetDateTime,
    ) -> Response<Bytes> {
        if let Some(refused) = Self::check_signature(request, server_time) {
            return refused;
        }
        let path = String::from_utf8_lossy(&percent::decode(request.uri().path())).into_owned();
        let Some((bucket, key)) = path.trim_start_matches('/').split_once('/') else {
            return error_response(400, "InvalidRequest", "path-style object requests only", "");
        };
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        let query = Query::parse(request.uri().query().unwrap_or(""));
        let headers = request.headers();
        let upload_id = query.get("uploadId").unwrap_or("").to_owned();
        match kind {
            RequestKind::PutObject => {
                self.put_object(bucket, key, headers, body_bytes(request.body()))
            }
            RequestKind::GetObject => self.get_object(&bucket, &key, headers, true),
            RequestKind::HeadObject => self.get_object(&bucket, &key, headers, false),
            RequestKind::DeleteObject => {
                self.objects.remove(&(bucket, key));
                respond(StatusCode::NO_CONTENT, &[], Bytes::new())
            }
            RequestKind::CreateMultipartUpload => self.create(bucket, key, headers),
            RequestKind::UploadPart(number) => {
                self.upload_part(&upload_id, number, headers, body_bytes(request.body()))
            }
            RequestKind::CompleteMultipartUpload => {
                let body = body_bytes(request.body());
                self.complete(&upload_id, &String::from_utf8_lossy(&body))
            }
            RequestKind::AbortMultipartUpload => match self.uploads.remove(&upload_id) {
                Some(_) => respond(StatusCode::NO_CONTENT, &[], Bytes::new()),
                None => no_such_upload(),
            },
            RequestKind::ListParts => self.list_parts(&upload_id),
            RequestKind::Other => error_response(501, "NotImplemented", "not in the fake", ""),
        }
    }

    /// S3 refuses a request signed more than 15 minutes from its own clock.
    fn check_signature(
        request: &Request<RequestBody>,
        server_time: OffsetDateTime,
    ) -> Option<Response<Bytes>> {
        let headers = request.headers();
        let authorization = header(headers, "authorization").unwrap_or("");
        if !authorization.starts_with("AWS4-HMAC-SHA256 Credential=") {
            return Some(error_response(403, "AccessDenied", "unsigned request", ""));
        }
        let signed_at = header(headers, "x-amz-date").and_then(parse_amz_date);
        let Some(signed_at) = signed_at else {
            return Some(error_response(403, "AccessDenied", "no x-amz-date", ""));
        };
        if (server_time - signed_at).abs() > Duration::minutes(15) {
            let t = server_time;
            let stamp = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
            let extra = format!("<ServerTime>{stamp}</ServerTime>");
            return Some(error_response(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the server's time is too large.",
                &extra,
            ));
        }
        None
    }

    fn put_object(
        &mut self,
        bucket: String,
        key: String,
        headers: &HeaderMap,
        data: Bytes,
    ) -> Response<Bytes> {
        if let Some(refused) = check_integrity(headers, &data) {
            return refused;
        }
        let etag = md5_etag(&data);
        let content_type = header(headers, "content-type").map(str::to_owned);
        self.objects.insert(
            (bucket, key),
            StoredObject {
                data,
                etag: etag.clone(),
                parts: 0,
                content_type,
            },
        );
        respond(StatusCode::OK, &[("etag", etag)], Bytes::new())
    }

    fn get_object(
        &self,
        bucket: &str,
        key: &str,
        headers: &HeaderMap,
        with_body: bool,
    ) -> Response<Bytes> {
        let Some(object) = self.object(bucket, key) else {
            return if with_body {
                error_response(404, "NoSuchKey", "The specified key does not exist.", "")
            } else {
                respond(StatusCode::NOT_FOUND, &[], Bytes::new())
            };
        };
        if let Some(wanted) = header(headers, "if-match")
            && wanted != object.etag
        {
            return error_response(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                "",
            );
        }
        let total = object.data.len() as u64;
        let mut common = vec![
            ("etag", object.etag.clone()),
            (
                "last-modified",
                crate::dates::format_http_date(OffsetDateTime::UNIX_EPOCH),
            ),
            ("accept-ranges", "bytes".to_owned()),
        ];
        if let Some(content_type) = &object.content_type {
            common.push(("content-type", content_type.clone()));
        }
        if object.parts > 0 {
            common.push(("x-amz-mp-parts-count", object.parts.to_string()));
        }
        let range = header(headers, "range").and_then(|r| r.strip_prefix("bytes="));
        let Some(range) = range.filter(|_| with_body) else {
            common.push(("content-length", total.to_string()));
            let body = if with_body {
                object.data.clone()
            } else {
                Bytes::new()
            };
            return respond(StatusCode::OK, &common, body);
        };
        let (first, last) = range.split_once('-').unwrap_or((range, ""));
        let first: u64 = first.parse().unwrap_or(u64::MAX);
        let last: u64 = last
            .parse()
            .unwrap_or(u64::MAX)
            .min(total.saturating_sub(1));
        if first >= total || first > last {
            common.push(("content-range", format!("bytes */{total}")));
            let mut refused = error_response(
                416,
                "InvalidRange",
                "The requested range is not satisfiable",
                "",
            );
            for (name, value) in common {
                if let Ok(value) = http::HeaderValue::from_str(&value) {
                    refused.headers_mut().insert(name, value);
                }
            }
            return refused;
        }
        let body = object.data.slice(first as usize..=last as usize);
        common.push(("content-length", body.len().to_string()));
        common.push(("content-range", format!("bytes {first}-{last}/{total}")));
        respond(StatusCode::PARTIAL_CONTENT, &common, body)
    }

    fn create(&mut self, bucket: String, key: String, headers: &HeaderMap) -> Response<Bytes> {
        self.next_upload += 1;
        let id = format!("upload-{}", self.next_upload);
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult><Bucket>{bucket}</Bucket><Key>{key}</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>"
        );
        self.uploads.insert(
            id,
            StoredUpload {
                bucket,
                key,
                parts: BTreeMap::new(),
                checksum_algorithm: header(headers, "x-amz-checksum-algorithm")
                    .and_then(algorithm_from_header),
                content_type: header(headers, "content-type").map(str::to_owned),
            },
        );
        respond(StatusCode::OK, &[], body)
    }

    fn upload_part(
        &mut self,
        id: &str,
        number: u32,
        headers: &HeaderMap,
        data: Bytes,
    ) -> Response<Bytes> {
        let Some(upload) = self.uploads.get_mut(id) else {
            return no_such_upload();
        };
        if !(1..=10_000).contains(&number) {
            return error_response(
                400,
                "InvalidArgument",
                "Part number must be an integer between 1 and 10000",
                "",
            );
        }
        if let Some(refused) = check_integrity(headers, &data) {
            return refused;
        }
        let checksum = ChecksumAlgorithm::ALL.into_iter().find_map(|algorithm| {
            header(headers, algorithm.header_name()).map(|value| (algorithm, value.to_owned()))
        });
        let etag = md5_etag(&data);
        let mut answer = vec![("etag", etag.clone())];
        if let Some((algorithm, value)) = &checksum {
            answer.push((algorithm.header_name(), value.clone()));
        }
        upload.parts.insert(
            number,
            StoredPart {
                data,
                etag,
                checksum,
            },
        );
        respond(StatusCode::OK, &answer, Bytes::new())
    }

    fn complete(&mut self, id: &str, body: &str) -> Response<Bytes> {
        let Some(upload) = self.uploads.get(id) else {
            return no_such_upload();
        };
        let listed = elements(body, "Part");
        if listed.is_empty() {
            return error_response(400, "MalformedXML", "no parts", "");
        }
        let mut chosen: Vec<&StoredPart> = Vec::with_capacity(listed.len());
        let mut previous = 0;
        for part in listed {
            let number: u32 = elements(part, "PartNumber")
                .first()
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
            let etag = elements(part, "ETag")
                .first()
                .map(|e| unescape(e))
                .unwrap_or_default();
            if number <= previous {
                return error_response(
                    400,
                    "InvalidPartOrder",
                    "The list of parts was not in ascending order.",
                    "",
                );
            }
            previous = number;
            let Some(stored) = upload.parts.get(&number) else {
                return error_response(
                    400,
                    "InvalidPart",
                    "One or more of the specified parts could not be found.",
                    "",
                );
            };
            if stored.etag != etag {
                return error_response(
                    400,
                    "InvalidPart",
                    "An ETag does not match the part's.",
                    "",
                );
            }
            if let Some((algorithm, value)) = &stored.checksum {
                let echoed = elements(part, algorithm.element_name())
                    .first()
                    .map(|v| v.trim().to_owned());
                if echoed.as_deref() != Some(value.as_str()) {
                    return error_response(
                        400,
                        "InvalidPart",
                        "A part checksum was not echoed.",
                        "",
                    );
                }
            }
            chosen.push(stored);
        }
        // R2: every part but the last has the same size, at least 5 MiB.
        let Some((last, rest)) = chosen.split_last() else {
            return error_response(400, "MalformedXML", "no parts", "");
        };
        if let Some(first) = rest.first() {
            let size = first.data.len() as u64;
            if size < MIN_PART {
                return error_response(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed object size.",
                    "",
                );
            }
            if rest.iter().any(|p| p.data.len() as u64 != size) || last.data.len() as u64 > size {
                return error_response(
                    400,
                    "InvalidPart",
                    "All non-trailing parts must have the same length.",
                    "",
                );
            }
        }
        let mut data = Vec::with_capacity(chosen.iter().map(|p| p.data.len()).sum());
        let mut md5s = Md5::new();
        for part in &chosen {
            data.extend_from_slice(&part.data);
            let digest: [u8; 16] = Md5::digest(&part.data).into();
            md5s.update(digest);
        }
        let etag = format!("\"{}-{}\"", hex(&md5s.finalize()), chosen.len());
        let parts = u32::try_from(chosen.len()).unwrap_or(u32::MAX);
        let (bucket, key, content_type) = (
            upload.bucket.clone(),
            upload.key.clone(),
            upload.content_type.clone(),
        );
        self.uploads.remove(id);
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult><Location>/{bucket}/{key}</Location><Bucket>{bucket}</Bucket><Key>{key}</Key><ETag>{}</ETag></CompleteMultipartUploadResult>",
            etag.replace('"', "&quot;")
        );
        self.objects.insert(
            (bucket, key),
            StoredObject {
                data: Bytes::from(data),
                etag,
                parts,
                content_type,
            },
        );
        respond(StatusCode::OK, &[], body)
    }

    fn list_parts(&self, id: &str) -> Response<Bytes> {
        let Some(upload) = self.uploads.get(id) else {
            return no_such_upload();
        };
        let mut body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListPartsResult><Bucket>{}</Bucket><Key>{}</Key><UploadId>{id}</UploadId><IsTruncated>false</IsTruncated>",
            upload.bucket, upload.key
        );
        for (number, part) in &upload.parts {
            let checksum = part
                .checksum
                .as_ref()
                .map(|(a, v)| format!("<{0}>{v}</{0}>", a.element_name()))
                .unwrap_or_default();
            body.push_str(&format!(
                "<Part><PartNumber>{number}</PartNumber><LastModified>2024-05-01T12:00:00.000Z</LastModified><ETag>{}</ETag><Size>{}</Size>{checksum}</Part>",
                part.etag.replace('"', "&quot;"),
                part.data.len()
            ));
        }
        body.push_str("</ListPartsResult>");
        respond(StatusCode::OK, &[], body)
    }
}

/// Reads an `x-amz-date` (`YYYYMMDDTHHMMSSZ`).
fn parse_amz_date(text: &str) -> Option<OffsetDateTime> {
    let digits = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
    if text.len() != 16 || text.get(8..9) != Some("T") || !text.ends_with('Z') {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(digits(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(digits(0..4)?).ok()?,
        month,
        u8::try_from(digits(6..8)?).ok()?,
    )
    .ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(digits(9..11)?).ok()?,
        u8::try_from(digits(11..13)?).ok()?,
        u8::try_from(digits(13..15)?).ok()?,
    )
    .ok()?;
    Some(time::PrimitiveDateTime::new(date, clock).assume_utc())
}

fn no_such_upload() -> Response<Bytes> {
    error_response(
        404,
        "NoSuchUpload",
        "The specified multipart upload does not exist.",
        "",
    )
}

/// Checks `Content-MD5` or an `x-amz-checksum-*` header against the body.
fn check_integrity(headers: &HeaderMap, data: &[u8]) -> Option<Response<Bytes>> {
    use base64::Engine;
    let base64 = base64::engine::general_purpose::STANDARD;
    if let Some(md5) = header(headers, "content-md5")
        && base64.encode(Md5::digest(data)) != md5
    {
        return Some(error_response(
            400,
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
            "",
        ));
    }
    for algorithm in ChecksumAlgorithm::ALL {
        if let Some(value) = header(headers, algorithm.header_name()) {
            let computed = Checksum::of_chunks(algorithm, &[data]).map(|c| c.to_base64());
            if computed.as_deref() != Some(value) {
                return Some(error_response(
                    400,
                    "BadDigest",
                    "The checksum you specified did not match what we received.",
                    "",
                ));
            }
        }
    }
    None
}
