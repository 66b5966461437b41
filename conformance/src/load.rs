//! A bounded load run through r2-tokio against the in-process server: a
//! fixed number of keys, each put, got and headed, with a fixed number of
//! operations in flight; it stops by itself and reports what it measured.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use r2_proto::ops::{GetObject, HeadObject, PutObject};
use r2_proto::{BucketName, ObjectKey};
use r2_tokio::R2Client;

/// What one run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadReport {
    /// Requests sent (3 per key).
    pub requests: usize,
    /// Requests that failed or read back wrong.
    pub errors: usize,
    /// Wall time.
    pub elapsed: Duration,
}

impl LoadReport {
    /// Requests per second.
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// Puts, gets and heads `keys` objects of `size` bytes under `prefix`,
/// with `in_flight` keys at once, on `client`'s runtime.
pub async fn run(
    client: &R2Client,
    bucket: &BucketName,
    prefix: &str,
    keys: usize,
    in_flight: usize,
    size: usize,
) -> LoadReport {
    let errors = Arc::new(AtomicUsize::new(0));
    let body = Bytes::from(vec![b'r'; size]);
    let started = Instant::now();
    futures_util::stream::iter(0..keys)
        .map(|i| {
            let (client, bucket, body, errors) = (client, bucket, body.clone(), &errors);
            async move {
                if one_key(client, bucket, &format!("{prefix}/{i:05}"), body)
                    .await
                    .is_err()
                {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
        .buffer_unordered(in_flight)
        .collect::<()>()
        .await;
    LoadReport {
        requests: keys * 3,
        errors: errors.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    }
}

async fn one_key(
    client: &R2Client,
    bucket: &BucketName,
    key: &str,
    body: Bytes,
) -> Result<(), String> {
    let key = ObjectKey::new(key).map_err(|e| e.to_string())?;
    let objects = client.objects();
    let put = PutObject::new(bucket.clone(), key.clone(), body.clone());
    objects.put(put).await.map_err(|e| e.to_string())?;
    let got = objects
        .get(GetObject::new(bucket.clone(), key.clone()))
        .await
        .map_err(|e| e.to_string())?;
    if got.body != body {
        return Err("read back different bytes".into());
    }
    let head = objects
        .head(HeadObject::new(bucket.clone(), key))
        .await
        .map_err(|e| e.to_string())?;
    if head.content_length != Some(body.len() as u64) {
        return Err("head gave another length".into());
    }
    Ok(())
}

/// This process's resident and peak resident memory, in KiB, from
/// `/proc/self/status` (`None` where there is no procfs).
pub fn memory_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
