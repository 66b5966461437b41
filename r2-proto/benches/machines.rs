//! What the state machines cost per step, with the network taken away: an
//! upload of 1,000 or 10,000 parts and a download of 10,000 ranges, every
//! request answered at once by a stub. The figure is the machine's own work
//! (planning, signing, parsing the answers, bookkeeping) per part.

#![allow(missing_docs, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use r2_proto::exchange::Event;
use r2_proto::transfer::{
    BodyPlan, Download, DownloadAction, DownloadEvent, DownloadOptions, PartIntegrity, Upload,
    UploadAction, UploadEvent, UploadOptions, UploadSource,
};
use r2_proto::{BucketName, ClientCore, Config, Credentials, Now, ObjectKey};
use time::macros::datetime;

const PART: u64 = 5 * 1024 * 1024;

fn core() -> Arc<ClientCore> {
    let credentials =
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
    let config = Config::for_account("0123456789abcdef0123456789abcdef", credentials)
        .build()
        .unwrap();
    Arc::new(ClientCore::new(config))
}

fn xml(body: &'static str) -> Response<Bytes> {
    Response::new(Bytes::from_static(body.as_bytes()))
}

/// Uploads `parts` parts of one shared 5 MiB buffer; answers every request at once.
fn upload(core: &Arc<ClientCore>, parts: u64, part: &Bytes) -> u32 {
    let now = Now::new(Instant::now(), datetime!(2024-05-01 12:00 UTC));
    let options = UploadOptions {
        part_size: PART,
        concurrency: 16,
        // The machine's own work: no per-part checksum (that is the
        // integrity bench's subject).
        part_integrity: PartIntegrity::None,
        ..UploadOptions::from_config(core.config())
    };
    let bucket = BucketName::new("bucket").unwrap();
    let key = ObjectKey::new("big").unwrap();
    let mut upload = Upload::new(
        core.clone(),
        bucket,
        key,
        UploadSource::Sized(parts * PART),
        options,
    )
    .unwrap();
    let etag = HeaderValue::from_static("\"5d41402abc4b2a76b9719d911017c592\"");
    loop {
        let mut events = Vec::new();
        while let Some(action) = upload.poll(now) {
            match action {
                UploadAction::ReadPart { part: number, .. } => events.push(UploadEvent::PartRead {
                    part: number,
                    data: part.clone(),
                }),
                UploadAction::Send { id, request } => {
                    let response = match (
                        request.method().as_str(),
                        request.uri().query().unwrap_or(""),
                    ) {
                        ("POST", "uploads") => xml(
                            "<InitiateMultipartUploadResult><UploadId>u</UploadId></InitiateMultipartUploadResult>",
                        ),
                        ("POST", _) => xml(
                            "<CompleteMultipartUploadResult><ETag>\"x-1\"</ETag></CompleteMultipartUploadResult>",
                        ),
                        _ => {
                            let mut response = Response::new(Bytes::new());
                            response.headers_mut().insert("etag", etag.clone());
                            response
                        }
                    };
                    events.push(Event::Response { id, response }.into());
                }
                UploadAction::Done(out) => return out.parts,
                UploadAction::Failed(error) => panic!("{error}"),
                UploadAction::ReadStream { .. }
                | UploadAction::Note { .. }
                | UploadAction::Progress(_)
                | UploadAction::SaveState(_) => {}
            }
        }
        for event in events {
            upload.handle(now, event);
        }
    }
}

/// Downloads a `ranges` × 5 MiB object; every range answers at once, bodies not copied.
fn download(core: &Arc<ClientCore>, ranges: u64) -> u64 {
    let now = Now::new(Instant::now(), datetime!(2024-05-01 12:00 UTC));
    let total = ranges * PART;
    let options = DownloadOptions {
        part_size: PART,
        concurrency: 16,
        if_match: None,
        in_order: false,
        progress_interval: r2_proto::transfer::PROGRESS_INTERVAL,
    };
    let bucket = BucketName::new("bucket").unwrap();
    let mut download = Download::new(
        core.clone(),
        bucket,
        ObjectKey::new("big").unwrap(),
        options,
    );
    loop {
        let mut fetches = Vec::new();
        while let Some(action) = download.poll(now) {
            match action {
                DownloadAction::Fetch(fetch) => fetches.push(fetch),
                DownloadAction::Done(out) => return out.size,
                DownloadAction::Failed(error) => panic!("{error}"),
                DownloadAction::Note(_)
                | DownloadAction::Progress(_)
                | DownloadAction::Deliver { .. } => {}
            }
        }
        for fetch in fetches {
            let last = (fetch.offset + PART).min(total) - 1;
            let mut headers = HeaderMap::new();
            let range = format!("bytes {}-{last}/{total}", fetch.offset);
            headers.insert("content-range", HeaderValue::from_str(&range).unwrap());
            headers.insert("content-length", HeaderValue::from(last + 1 - fetch.offset));
            headers.insert("etag", HeaderValue::from_static("\"e\""));
            match download.on_headers(now, fetch.id, StatusCode::PARTIAL_CONTENT, &headers) {
                BodyPlan::Write { len, .. } => download.handle(
                    now,
                    DownloadEvent::BodyDone {
                        id: fetch.id,
                        received: len,
                    },
                ),
                other => panic!("{other:?}"),
            }
        }
    }
}

