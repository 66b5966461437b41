//! An answer's body as it comes off the connection: framed by
//! `Content-Length` (handed over with one copy), or chunked or
//! close-delimited (decoded by `ureq-proto`).

use bytes::Bytes;
use r2_proto::error::NetworkError;
use ureq_proto::client::state::RecvBody;
use ureq_proto::client::{Call, RecvBodyResult};

use crate::exchange::{LARGE_READ_BUFFER, kept};

/// The body of an answer, with the bytes read off its connection but not
/// yet handed over. The transport asks for the next piece
/// ([`Body::chunk`] or [`Body::take_into`]); on [`BodyStep::Read`] it reads
/// from the connection into [`Body::room`] and reports it with
/// [`Body::filled`].
pub struct Body {
    framing: Framing,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
}

/// What the transport does next with a body.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyStep<T> {
    /// A piece of the body.
    Data(T),
    /// The body ended; the connection may be reused (with
    /// [`Body::into_buffer`]) when `reusable`, else it is closed.
    End {
        /// Whether the connection may carry another request.
        reusable: bool,
    },
    /// Read more from the connection into [`Body::room`].
    Read,
}

/// How the body's end is known.
enum Framing {
    /// `Content-Length`: `left` bytes still to come.
    Length { left: u64, reusable: bool },
    /// Chunked, or to the connection's close.
    Decoded {
        call: Box<Call<RecvBody>>,
        close_delimited: bool,
    },
    /// Ended (reusable or not), or broken.
    Done { reusable: bool },
}

/// Where a decoded piece goes.
enum Out<'a> {
    Caller(&'a mut [u8]),
    Owned,
}

/// A decoded piece.
enum Piece {
    Copied(usize),
    Owned(Bytes),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("buffered", &(self.end - self.start))
            .field("ended", &matches!(self.framing, Framing::Done { .. }))
            .finish_non_exhaustive()
    }
}

impl Body {
    pub(crate) fn length(left: u64, reusable: bool) -> Self {
        Self::framed(Framing::Length { left, reusable })
    }

    pub(crate) fn decoded(call: Call<RecvBody>, close_delimited: bool) -> Self {
        Self::framed(Framing::Decoded {
            call: Box::new(call),
            close_delimited,
        })
    }

    fn framed(framing: Framing) -> Self {
        Self {
            framing,
            buffer: Vec::new(),
            start: 0,
            end: 0,
        }
    }

    /// The body over the connection's buffer, whose `start..end` bytes
    /// already came in; a body over 1 MiB (or of unknown length) is read
    /// in larger pieces.
    pub(crate) fn over(mut self, mut buffer: Vec<u8>, start: usize, end: usize) -> Self {
        let small = matches!(self.framing, Framing::Length { left, .. } if left <= 1 << 20);
        if !small && buffer.len() < LARGE_READ_BUFFER {
            buffer.resize(LARGE_READ_BUFFER, 0);
        }
        self.buffer = buffer;
        (self.start, self.end) = (start, end);
        self
    }

    /// The next piece as its own [`Bytes`].
    pub fn chunk(&mut self) -> Result<BodyStep<Bytes>, NetworkError> {
        Ok(match self.next(Out::Owned)? {
            BodyStep::Data(Piece::Owned(bytes)) => BodyStep::Data(bytes),
            BodyStep::Data(Piece::Copied(_)) | BodyStep::Read => BodyStep::Read,
            BodyStep::End { reusable } => BodyStep::End { reusable },
        })
    }

    /// The next piece copied into `out`: how many bytes (never 0 when `out`
    /// has room).
    pub fn take_into(&mut self, out: &mut [u8]) -> Result<BodyStep<usize>, NetworkError> {
        Ok(match self.next(Out::Caller(out))? {
            BodyStep::Data(Piece::Copied(n)) => BodyStep::Data(n),
            BodyStep::Data(Piece::Owned(_)) | BodyStep::Read => BodyStep::Read,
            BodyStep::End { reusable } => BodyStep::End { reusable },
        })
    }

