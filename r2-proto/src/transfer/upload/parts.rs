//! The part window: parts read, buffered, sent and confirmed, never more
//! than `concurrency` at once.

use super::*;

/// A part the server holds: its ETag and the checksum Complete must echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Confirmed {
    pub(super) etag: ETag,
    pub(super) checksum: Option<Checksum>,
}

#[derive(Debug)]
pub(super) enum PartState {
    /// Not read yet.
    Waiting,
    /// Found by ListParts when resuming; to be read and checked.
    Listed(Confirmed),
    /// Being read to be sent.
    Reading,
    /// Being read to be checked against what ListParts gave.
    Checking(Confirmed),
    /// Read, waiting for the upload id (a stream buffered before deciding).
    Buffered(Bytes),
    /// Being sent (with its retries), with the checksum it carries.
    Sending(Box<Exchange<UploadPart>>, Option<Checksum>),
    /// Confirmed.
    Done(Confirmed),
}

#[derive(Debug)]
pub(super) struct Part {
    pub(super) size: u64,
    pub(super) state: PartState,
    /// Counted in the progress (once: a resumed part when it was listed).
    pub(super) counted: bool,
}

impl Part {
    /// True while the part holds or is fetching bytes.
    pub(super) fn in_window(&self) -> bool {
        matches!(
            self.state,
            PartState::Reading
                | PartState::Checking(_)
                | PartState::Buffered(_)
                | PartState::Sending(..)
        )
    }
}

impl Upload {
    /// Moves part `index` to `state`, keeping the window list in step.
    pub(super) fn set_state(&mut self, index: usize, state: PartState) -> PartState {
        let Some(part) = self.parts.get_mut(index) else {
            return state;
        };
        let was = part.in_window();
        let old = std::mem::replace(&mut part.state, state);
        let is = part.in_window();
        if was && !is {
            self.active.retain(|&i| i != index);
        } else if is && !was {
            self.active.push(index);
        }
        old
    }

    pub(super) fn confirm(&mut self, index: usize, confirmed: Confirmed) {
        self.set_state(index, PartState::Done(confirmed));
        self.count(index, false);
    }

    /// Counts part `index` in the progress, once: when it is confirmed, or
    /// when ListParts shows it on the server (`resumed`).
    pub(super) fn count(&mut self, index: usize, resumed: bool) {
        let Some(part) = self.parts.get_mut(index).filter(|p| !p.counted) else {
            return;
        };
        part.counted = true;
        self.progress.confirmed += part.size;
        self.progress.parts_done += 1;
        if resumed {
            self.progress.resumed += part.size;
        }
    }

    /// Sends part `index` (its bytes just read), or buffers it until the upload exists.
    pub(super) fn send_part(&mut self, index: usize, data: Bytes) {
        let Some(upload_id) = self.upload_id.clone() else {
            self.set_state(index, PartState::Buffered(data));
            return;
        };
        let number = part_number(index);
        let size = data.len() as u64;
        let (integrity, checksum) = self.options.part_integrity.header(&[&data]);
        let mut op = UploadPart::new(
            self.bucket.clone(),
            self.key.clone(),
            upload_id,
            number,
            data,
        );
        if let Some(integrity) = integrity {
            op = op.integrity(integrity);
        }
        match Exchange::new(self.core.clone(), op) {
            Ok(exchange) => {
                self.progress.sent += size;
                self.set_state(index, PartState::Sending(Box::new(exchange), checksum));
            }
            Err(error) => {
                self.set_state(index, PartState::Waiting);
                self.fail(failure(Some(number), error));
            }
        }
    }

    pub(super) fn step_parts(&mut self, now: Now) -> Step {
        // Parts being sent: relay their actions, collect their outcomes.
        for slot in 0..self.active.len() {
            let Some(&index) = self.active.get(slot) else {
                break;
            };
            let Some(PartState::Sending(exchange, checksum)) =
                self.parts.get_mut(index).map(|p| &mut p.state)
            else {
                continue;
            };
            let checksum = *checksum;
            match exchange.poll(now).map(split::<UploadPart>) {
                None => {}
                Some(Err(Ok(out))) => {
                    self.confirm(
                        index,
                        Confirmed {
                            etag: out.etag,
                            checksum,
                        },
                    );
                    return Step::Again;
                }
                Some(Err(Err(error))) => {
                    self.set_state(index, PartState::Waiting);
                    self.fail(failure(Some(part_number(index)), error));
                    return Step::Again;
                }
                Some(Ok(action)) => return Step::Act(action),
            }
        }
        // More reads, within the window.
        if self.active.len() < self.options.concurrency {
            match self.source {
                UploadSource::Sized(_) => {
                    while let Some(part) = self.parts.get(self.next_read) {
                        if matches!(part.state, PartState::Waiting | PartState::Listed(_)) {
                            return self.read_part(self.next_read);
                        }
                        self.next_read += 1;
                    }
                }
                UploadSource::Stream if !self.stream_ended && !self.stream_reading => {
                    return self.read_stream();
                }
                UploadSource::Stream => {}
            }
        }
        let all_done = self.progress.parts_done as usize == self.parts.len();
        let source_done = self.source != UploadSource::Stream || self.stream_ended;
        if all_done && source_done && self.active.is_empty() {
            self.start_complete(0);
            return Step::Again;
        }
        Step::Idle
    }

    pub(super) fn read_part(&mut self, index: usize) -> Step {
        let Some(plan) = self.plan else {
            return Step::Idle;
        };
        let next = match self.set_state(index, PartState::Reading) {
            PartState::Listed(listed) => PartState::Checking(listed),
            _ => PartState::Reading,
        };
        self.set_state(index, next);
        let number = part_number(index);
        let (offset, len) = plan.range(number);
        Step::Act(UploadAction::ReadPart {
            part: number,
            offset,
            len,
        })
    }

    pub(super) fn part_read(&mut self, number: u32, data: Bytes) {
        if matches!(self.phase, Phase::ReadingSingle) {
            let expected = self.plan.map_or(0, |p| p.total());
            if data.len() as u64 == expected {
                self.start_single(vec![data]);
            } else {
                self.source_failed(
                    number,
                    format!("read {} bytes, expected {expected}", data.len()),
                );
            }
            return;
        }
        let Some((index, part)) = part_index(number).and_then(|i| Some((i, self.parts.get(i)?)))
        else {
            return;
        };
        if !matches!(part.state, PartState::Reading | PartState::Checking(_)) {
            return;
        }
        if data.len() as u64 != part.size {
            let message = format!("read {} bytes, expected {}", data.len(), part.size);
            self.set_state(index, PartState::Waiting);
            self.source_failed(number, message);
            return;
        }
        match self.set_state(index, PartState::Reading) {
            PartState::Checking(listed) => {
                let (_, checksum) = self.options.part_integrity.header(&[&data]);
                let same_checksum = listed.checksum.is_none() || listed.checksum == checksum;
                if listed.etag.md5_hex() == Some(md5_hex(&data).as_str()) && same_checksum {
                    self.confirm(
                        index,
                        Confirmed {
                            etag: listed.etag,
                            checksum,
                        },
                    );
                } else {
                    self.send_part(index, data);
                }
            }
            _ => self.send_part(index, data),
        }
    }

    /// The parts as confirmed, in order; `None` if one is not.
    pub(super) fn confirmed_parts(&self) -> Option<Vec<&Confirmed>> {
        self.parts
            .iter()
            .map(|p| match &p.state {
                PartState::Done(confirmed) => Some(confirmed),
                _ => None,
            })
            .collect()
    }
}
