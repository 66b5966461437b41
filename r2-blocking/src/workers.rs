//! A few threads that run a transfer's jobs (reads, requests, body copies)
//! while the calling thread drives the machine. Results come back on one
//! channel; the driver waits on it until the machine's next deadline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use r2_proto::error::R2Error;

use r2_proto::exchange::stalled;

type Job<E> = Box<dyn FnOnce() -> E + Send>;

/// The pool.
pub(crate) struct Workers<E> {
    jobs: Option<Sender<Job<E>>>,
    results: Receiver<E>,
    threads: Vec<JoinHandle<()>>,
    running: usize,
    cancelled: Arc<AtomicBool>,
}

impl<E: Send + 'static> Workers<E> {
    /// `count` threads.
    pub(crate) fn new(count: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job<E>>();
        let (done, results) = mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        let cancelled = Arc::new(AtomicBool::new(false));
        let threads = (0..count.max(1))
            .map(|_| {
                let queue = Arc::clone(&queue);
                let done = done.clone();
                let cancelled = Arc::clone(&cancelled);
                std::thread::spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        if cancelled.load(Ordering::Relaxed) {
                            continue;
                        }
                        if done.send(job()).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        Self {
            jobs: Some(jobs),
            results,
            threads,
            running: 0,
            cancelled,
        }
    }

    /// Queues a job.
    pub(crate) fn run(&mut self, job: impl FnOnce() -> E + Send + 'static) {
        if let Some(jobs) = &self.jobs
            && jobs.send(Box::new(job)).is_ok()
        {
            self.running += 1;
        }
    }

    /// The next result, or `None` once `deadline` passes first. With no
    /// job left and no deadline the machine can never move again: a bug in
    /// the driver, reported instead of hanging.
    pub(crate) fn next(&mut self, deadline: Option<Instant>) -> Result<Option<E>, R2Error> {
        if self.running == 0 {
            let Some(deadline) = deadline else {
                return Err(stalled());
            };
            crate::client::sleep_until(deadline);
            return Ok(None);
        }
        let result = match deadline {
            Some(deadline) => {
                let wait = deadline.saturating_duration_since(Instant::now());
                self.results.recv_timeout(wait).ok()
            }
            None => self.results.recv().ok(),
        };
        if result.is_some() {
            self.running -= 1;
        }
        Ok(result)
    }
}

impl<E> Drop for Workers<E> {
    /// Drops the jobs not started, closes the queue and waits for the
    /// running ones (each bounded by the client's timeouts), so no thread
    /// outlives the transfer.
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
        self.jobs = None;
        for thread in self.threads.drain(..) {
            let _ignored = thread.join();
        }
    }
}
