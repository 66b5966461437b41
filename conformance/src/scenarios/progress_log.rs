//! What the transfer helpers reported through `on_progress`, kept by each
//! scenario client so the scenarios can check it: every count only grows,
//! the last report is the whole object, a resumed upload starts from the
//! bytes the server held.

use std::sync::{Arc, Mutex, PoisonError};

use r2_proto::transfer::{DownloadProgress, UploadProgress};

/// One report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    /// From an upload.
    Upload(UploadProgress),
    /// From a download.
    Download(DownloadProgress),
}

/// The reports of one client, in order.
#[derive(Debug, Clone, Default)]
pub struct ProgressLog(Arc<Mutex<Vec<Reported>>>);

impl ProgressLog {
    /// A callback for an upload's `on_progress`.
    pub fn upload(&self) -> impl FnMut(UploadProgress) + Send + 'static {
        let log = Arc::clone(&self.0);
        move |p| push(&log, Reported::Upload(p))
    }

    /// A callback for a download's `on_progress`.
    pub fn download(&self) -> impl FnMut(DownloadProgress) + Send + 'static {
        let log = Arc::clone(&self.0);
        move |p| push(&log, Reported::Download(p))
    }

    /// The reports so far, emptying the log.
    pub fn take(&self) -> Vec<Reported> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

fn push(log: &Mutex<Vec<Reported>>, report: Reported) {
    log.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(report);
}

/// Checks one transfer's reports: at least one, counts never going back,
/// no report past the total, the last one at `size`; a resumed upload's
/// first report already counts `resumed` bytes.
pub fn check_reports(reports: &[Reported], size: u64, resumed: u64) -> Result<(), String> {
    let done: Vec<(u64, Option<u64>)> = reports
        .iter()
        .map(|r| match r {
            Reported::Upload(p) => (p.confirmed, p.total),
            Reported::Download(p) => (p.received, p.total),
        })
        .collect();
    let fail = |why: &str| Err(format!("progress {why}: {reports:?}"));
    let Some(&(last, _)) = done.last() else {
        return fail("never reported");
    };
    if done.windows(2).any(|w| matches!(w, [a, b] if b.0 < a.0)) {
        return fail("went back");
    }
    if done.iter().any(|&(d, t)| t.is_some_and(|t| d > t)) {
        return fail("past the total");
    }
    if last != size {
        return fail(&format!("ended at {last}, not {size}"));
    }
    if let Some(Reported::Upload(first)) = reports.first()
        && (first.confirmed < resumed || first.resumed != resumed)
    {
        return fail(&format!("did not start from the {resumed} bytes resumed"));
    }
    Ok(())
}
