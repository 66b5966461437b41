//! The start: a single PutObject or a multipart upload, and a stream
//! buffered until it is known which (then read part by part).

use super::*;

impl Upload {
    pub(super) fn start(&mut self) -> Step {
        match (self.source, self.plan) {
            (UploadSource::Sized(total), Some(plan))
                if total < self.options.multipart_threshold =>
            {
                if total == 0 {
                    self.start_single(Vec::new());
                    return Step::Again;
                }
                self.phase = Phase::ReadingSingle;
                Step::Act(UploadAction::ReadPart {
                    part: 1,
                    offset: 0,
                    len: plan.total(),
                })
            }
            (UploadSource::Sized(_), _) => {
                self.start_create();
                Step::Again
            }
            (UploadSource::Stream, _) => self.stream_step(),
        }
    }

    /// The most a stream is buffered before choosing single or multipart.
    pub(super) fn stream_buffer_cap(&self) -> u64 {
        let window = self.part_size * self.options.concurrency as u64;
        window.min(self.options.multipart_threshold)
    }

    /// Stream before the decision: read until it ends (single PutObject) or
    /// the buffer is full (multipart).
    pub(super) fn stream_step(&mut self) -> Step {
        if self.stream_reading {
            return Step::Idle;
        }
        let buffered: u64 = self.parts.iter().map(|p| p.size).sum();
        if self.stream_ended {
            if buffered < self.options.multipart_threshold || self.parts.is_empty() {
                let chunks = self
                    .parts
                    .drain(..)
                    .filter_map(|p| match p.state {
                        PartState::Buffered(data) => Some(data),
                        _ => None,
                    })
                    .collect();
                self.active.clear();
                self.start_single(chunks);
            } else {
                self.start_create();
            }
            return Step::Again;
        }
        if !self.parts.is_empty() && buffered >= self.stream_buffer_cap() {
            self.start_create();
            return Step::Again;
        }
        self.read_stream()
    }

    pub(super) fn read_stream(&mut self) -> Step {
        let number = self.parts.len() as u64 + 1;
        if number > MAX_PARTS {
            let limit = self.part_size * MAX_PARTS;
            self.fail(failure(
                u32::try_from(number).ok(),
                RequestError::TooLarge {
                    bytes: limit + 1,
                    limit,
                }
                .into(),
            ));
            return Step::Again;
        }
        self.stream_reading = true;
        self.parts.push(Part {
            size: 0,
            state: PartState::Waiting,
            counted: false,
        });
        let index = self.parts.len() - 1;
        self.set_state(index, PartState::Reading);
        Step::Act(UploadAction::ReadStream {
            part: part_number(index),
            max: self.part_size,
        })
    }

    pub(super) fn stream_read(&mut self, number: u32, data: Bytes, end: bool) {
        let Some(index) = part_index(number) else {
            return;
        };
        let is_pending = index + 1 == self.parts.len()
            && matches!(
                self.parts.get(index).map(|p| &p.state),
                Some(PartState::Reading)
            );
        if !self.stream_reading || !is_pending {
            return;
        }
        self.stream_reading = false;
        let len = data.len() as u64;
        if len > self.part_size || (!end && len != self.part_size) {
            let message = format!(
                "the stream gave {len} bytes for part {number}; every part but the last must have {}",
                self.part_size
            );
            self.set_state(index, PartState::Waiting);
            self.source_failed(number, message);
            return;
        }
        if end {
            self.stream_ended = true;
            let before: u64 = self.parts.iter().map(|p| p.size).sum();
            self.progress.total = Some(before + len);
        }
        if len == 0 && end {
            self.set_state(index, PartState::Waiting);
            self.parts.pop();
            return;
        }
        if let Some(part) = self.parts.get_mut(index) {
            part.size = len;
        }
        self.send_part(index, data);
    }

    pub(super) fn start_single(&mut self, chunks: Vec<Bytes>) {
        let (integrity, _) = self.options.part_integrity.header(&chunks);
        let mut put = PutObject::from_chunks(self.bucket.clone(), self.key.clone(), chunks)
            .attributes(self.options.attributes.clone());
        put = match integrity {
            Some(integrity) => put.integrity(integrity),
            None => put.no_integrity(),
        };
        match Exchange::new(self.core.clone(), put) {
            Ok(exchange) => {
                self.progress.sent = exchange.operation().body().content_length();
                self.progress.total = Some(self.progress.sent);
                self.phase = Phase::Single(Box::new(exchange));
            }
            Err(error) => self.finish(Err(error)),
        }
    }

    pub(super) fn start_create(&mut self) {
        let mut create = CreateMultipartUpload::new(self.bucket.clone(), self.key.clone())
            .attributes(self.options.attributes.clone());
        if let Some(algorithm) = self.options.part_integrity.algorithm() {
            create = create.checksum(algorithm, ChecksumType::Composite);
        }
        match Exchange::new(self.core.clone(), create) {
            Ok(exchange) => self.phase = Phase::Creating(Box::new(exchange)),
            Err(error) => self.finish(Err(error)),
        }
    }
}
