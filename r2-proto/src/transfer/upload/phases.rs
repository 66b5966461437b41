//! The phases of an upload and the one step that moves it: each phase's
//! exchange is polled by the same [`relay`], and how it ended decides the
//! next phase.

use super::*;

/// Where an upload is (the diagram in the module above).
#[derive(Debug)]
pub(super) enum Phase {
    /// Resuming: paging through the parts the kept upload holds.
    Listing(Box<Exchange<ListParts>>, PartPages, Vec<PartSummary>),
    /// Before choosing single or multipart (streams read here first).
    Starting,
    /// Reading the one part of a single PutObject.
    ReadingSingle,
    /// A single PutObject.
    Single(Box<Exchange<PutObject>>),
    /// Creating the multipart upload.
    Creating(Box<Exchange<CreateMultipartUpload>>),
    /// Sending parts.
    Parts,
    /// Completing; `tries` attempts so far.
    Completing(Box<Exchange<CompleteMultipartUpload>>, u32),
    /// Checking whether an uncertain Complete took effect.
    Verifying(Box<Exchange<HeadObject>>, u32, R2Error),
    /// Waiting before trying Complete again.
    CompleteBackoff(Instant, u32),
    /// Waiting for parts in flight to finish before aborting or giving up.
    Draining(Box<UploadFailure>),
    /// Aborting.
    Aborting(Box<Exchange<AbortMultipartUpload>>, Box<UploadFailure>),
    /// Finished.
    Finished(Option<Result<UploadOutput, R2Error>>),
}

/// What the machine asks of the exchange of any phase, whatever its
/// operation.
pub(super) trait PhaseExchange {
    fn in_flight(&self) -> Option<RequestId>;
    fn deadline(&self) -> Option<Instant>;
    fn handle(&mut self, now: Now, event: Event);
}

impl<O: Operation> PhaseExchange for Exchange<O> {
    fn in_flight(&self) -> Option<RequestId> {
        Exchange::in_flight(self)
    }

    fn deadline(&self) -> Option<Instant> {
        Exchange::deadline(self)
    }

    fn handle(&mut self, now: Now, event: Event) {
        Exchange::handle(self, now, event);
    }
}

impl Phase {
    /// The exchange the phase waits on, if it has one.
    pub(super) fn exchange(&self) -> Option<&dyn PhaseExchange> {
        Some(match self {
            Self::Listing(e, ..) => &**e,
            Self::Single(e) => &**e,
            Self::Creating(e) => &**e,
            Self::Completing(e, _) => &**e,
            Self::Verifying(e, ..) => &**e,
            Self::Aborting(e, _) => &**e,
            _ => return None,
        })
    }

    /// The exchange the phase waits on, to hand an answer to.
    pub(super) fn exchange_mut(&mut self) -> Option<&mut dyn PhaseExchange> {
        Some(match self {
            Self::Listing(e, ..) => &mut **e,
            Self::Single(e) => &mut **e,
            Self::Creating(e) => &mut **e,
            Self::Completing(e, _) => &mut **e,
            Self::Verifying(e, ..) => &mut **e,
            Self::Aborting(e, _) => &mut **e,
            _ => return None,
        })
    }
}

/// Polls a phase's exchange: what the driver must do (or `Idle`), or how
/// the exchange ended.
pub(super) fn relay<O: Operation>(
    exchange: &mut Exchange<O>,
    now: Now,
) -> Result<Step, Result<O::Output, R2Error>> {
    match exchange.poll(now).map(split::<O>) {
        None => Ok(Step::Idle),
        Some(Ok(action)) => Ok(Step::Act(action)),
        Some(Err(result)) => Err(result),
    }
}

/// How a phase's exchange ended.
#[expect(
    clippy::large_enum_variant,
    reason = "an outcome is moved once, from the exchange to the next phase"
)]
pub(super) enum Ended {
    Listed(Result<crate::ops::ListPartsOutput, R2Error>),
    Stored(Result<crate::ops::PutObjectOutput, R2Error>),
    Created(Result<crate::ops::CreateMultipartUploadOutput, R2Error>),
    Completed(Result<crate::ops::CompleteMultipartUploadOutput, R2Error>),
    Checked(Result<crate::model::ObjectMetadata, R2Error>),
    Aborted(Result<(), R2Error>),
    /// The parts in flight of a failing upload are all back.
    Drained,
}

