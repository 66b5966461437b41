//! The transfer machines driven by arbitrary event sequences. The fuzzer's
//! bytes choose the upload or download, which pending read or request is
//! answered next, how (success, a server error, a transport failure, a cut
//! body, a replaced object), and when time moves on. The machines' promises
//! are asserted as the run goes, so a broken one is a crash:
//!
//! - upload: no more parts in flight than its concurrency, no part number
//!   in flight twice, every non-final part of one size, a Complete that
//!   lists exactly the parts sent (1..=N, ascending, each with the ETag of
//!   its last successful upload), after a final failure an abort or else a
//!   resume state (never an upload silently left behind; a kept upload of a
//!   sized source is never aborted, a stream cannot be resumed), nothing in flight at the end, and an end within a
//!   bounded number of steps;
//! - download: no more ranges in flight than its concurrency, a completed
//!   prefix that never moves back, and, when it reports success, exactly
//!   the bytes of one version of the object (never a mix), or else a typed
//!   failure.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use r2_proto::error::NetworkError;
use r2_proto::error::R2Error;
use r2_proto::exchange::Event;
use r2_proto::ops::{OperationName, RequestBody, RequestInfo};
use r2_proto::transfer::{
    BodyPlan, Download, DownloadAction, DownloadEvent, DownloadOptions, RangeBody, Upload,
    UploadAction, UploadEvent, UploadOptions, UploadSource,
};
use r2_proto::{BucketName, ClientCore, Config, Credentials, Now, ObjectKey, RequestId};
use time::OffsetDateTime;

/// Steps after which a run that has not ended is a liveness bug.
const MAX_STEPS: usize = 20_000;
/// The smallest part R2 takes; the fuzzed uploads use it.
const PART: usize = 5 << 20;
/// Part bytes are slices of this (their content does not matter here).
static ZEROS: [u8; PART] = [0; PART];

fn core(concurrency: usize) -> Option<Arc<ClientCore>> {
    let credentials = Credentials::new("AKIDFUZZ", "fuzz-secret").ok()?;
    let config = Config::for_endpoint("https://fuzz.example", credentials)
        .part_size(PART as u64)
        .multipart_threshold(PART as u64)
        .concurrency(concurrency)
        .build()
        .ok()?;
    Some(Arc::new(ClientCore::new(config)))
}

fn start() -> Now {
    let wall =
        OffsetDateTime::from_unix_timestamp(1_714_564_800).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    Now::new(Instant::now(), wall)
}

fn operation(request: &Request<RequestBody>) -> Option<OperationName> {
    RequestInfo::of(request).map(|info| info.operation)
}

fn query_value<'a>(request: &'a Request<RequestBody>, name: &str) -> Option<&'a str> {
    request.uri().query()?.split('&').find_map(|pair| {
        let (n, v) = pair.split_once('=')?;
        (n == name).then_some(v)
    })
}

fn body_text(request: &Request<RequestBody>) -> String {
    match request.body() {
        RequestBody::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        RequestBody::Chunks(chunks) => chunks
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect(),
        RequestBody::Empty | RequestBody::Stream { .. } => String::new(),
    }
}