    fn next(&mut self, mut out: Out<'_>) -> Result<BodyStep<Piece>, NetworkError> {
        loop {
            let buffered = self.buffer.get(self.start..self.end).unwrap_or_default();
            match &mut self.framing {
                Framing::Done { reusable } => {
                    let reusable = *reusable && self.start == self.end;
                    return Ok(BodyStep::End { reusable });
                }
                Framing::Length { left: 0, reusable } => {
                    self.framing = Framing::Done {
                        reusable: *reusable,
                    };
                }
                Framing::Length { left, .. } if !buffered.is_empty() => {
                    let mut take = buffered
                        .len()
                        .min(usize::try_from(*left).unwrap_or(usize::MAX));
                    let piece = match &mut out {
                        Out::Caller(target) => {
                            take = take.min(target.len());
                            let (to, from) = (target.get_mut(..take), buffered.get(..take));
                            if let (Some(to), Some(from)) = (to, from) {
                                to.copy_from_slice(from);
                            }
                            Piece::Copied(take)
                        }
                        Out::Owned => Piece::Owned(Bytes::copy_from_slice(
                            buffered.get(..take).unwrap_or_default(),
                        )),
                    };
                    self.start += take;
                    *left -= take as u64;
                    return Ok(BodyStep::Data(piece));
                }
                Framing::Length { .. } => return Ok(BodyStep::Read),
                Framing::Decoded {
                    call,
                    close_delimited,
                } => {
                    if !buffered.is_empty() {
                        let mut owned = Vec::new();
                        let target = match &mut out {
                            Out::Caller(target) => &mut **target,
                            Out::Owned => {
                                owned.resize(buffered.len(), 0);
                                &mut owned[..]
                            }
                        };
                        let (used, produced) = match call.read(buffered, target) {
                            Ok(counts) => counts,
                            Err(error) => return Err(self.broken(error)),
                        };
                        self.start += used;
                        if produced > 0 {
                            owned.truncate(produced);
                            return Ok(BodyStep::Data(match out {
                                Out::Caller(_) => Piece::Copied(produced),
                                Out::Owned => Piece::Owned(Bytes::from(owned)),
                            }));
                        }
                        if used > 0 {
                            continue;
                        }
                    }
                    if call.can_proceed() && !*close_delimited {
                        let framing =
                            std::mem::replace(&mut self.framing, Framing::Done { reusable: false });
                        if let Framing::Decoded { call, .. } = framing {
                            let reusable = matches!(
                                (*call).proceed(),
                                Some(RecvBodyResult::Cleanup(cleanup)) if !cleanup.must_close_connection()
                            );
                            self.framing = Framing::Done { reusable };
                        }
                        continue;
                    }
                    return Ok(BodyStep::Read);
                }
            }
        }
    }

    /// How many bytes the transport may read from the connection straight
    /// into its caller's buffer (no copy through [`Body::room`]): the rest
    /// of a `Content-Length` body, up to `max`, once nothing is buffered;
    /// 0 otherwise. Report them with [`Body::took_direct`].
    pub fn direct(&self, max: usize) -> usize {
        match self.framing {
            Framing::Length { left, .. } if self.start == self.end => {
                max.min(usize::try_from(left).unwrap_or(usize::MAX))
            }
            _ => 0,
        }
    }

    /// Takes the `n` bytes read straight into the caller's buffer; none
    /// means the connection closed before the body ended.
    pub fn took_direct(&mut self, n: usize) -> Result<(), NetworkError> {
        match &mut self.framing {
            _ if n == 0 => self.filled(0),
            Framing::Length { left, .. } if n as u64 <= *left => {
                *left -= n as u64;
                Ok(())
            }
            _ => Err(self.broken("more read than the body's length")),
        }
    }

    /// Where the next bytes from the connection go (what is still
    /// buffered moves to the front first).
    pub fn room(&mut self) -> &mut [u8] {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        self.buffer.get_mut(self.end..).unwrap_or_default()
    }

    /// Takes `n` bytes read into [`Body::room`]. None means the server
    /// closed the connection: the end of a close-delimited body, else an
    /// interrupted one.
    pub fn filled(&mut self, n: usize) -> Result<(), NetworkError> {
        if n > 0 {
            self.end += n;
            return Ok(());
        }
        let close_delimited = matches!(
            self.framing,
            Framing::Decoded {
                close_delimited: true,
                ..
            }
        );
        self.framing = Framing::Done { reusable: false };
        if close_delimited {
            Ok(())
        } else {
            Err(NetworkError::StreamInterrupted(
                "the connection closed before the body ended".into(),
            ))
        }
    }

    /// The body broke (a read failed, or bad framing): the connection is
    /// not reused.
    pub fn broken(&mut self, error: impl std::fmt::Display) -> NetworkError {
        self.framing = Framing::Done { reusable: false };
        NetworkError::StreamInterrupted(error.to_string())
    }

    /// The buffer to keep with the connection once the body ended.
    pub fn into_buffer(self) -> Vec<u8> {
        kept(self.buffer)
    }
}