/// A 10,000-part upload, one part at a time, kept mid-way: each
/// [`step`](Stepper::step) answers the part in flight, hands the machine the
/// next part's bytes and takes its next request (event in, action out).
struct Stepper {
    upload: Upload,
    in_flight: Option<r2_proto::RequestId>,
    now: Now,
    part: Bytes,
}

impl Stepper {
    fn new(core: &Arc<ClientCore>, part: &Bytes) -> Self {
        let now = Now::new(Instant::now(), datetime!(2024-05-01 12:00 UTC));
        let options = UploadOptions {
            part_size: PART,
            concurrency: 1,
            part_integrity: PartIntegrity::None,
            ..UploadOptions::from_config(core.config())
        };
        let upload = Upload::new(
            core.clone(),
            BucketName::new("bucket").unwrap(),
            ObjectKey::new("big").unwrap(),
            UploadSource::Sized(10_000 * PART),
            options,
        )
        .unwrap();
        let mut stepper = Self {
            upload,
            in_flight: None,
            now,
            part: part.clone(),
        };
        stepper.drive(Some(xml(
            "<InitiateMultipartUploadResult><UploadId>u</UploadId></InitiateMultipartUploadResult>",
        )));
        stepper
    }

    /// Polls until the next part request goes out; `create` answers the Create.
    fn drive(&mut self, mut create: Option<Response<Bytes>>) -> bool {
        loop {
            match self.upload.poll(self.now) {
                Some(UploadAction::ReadPart { part, .. }) => {
                    let data = self.part.clone();
                    self.upload
                        .handle(self.now, UploadEvent::PartRead { part, data });
                }
                Some(UploadAction::Send { id, request }) => {
                    if request.uri().query() == Some("uploads") {
                        let response = create.take().unwrap();
                        self.upload
                            .handle(self.now, Event::Response { id, response }.into());
                    } else {
                        self.in_flight = Some(id);
                        return true;
                    }
                }
                Some(
                    UploadAction::Note { .. }
                    | UploadAction::Progress(_)
                    | UploadAction::SaveState(_),
                ) => {}
                _ => return false,
            }
        }
    }

    /// One step; false when the parts ran out.
    fn step(&mut self) -> bool {
        let Some(id) = self.in_flight.take() else {
            return false;
        };
        let mut response = Response::new(Bytes::new());
        response.headers_mut().insert(
            "etag",
            HeaderValue::from_static("\"5d41402abc4b2a76b9719d911017c592\""),
        );
        self.upload
            .handle(self.now, Event::Response { id, response }.into());
        self.drive(None)
    }
}

fn machines(c: &mut Criterion) {
    let core = core();
    let part = Bytes::from(vec![0u8; PART as usize]);
    let mut group = c.benchmark_group("machines");
    group
        .measurement_time(Duration::from_secs(5))
        .sample_size(20);
    for parts in [1_000u64, 10_000] {
        group.throughput(Throughput::Elements(parts));
        group.bench_function(format!("upload {parts} parts"), |b| {
            b.iter(|| black_box(upload(&core, parts, &part)))
        });
    }
    group.throughput(Throughput::Elements(1));
    group.bench_function(
        "one upload step (part answered, next part read and sent)",
        |b| {
            b.iter_custom(|iterations| {
                let mut stepper = Stepper::new(&core, &part);
                let mut spent = Duration::ZERO;
                for _ in 0..iterations {
                    let started = Instant::now();
                    let stepped = stepper.step();
                    spent += started.elapsed();
                    if !stepped {
                        stepper = Stepper::new(&core, &part);
                    }
                }
                spent
            })
        },
    );
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("download 10000 ranges", |b| {
        b.iter(|| black_box(download(&core, 10_000)))
    });
    group.finish();
}

criterion_group!(benches, machines);
criterion_main!(benches);