fn response(status: u16, headers: &[(&str, String)], body: impl Into<Bytes>) -> Response<Bytes> {
    let mut response = Response::new(body.into());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

fn error(status: u16, code: &str) -> Response<Bytes> {
    let body = format!("<Error><Code>{code}</Code><Message>injected</Message></Error>");
    let mut headers = vec![("content-type", "application/xml".to_owned())];
    if code == "SlowDown" {
        headers.push(("retry-after", "2".to_owned()));
    }
    response(status, &headers, body)
}

/// A failure the fuzzer may inject in place of the right answer.
fn injected(u: &mut Unstructured<'_>) -> Option<Result<Response<Bytes>, NetworkError>> {
    let choice = u.int_in_range(0u8..=31).unwrap_or(0);
    Some(match choice {
        0..=19 => return None,
        20 => Ok(error(500, "InternalError")),
        21 => Ok(error(503, "SlowDown")),
        22 => Ok(error(503, "ServiceUnavailable")),
        23 => Ok(error(429, "TooManyRequests")),
        24 => Ok(error(400, "InvalidPart")),
        25 => Ok(error(404, "NoSuchUpload")),
        26 => Ok(error(403, "AccessDenied")),
        27 => Err(NetworkError::ConnectionFailed("injected".into())),
        28 => Err(NetworkError::Timeout(Duration::from_secs(30))),
        29 => Err(NetworkError::StreamInterrupted("injected".into())),
        30 => Ok(response(500, &[], "not xml <")),
        _ => Ok(response(
            200,
            &[],
            "<Error><Code>InternalError</Code></Error>",
        )),
    })
}

/// The parts a CompleteMultipartUpload body lists, as (number, ETag).
fn listed_parts(body: &str) -> Vec<(u32, String)> {
    let mut parts = Vec::new();
    for chunk in body.split("<Part>").skip(1) {
        let field = |name: &str| {
            let open = format!("<{name}>");
            let close = format!("</{name}>");
            let start = chunk.find(&open)? + open.len();
            let end = chunk.get(start..)?.find(&close)? + start;
            chunk.get(start..end).map(|s| s.replace("&quot;", "\""))
        };
        if let (Some(number), Some(etag)) = (field("PartNumber"), field("ETag"))
            && let Ok(number) = number.parse()
        {
            parts.push((number, etag));
        }
    }
    parts
}

/// A read the machine asked for: part, offset and length of a sized read
/// (none for a stream), and the bytes wanted.
type PendingRead = (u32, Option<(u64, u64)>, u64);

/// An upload of up to 12 parts driven by `data`.
pub fn upload_machine(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let concurrency = usize::from(u.int_in_range(1u8..=16).unwrap_or(1));
    let parts = u64::from(u.int_in_range(0u8..=12).unwrap_or(0));
    let tail = u64::from(u.int_in_range(0u32..=(PART as u32)).unwrap_or(0));
    let size = parts * PART as u64 + tail;
    let stream = u.arbitrary::<bool>().unwrap_or(false);
    let keep = u.arbitrary::<bool>().unwrap_or(false);
    let Some(core) = core(concurrency) else {
        return;
    };
    let (Ok(bucket), Ok(key)) = (BucketName::new("bucket"), ObjectKey::new("key")) else {
        return;
    };
    let mut options = UploadOptions::from_config(core.config());
    options.keep_on_failure = keep;
    let source = if stream {
        UploadSource::Stream
    } else {
        UploadSource::Sized(size)
    };
    let Ok(mut upload) = Upload::new(core, bucket, key, source, options) else {
        return;
    };

    let mut now = start();
    let mut streamed = 0u64;
    let mut reads: Vec<PendingRead> = Vec::new();
    let mut sends: Vec<(RequestId, Request<RequestBody>)> = Vec::new();
    let mut parts_in_flight: HashMap<RequestId, u32> = HashMap::new();
    let mut last_etag: BTreeMap<u32, String> = BTreeMap::new();
    let mut confirmed = 0u64;
    let mut part_sizes: BTreeMap<u32, u64> = BTreeMap::new();
    let mut created = false;
    let mut aborted = false;
    let mut attempt = 0u32;

    for _ in 0..MAX_STEPS {
        while let Some(action) = upload.poll(now) {
            match action {
                UploadAction::ReadPart { part, offset, len } => {
                    reads.push((part, Some((offset, len)), len));
                }
                UploadAction::ReadStream { part, max } => reads.push((part, None, max)),
                UploadAction::Send { id, request } => {
                    if operation(&request) == Some(OperationName::UploadPart) {
                        let number = query_value(&request, "partNumber")
                            .and_then(|n| n.parse().ok())
                            .unwrap_or(0);
                        assert!(
                            !parts_in_flight.values().any(|p| *p == number),
                            "part {number} in flight twice"
                        );
                        parts_in_flight.insert(id, number);
                        assert!(
                            parts_in_flight.len() <= concurrency,
                            "{} parts in flight, concurrency {concurrency}",
                            parts_in_flight.len()
                        );
                        part_sizes.insert(number, request.body().content_length());
                    }
                    if operation(&request) == Some(OperationName::AbortMultipartUpload) {
                        aborted = true;
                    }
                    sends.push((id, request));
                }
                UploadAction::Note { .. } | UploadAction::SaveState(_) => {}
                UploadAction::Progress(progress) => {
                    assert!(progress.confirmed >= confirmed, "the progress went back");
                    confirmed = progress.confirmed;
                }
                UploadAction::Done(output) => {
                    assert!(
                        sends.is_empty(),
                        "done with {} requests in flight",
                        sends.len()
                    );
                    if !stream {
                        assert_eq!(output.size, size, "stored a different size");
                    }
                    return;
                }
                UploadAction::Failed(error) => {
                    assert!(
                        sends.is_empty(),
                        "failed with {} requests in flight",
                        sends.len()
                    );
                    if created {
                        let R2Error::Upload(failure) = &error else {
                            panic!("a multipart failure without its upload: {error}");
                        };
                        if keep && !stream {
                            assert!(!aborted, "a kept upload was aborted");
                            assert!(
                                failure.resume.is_some(),
                                "a kept upload has no resume state"
                            );
                        } else {
                            // Aborted (a stream, even when asked to keep it),
                            // or, when the abort itself cannot go out (an open
                            // circuit), handed back resumable: never left behind.
                            // A stream whose abort failed or could not go out
                            // (an open circuit) can do no more than say so.
                            let said = stream
                                && failure.upload_id.is_some()
                                && failure.to_string().contains("could not be aborted");
                            assert!(!failure.aborted || aborted, "aborted without an abort");
                            assert!(
                                failure.aborted || failure.resume.is_some() || said,
                                "a failed upload was neither aborted nor resumable: {failure}"
                            );
                        }
                    }
                    return;
                }
            }
        }
        let pending = reads.len() + sends.len();
        let wait = u.int_in_range(0u8..=7).unwrap_or(0) == 7;
        if pending == 0 || wait {
            match upload.deadline() {
                Some(deadline) => {
                    now = now.advanced(deadline.saturating_duration_since(now.instant));
                    if pending == 0 {
                        continue;
                    }
                }
                None if pending == 0 => panic!("stalled: nothing in flight and no deadline"),
                None => {}
            }
        }
        now = now.advanced(Duration::from_millis(u64::from(
            u.int_in_range(0u8..=50).unwrap_or(1),
        )));
        let pick = u.choose_index(pending).unwrap_or(0);
        if pick < reads.len() {
            let (part, at, len) = reads.swap_remove(pick);
            let fail = u.int_in_range(0u8..=63).unwrap_or(0) == 63;
            let event = if fail {
                UploadEvent::ReadFailed {
                    part,
                    message: "injected".into(),
                }
            } else if let Some((_, len)) = at {
                let len = usize::try_from(len).unwrap_or(PART).min(PART);
                UploadEvent::PartRead {
                    part,
                    data: Bytes::from_static(ZEROS.get(..len).unwrap_or_default()),
                }
            } else {
                let left = size.saturating_sub(streamed);
                let n = left.min(len);
                streamed += n;
                let n = usize::try_from(n).unwrap_or(PART).min(PART);
                UploadEvent::StreamRead {
                    part,
                    data: Bytes::from_static(ZEROS.get(..n).unwrap_or_default()),
                    end: (n as u64) < len
                        || (streamed >= size && u.arbitrary::<bool>().unwrap_or(true)),
                }
            };
            upload.handle(now, event);
            continue;
        }
        let (id, request) = sends.swap_remove(pick - reads.len());
        let part = parts_in_flight.remove(&id);
        attempt += 1;
        let answer = injected(&mut u).unwrap_or_else(|| {
            Ok(match operation(&request) {
                Some(OperationName::CreateMultipartUpload) => {
                    created = true;
                    response(
                        200,
                        &[],
                        "<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>key</Key>\
                         <UploadId>up-1</UploadId></InitiateMultipartUploadResult>",
                    )
                }
                Some(OperationName::UploadPart) => {
                    let etag = format!(
                        "\"{:032x}\"",
                        u64::from(part.unwrap_or(0)) << 32 | u64::from(attempt)
                    );
                    last_etag.insert(part.unwrap_or(0), etag.clone());
                    response(200, &[("etag", etag)], Bytes::new())
                }
                Some(OperationName::CompleteMultipartUpload) => {
                    check_complete(&body_text(&request), &last_etag, &part_sizes);
                    response(
                        200,
                        &[],
                        "<CompleteMultipartUploadResult><Bucket>bucket</Bucket><Key>key</Key>\
                         <ETag>&quot;abc-2&quot;</ETag></CompleteMultipartUploadResult>",
                    )
                }
                Some(OperationName::AbortMultipartUpload) => response(204, &[], Bytes::new()),
                Some(OperationName::HeadObject) => {
                    if u.arbitrary::<bool>().unwrap_or(false) {
                        response(
                            200,
                            &[
                                ("etag", "\"abc-2\"".into()),
                                ("content-length", size.to_string()),
                            ],
                            Bytes::new(),
                        )
                    } else {
                        error(404, "NoSuchKey")
                    }
                }
                _ => response(
                    200,
                    &[("etag", "\"0123456789abcdef0123456789abcdef\"".into())],
                    Bytes::new(),
                ),
            })
        });
        let event = match answer {
            Ok(response) => Event::Response { id, response },
            Err(error) => Event::Failed { id, error },
        };
        upload.handle(now, UploadEvent::Answer(event));
    }
    panic!("the upload did not end within {MAX_STEPS} steps");
}

/// A Complete lists exactly the parts sent, in order, with their last ETags,
/// and all but the last part have one size.
fn check_complete(body: &str, etags: &BTreeMap<u32, String>, sizes: &BTreeMap<u32, u64>) {
    let listed = listed_parts(body);
    let numbers: Vec<u32> = listed.iter().map(|(n, _)| *n).collect();
    let expected: Vec<u32> = (1..=u32::try_from(numbers.len()).unwrap_or(0)).collect();
    assert_eq!(numbers, expected, "Complete lists parts {numbers:?}");
    let sent: HashSet<u32> = sizes.keys().copied().collect();
    let completed: HashSet<u32> = numbers.iter().copied().collect();
    assert_eq!(sent, completed, "parts sent and parts completed differ");
    for (number, etag) in &listed {
        assert_eq!(
            etags.get(number),
            Some(etag),
            "part {number} completed with a stale ETag"
        );
    }
    let lengths: Vec<u64> = sizes.values().copied().collect();
    if let Some((last, rest)) = lengths.split_last()
        && let Some(first) = rest.first()
    {
        assert!(rest.iter().all(|l| l == first), "unequal parts {lengths:?}");
        assert!(last <= first, "the last part is larger: {lengths:?}");
    }
}

/// The byte at `at` of version `version` of the downloaded object.
fn byte_of(version: u8, at: u64) -> u8 {
    ((at.wrapping_mul(7) + u64::from(version) * 13) % 251) as u8
}

fn version_bytes(version: u8, start: u64, end: u64) -> Bytes {
    (start..end)
        .map(|at| byte_of(version, at))
        .collect::<Vec<u8>>()
        .into()
}

/// The range a ranged GET asks for: `bytes=first-last`.
fn asked_range(request: &Request<RequestBody>) -> Option<(u64, u64)> {
    let value = request.headers().get("range")?.to_str().ok()?;
    let (first, last) = value.strip_prefix("bytes=")?.split_once('-')?;
    Some((first.parse().ok()?, last.parse().ok()?))
}

/// A download of a small object in small ranges, driven by `data`.
pub fn download_machine(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let concurrency = usize::from(u.int_in_range(1u8..=16).unwrap_or(1));
    let part_size = u64::from(u.int_in_range(64u16..=4096).unwrap_or(1024));
    let mut size = u64::from(u.int_in_range(0u32..=16_384).unwrap_or(0));
    let honours_if_match = u.arbitrary::<bool>().unwrap_or(true);
    let in_order = u.arbitrary::<bool>().unwrap_or(false);
    let Some(core) = core(concurrency) else {
        return;
    };
    let (Ok(bucket), Ok(key)) = (BucketName::new("bucket"), ObjectKey::new("key")) else {
        return;
    };
    let options = DownloadOptions {
        part_size,
        concurrency,
        if_match: None,
        in_order,
        progress_interval: r2_proto::transfer::PROGRESS_INTERVAL,
    };
    let mut download = Download::new(core, bucket, key, options);
    let mut now = start();
    let mut version = 1u8;
    let mut first_version: Option<u8> = None;
    let mut written: Vec<Option<u8>> = Vec::new();
    let mut fetches: Vec<(RequestId, Request<RequestBody>)> = Vec::new();
    let mut prefix = 0u64;
    let mut delivered = 0u64;

    for _ in 0..MAX_STEPS {
        while let Some(action) = download.poll(now) {
            match action {
                DownloadAction::Fetch(fetch) => {
                    fetches.push((fetch.id, fetch.request));
                    assert!(
                        download.in_flight() <= concurrency,
                        "{} ranges in flight, concurrency {concurrency}",
                        download.in_flight()
                    );
                }
                DownloadAction::Note(_) | DownloadAction::Progress(_) => {}
                DownloadAction::Deliver { offset, chunks } => {
                    assert!(in_order, "bytes delivered by a download written at offsets");
                    assert_eq!(offset, delivered, "bytes delivered out of order");
                    for byte in chunks.iter().flat_map(|c| c.iter()) {
                        written.push(Some(*byte));
                    }
                    delivered = written.len() as u64;
                    assert!(
                        delivered <= download.completed_prefix(),
                        "delivered past the prefix"
                    );
                }
                DownloadAction::Done(output) => {
                    let Some(first) = first_version else {
                        panic!("done before any answer");
                    };
                    assert_eq!(output.size, written.len() as u64);
                    for (at, byte) in written.iter().enumerate() {
                        assert_eq!(
                            *byte,
                            Some(byte_of(first, at as u64)),
                            "byte {at} is missing or from another version"
                        );
                    }
                    return;
                }
                DownloadAction::Failed(_) => return,
            }
        }
        let completed = download.completed_prefix();
        assert!(completed >= prefix, "the completed prefix moved back");
        prefix = completed;
        if fetches.is_empty() {
            match download.deadline() {
                Some(deadline) => {
                    now = now.advanced(deadline.saturating_duration_since(now.instant));
                    continue;
                }
                None => panic!("stalled: nothing in flight and no deadline"),
            }
        }
        now = now.advanced(Duration::from_millis(u64::from(
            u.int_in_range(0u8..=50).unwrap_or(1),
        )));
        if u.int_in_range(0u8..=63).unwrap_or(0) == 63 && version == 1 {
            version = 2;
            size = u64::from(u.int_in_range(0u32..=16_384).unwrap_or(0));
        }
        let pick = u.choose_index(fetches.len()).unwrap_or(0);
        let (id, request) = fetches.swap_remove(pick);
        let etag = format!("\"v{version}\"");
        let pinned = request
            .headers()
            .get("if-match")
            .and_then(|v| v.to_str().ok());
        let (status, headers, body) = if let Some(injected) = injected(&mut u) {
            match injected {
                Err(error) => {
                    download.handle(now, DownloadEvent::Failed { id, error });
                    continue;
                }
                Ok(failed) => (
                    failed.status(),
                    failed.headers().clone(),
                    failed.into_body(),
                ),
            }
        } else if honours_if_match && pinned.is_some_and(|p| p != etag) {
            let failed = error(412, "PreconditionFailed");
            (
                failed.status(),
                failed.headers().clone(),
                failed.into_body(),
            )
        } else {
            match (asked_range(&request), u.int_in_range(0u8..=15).unwrap_or(0)) {
                (_, 13) => {
                    let failed = error(503, "SlowDown");
                    (
                        failed.status(),
                        failed.headers().clone(),
                        failed.into_body(),
                    )
                }
                (Some(_), 14) | (None, _) => {
                    let mut headers = HeaderMap::new();
                    insert(&mut headers, "etag", &etag);
                    insert(&mut headers, "content-length", &size.to_string());
                    (StatusCode::OK, headers, version_bytes(version, 0, size))
                }
                (Some((first, _)), _) if first >= size => {
                    let mut headers = HeaderMap::new();
                    insert(&mut headers, "content-range", &format!("bytes */{size}"));
                    let failed = error(416, "InvalidRange");
                    headers.extend(failed.headers().clone());
                    (failed.status(), headers, failed.into_body())
                }
                (Some((first, last)), choice) => {
                    let end = last.saturating_add(1).min(size);
                    let mut headers = HeaderMap::new();
                    insert(&mut headers, "etag", &etag);
                    let claimed_end = if choice == 15 {
                        end.saturating_sub(1).max(first)
                    } else {
                        end
                    };
                    insert(
                        &mut headers,
                        "content-range",
                        &format!(
                            "bytes {first}-{}/{size}",
                            claimed_end.saturating_sub(1).max(first)
                        ),
                    );
                    insert(&mut headers, "content-length", &(end - first).to_string());
                    (
                        StatusCode::PARTIAL_CONTENT,
                        headers,
                        version_bytes(version, first, end),
                    )
                }
            }
        };
        if status.is_success() || status == StatusCode::RANGE_NOT_SATISFIABLE {
            first_version.get_or_insert(version);
        }
        match download.on_headers(now, id, status, &headers) {
            BodyPlan::Write { offset, len } => {
                let cut = u.int_in_range(0u8..=31).unwrap_or(0) == 31;
                let keep = if cut { body.len() / 2 } else { body.len() };
                let keep = keep.min(usize::try_from(len).unwrap_or(usize::MAX));
                let end = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .saturating_add(keep);
                if written.len() < end {
                    written.resize(end, None);
                }
                for (i, byte) in body.iter().take(keep).enumerate() {
                    if let Some(slot) = written.get_mut(usize::try_from(offset).unwrap_or(0) + i) {
                        *slot = Some(*byte);
                    }
                }
                download.handle(
                    now,
                    DownloadEvent::BodyDone {
                        id,
                        received: keep as u64,
                    },
                );
            }
            plan @ BodyPlan::Keep { .. } => {
                let limits = r2_proto::ReadLimits::new(Duration::from_secs(30));
                let Some(mut range) = RangeBody::of(id, plan, &limits, now.instant) else {
                    panic!("a Keep plan with no range body");
                };
                let event = match u.int_in_range(0u8..=31).unwrap_or(0) {
                    31 => match range.take(body.slice(..body.len() / 2), now.instant) {
                        Ok(_) => range.broke(NetworkError::StreamInterrupted("reset".into())),
                        Err(event) => event,
                    },
                    30 => range.broke(NetworkError::Timeout(Duration::from_secs(1))),
                    _ => match range.take(body, now.instant) {
                        Ok(chunk) => range.ended(vec![chunk]),
                        Err(event) => event,
                    },
                };
                download.handle(now, event);
            }
            BodyPlan::ReadError => download.handle(now, DownloadEvent::ErrorBody { id, body }),
            BodyPlan::Discard => {}
        }
    }
    panic!("the download did not end within {MAX_STEPS} steps");
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}
