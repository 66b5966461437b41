//! How far a transfer is, and when to say so: each machine counts its
//! bytes, and a [`ProgressGate`] lets a change out at most once per
//! interval (a callback printing a line is not flooded), always the first
//! one and the last, with the machine's deadline waking the driver for a
//! change held back.

use std::time::{Duration, Instant};

/// The default least time between two progress reports.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// How far an upload is. Every count only grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadProgress {
    /// Bytes in all, when known.
    pub total: Option<u64>,
    /// Bytes handed to the driver to send (each part counted once; parts
    /// found on the server when resuming are not sent).
    pub sent: u64,
    /// Bytes the server holds: confirmed parts, including those found on
    /// the server when resuming (so a resumed upload starts there, not at 0).
    pub confirmed: u64,
    /// Parts confirmed.
    pub parts_done: u32,
    /// Bytes found on the server when the upload resumed.
    pub resumed: u64,
}

/// How far a download is. Every count only grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DownloadProgress {
    /// The object's size, once the first answer told it.
    pub total: Option<u64>,
    /// Bytes received whole and checked: written to the file, or released
    /// in order to the writer.
    pub received: u64,
    /// Ranges received whole.
    pub ranges_done: u32,
}

/// Lets progress out at most once per interval.
#[derive(Debug, Clone)]
pub(crate) struct ProgressGate<P> {
    interval: Duration,
    /// What was last let out (or the starting point, which is not).
    last: Option<P>,
    /// When something was last let out.
    at: Option<Instant>,
}

impl<P: Copy + PartialEq> ProgressGate<P> {
    /// A gate letting a change from `start` out once per `interval`; the
    /// first change goes out at once.
    pub(crate) fn new(interval: Duration, start: P) -> Self {
        Self {
            interval,
            last: Some(start),
            at: None,
        }
    }

    /// `current`, when it differs from what was last let out and the
    /// interval has passed since (or nothing was let out yet).
    pub(crate) fn pass(&mut self, now: Instant, current: P) -> Option<P> {
        if self.last == Some(current) || self.at.is_some_and(|at| now < at + self.interval) {
            return None;
        }
        self.flush(now, current)
    }

    /// `current`, when it differs from what was last let out, whatever the
    /// time: the last report of a transfer.
    pub(crate) fn flush(&mut self, now: Instant, current: P) -> Option<P> {
        if self.last == Some(current) {
            return None;
        }
        (self.last, self.at) = (Some(current), Some(now));
        Some(current)
    }

    /// When a change held back may go out.
    pub(crate) fn due(&self, current: P) -> Option<Instant> {
        if self.last == Some(current) {
            return None;
        }
        self.at.map(|at| at + self.interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_goes_out_once_per_interval_and_the_last_one_always() {
        let start = Instant::now();
        let mut gate = ProgressGate::new(Duration::from_millis(100), 0);
        assert_eq!(gate.pass(start, 0), None, "the start is no change");
        assert_eq!(gate.pass(start, 1), Some(1), "the first change goes out");
        assert_eq!(gate.pass(start, 1), None, "no change, no report");
        assert_eq!(gate.pass(start + Duration::from_millis(50), 2), None);
        assert_eq!(gate.due(2), Some(start + Duration::from_millis(100)));
        assert_eq!(gate.due(1), None);
        assert_eq!(gate.pass(start + Duration::from_millis(100), 3), Some(3));
        assert_eq!(gate.flush(start + Duration::from_millis(101), 4), Some(4));
        assert_eq!(gate.flush(start + Duration::from_millis(102), 4), None);
    }
}
