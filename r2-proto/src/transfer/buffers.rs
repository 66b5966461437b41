//! How a driver that reads into buffers of its own sizes them, written
//! once: the buffer a stream's part fills (grown as bytes come, never past
//! the part), and the buffers a download in order keeps ranges in (reused
//! once their bytes are written, so memory stays at the window's size
//! without fresh pages for every range).

use bytes::{Bytes, BytesMut};

use super::download::BodyPlan;

/// Most a stream part's buffer holds before its first read; a part larger
/// than this grows as its bytes come.
const PREALLOCATED: usize = 64 << 20;

/// The first read of a part whose buffer has to grow asks for this much;
/// each later one for as much again as is in, up to [`MAX_READ`].
const FIRST_READ: usize = 64 << 10;

/// Most one read asks for.
const MAX_READ: usize = 4 << 20;

/// One part of a stream being read: at most `max` bytes, or fewer where
/// the stream ends. The driver appends to the buffer that
/// [`next_read`](Self::next_read) lends it, as much as it says, until it
/// says the part is full or a read gives nothing.
#[derive(Debug)]
pub struct PartFill {
    buffer: BytesMut,
    want: usize,
}

impl PartFill {
    /// A part of at most `max` bytes. A driver with worker threads makes it
    /// on the driving thread: the buffer comes from that thread's
    /// allocator, so a freed part's memory serves the next one (parts
    /// allocated on the workers stayed in each worker's arena: 115 MiB
    /// resident for a 4 × 8 MiB stream upload).
    pub fn new(max: u64) -> Self {
        let want = usize::try_from(max).unwrap_or(usize::MAX);
        Self {
            buffer: BytesMut::with_capacity(want.min(PREALLOCATED)),
            want,
        }
    }

    /// The buffer to append the next read to, and the most that read may
    /// bring; `None` once the part is full.
    pub fn next_read(&mut self) -> Option<(&mut BytesMut, usize)> {
        let filled = self.buffer.len();
        let left = self.want.checked_sub(filled).filter(|&left| left > 0)?;
        let step = filled.clamp(FIRST_READ, MAX_READ).min(left);
        Some((&mut self.buffer, step))
    }

    /// The part's bytes, and whether the stream ended in it (`ended`: a
    /// read gave nothing before the part was full).
    pub fn finish(self, ended: bool) -> (Bytes, bool) {
        (self.buffer.freeze(), ended)
    }
}

/// The buffers of a download in order: a range the machine keeps
/// ([`BodyPlan::Keep`]) is read into one, and it is reused once the
/// range's bytes are handed on. Reuse keeps memory at the window's size
/// without fresh pages for every range (a new buffer per range cost page
/// faults; one per chunk, allocated on worker threads' own allocator
/// arenas, kept resident memory far over the window).
#[derive(Debug, Default)]
pub struct KeptBuffers {
    spare: Vec<BytesMut>,
}

impl KeptBuffers {
    /// The buffer a range planned as `plan` is read into: a spare one when
    /// there is one, else a new one; `None` for a range that is not kept.
    pub fn for_plan(&mut self, plan: BodyPlan) -> Option<BytesMut> {
        let BodyPlan::Keep { len, .. } = plan else {
            return None;
        };
        let len = usize::try_from(len).unwrap_or(0);
        Some(match self.spare.pop() {
            Some(mut buffer) => {
                buffer.reserve(len);
                buffer
            }
            None => BytesMut::with_capacity(len),
        })
    }

    /// Takes back a chunk whose bytes were written, when nothing else
    /// holds it.
    pub fn recycle(&mut self, chunk: Bytes) {
        if let Ok(mut buffer) = chunk.try_into_mut() {
            buffer.clear();
            self.spare.push(buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill_from(mut source: &[u8], max: u64) -> (Bytes, bool, usize) {
        let mut part = PartFill::new(max);
        let mut reads = 0;
        while let Some((buffer, step)) = part.next_read() {
            reads += 1;
            let n = step.min(source.len());
            buffer.extend_from_slice(&source[..n]);
            source = &source[n..];
            if n == 0 {
                let (bytes, ended) = part.finish(true);
                return (bytes, ended, reads);
            }
        }
        let (bytes, ended) = part.finish(false);
        (bytes, ended, reads)
    }

    #[test]
    fn a_part_fills_to_its_size_or_the_streams_end() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| i as u8).collect();
        let (bytes, ended, reads) = fill_from(&data, 1 << 20);
        assert_eq!((&bytes[..], ended), (&data[..1 << 20], false));
        assert!(reads <= 6, "reads grow: {reads}");
        let (bytes, ended, _) = fill_from(&data[..1000], 1 << 20);
        assert_eq!((&bytes[..], ended), (&data[..1000], true));
        let (bytes, ended, _) = fill_from(&[], 10);
        assert!(bytes.is_empty() && ended);
    }

    #[test]
    fn kept_buffers_are_reused_once_written() {
        let mut buffers = KeptBuffers::default();
        assert!(buffers.for_plan(BodyPlan::Discard).is_none());
        let plan = BodyPlan::Keep {
            offset: 0,
            len: 100,
        };
        let mut first = buffers.for_plan(plan).unwrap();
        first.extend_from_slice(&[7; 100]);
        let pointer = first.as_ptr();
        let held = first.freeze();
        let other_holder = held.clone();
        buffers.recycle(held);
        assert!(buffers.spare.is_empty(), "still held elsewhere: not reused");
        buffers.recycle(other_holder);
        let again = buffers.for_plan(plan).unwrap();
        assert_eq!((again.as_ptr(), again.len()), (pointer, 0));
    }
}