/// An exchange's action: one to relay to the driver, or its end.
pub(super) fn split<O: Operation>(
    action: Action<O::Output>,
) -> Result<UploadAction, Result<O::Output, R2Error>> {
    match action {
        Action::Send { id, request } => Ok(UploadAction::Send { id, request }),
        Action::Note(note) => Ok(UploadAction::Note {
            operation: O::NAME,
            note,
        }),
        Action::Done(result) => Err(result),
    }
}

/// What one step of the machine produced.
#[expect(
    clippy::large_enum_variant,
    reason = "a step is moved once, straight out to the driver; boxing would allocate per request"
)]
pub(super) enum Step {
    /// An action for the driver.
    Act(UploadAction),
    /// Something changed: step again.
    Again,
    /// Nothing to do until an event or the deadline.
    Idle,
}

impl Upload {
    pub(super) fn step(&mut self, now: Now) -> Step {
        let ended = match &mut self.phase {
            Phase::Listing(e, ..) => relay(e, now).map_err(Ended::Listed),
            Phase::Single(e) => relay(e, now).map_err(Ended::Stored),
            Phase::Creating(e) => relay(e, now).map_err(Ended::Created),
            Phase::Completing(e, _) => relay(e, now).map_err(Ended::Completed),
            Phase::Verifying(e, ..) => relay(e, now).map_err(Ended::Checked),
            Phase::Aborting(e, _) => relay(e, now).map_err(Ended::Aborted),
            Phase::Starting => return self.start(),
            Phase::ReadingSingle => return Step::Idle,
            Phase::Parts => return self.step_parts(now),
            Phase::CompleteBackoff(until, tries) => {
                if now.instant < *until {
                    return Step::Idle;
                }
                let tries = *tries;
                self.start_complete(tries);
                return Step::Again;
            }
            Phase::Draining(_) if !self.active.is_empty() => return Step::Idle,
            Phase::Draining(_) => Err(Ended::Drained),
            Phase::Finished(result) => {
                return result.take().map_or(Step::Idle, |r| {
                    Step::Act(match r {
                        Ok(output) => UploadAction::Done(output),
                        Err(error) => UploadAction::Failed(error),
                    })
                });
            }
        };
        match ended {
            Ok(step) => step,
            Err(ended) => {
                self.phase_ended(now, ended);
                Step::Again
            }
        }
    }

    /// The exchange of the current phase ended (or the drain did): the
    /// phase's outcome decides the next one.
    pub(super) fn phase_ended(&mut self, now: Now, ended: Ended) {
        match (std::mem::replace(&mut self.phase, Phase::Starting), ended) {
            (Phase::Listing(_, mut pages, mut found), Ended::Listed(Ok(page))) => {
                match pages.advance(&page) {
                    Ok(()) => {
                        found.extend(page.parts);
                        self.list_next(pages, found);
                    }
                    Err(error) => self.finish(Err(error)),
                }
            }
            (Phase::Single(exchange), Ended::Stored(result)) => {
                let size = exchange.operation().body().content_length();
                if result.is_ok() {
                    self.progress.confirmed = size;
                    self.progress.parts_done = 1;
                }
                self.finish(result.map(|out| UploadOutput {
                    etag: out.etag,
                    upload_id: None,
                    parts: 1,
                    size,
                }));
            }
            (Phase::Creating(_), Ended::Created(Ok(created))) => {
                self.upload_id = Some(created.upload_id);
                self.phase = Phase::Parts;
                for index in self.active.clone() {
                    if let PartState::Buffered(data) = self.set_state(index, PartState::Waiting) {
                        self.send_part(index, data);
                    }
                }
            }
            (Phase::Completing(..), Ended::Completed(Ok(out))) => {
                self.finish(Ok(self.output(out.etag)));
            }
            (Phase::Completing(_, tries), Ended::Completed(Err(error))) => {
                self.after_complete_failure(tries, error);
            }
            (Phase::Verifying(_, tries, error), Ended::Checked(result)) => {
                self.after_check(now, tries, error, result);
            }
            (Phase::Draining(failure), Ended::Drained) => self.after_drain(failure),
            (Phase::Aborting(exchange, failure), Ended::Aborted(result)) => {
                self.after_abort(exchange.attempts(), failure, result);
            }
            (_, Ended::Listed(Err(error)) | Ended::Created(Err(error))) => self.finish(Err(error)),
            (phase, _) => {
                debug_assert!(false, "an outcome for another phase");
                self.phase = phase;
            }
        }
    }
}
