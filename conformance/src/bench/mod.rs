//! The end-to-end bench: every adapter against the in-memory [`sink`]
//! server in another process on loopback, timing wall clock, this
//! process's CPU and its peak resident memory per scenario.

pub mod clients;
pub mod sink;

use std::time::{Duration, Instant};

use bytes::Bytes;
use r2_proto::error::R2Error;
use r2_proto::model::{Checksum, Integrity};
use r2_proto::ops::PutObject;
use r2_proto::{BucketName, Config, Credentials, ObjectKey, PayloadHash};

pub use clients::{BenchClient, BlockingBench, SmolBench, TokioBench};

/// What one scenario cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    /// Wall time.
    pub wall: Duration,
    /// User plus system CPU of this process.
    pub cpu: Duration,
    /// Peak resident memory during the scenario, over what was resident
    /// when it began (the source data, for uploads from memory).
    pub peak_over_start_mib: f64,
    /// Peak resident memory during the scenario.
    pub peak_mib: f64,
}

/// User plus system CPU of this process, all its threads (live and
/// finished) included, from `/proc/self/stat` (in clock ticks of 10 ms,
/// Linux's fixed `USER_HZ` of 100).
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The command name may hold spaces: fields are counted after its ')'.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // After the name: state is field 3 of stat(5), utime 14, stime 15.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Resident and peak resident memory in KiB; writing `5` to `clear_refs`
/// first resets the peak to what is resident now.
fn memory_kib(reset_peak: bool) -> (u64, u64) {
    if reset_peak {
        let _ignored = std::fs::write("/proc/self/clear_refs", "5");
    }
    crate::load::memory_kib().unwrap_or((0, 0))
}

/// Runs `f` and measures it.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Cost) {
    let (start_rss, _) = memory_kib(true);
    let cpu = cpu_time();
    let began = Instant::now();
    let value = f();
    let wall = began.elapsed();
    let cpu = cpu_time().saturating_sub(cpu);
    let (_, peak) = memory_kib(false);
    let cost = Cost {
        wall,
        cpu,
        peak_over_start_mib: peak.saturating_sub(start_rss) as f64 / 1024.0,
        peak_mib: peak as f64 / 1024.0,
    };
    (value, cost)
}

/// Runs `f` `runs` times (at least once), stopping at the first error:
/// every value, with the median wall time and CPU of the runs and the
/// highest memory peak. With more than one run, one more run goes first:
/// its memory peak counts (a cold start is the worst case a bound must
/// hold), its times do not (they hold the sink's first touch of fresh
/// memory).
pub fn measure_runs<T>(
    runs: usize,
    mut f: impl FnMut() -> Result<T, R2Error>,
) -> Result<(Vec<T>, Cost), R2Error> {
    let mut peaks = Vec::new();
    if runs > 1 {
        let (value, cold) = measure(&mut f);
        value?;
        peaks.push(cold);
    }
    let mut values = Vec::new();
    let mut costs = Vec::new();
    for _ in 0..runs.max(1) {
        let (value, cost) = measure(&mut f);
        values.push(value?);
        costs.push(cost);
    }
    peaks.extend(costs.iter().copied());
    let median = |mut all: Vec<Duration>| {
        all.sort_unstable();
        all.get(all.len() / 2).copied().unwrap_or_default()
    };
    let most = |of: fn(&Cost) -> f64| peaks.iter().map(of).fold(0.0, f64::max);
    let cost = Cost {
        wall: median(costs.iter().map(|c| c.wall).collect()),
        cpu: median(costs.iter().map(|c| c.cpu).collect()),
        peak_over_start_mib: most(|c| c.peak_over_start_mib),
        peak_mib: most(|c| c.peak_mib),
    };
    Ok((values, cost))
}

/// One line of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The adapter.
    pub adapter: &'static str,
    /// The scenario.
    pub scenario: String,
    /// What it cost.
    pub cost: Cost,
    /// Throughput in MB/s or requests/s, and further figures.
    pub rate: String,
}

/// Sizes of one run (full, or quick for a smoke test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// The single-PUT/GET and multipart object.
    pub object: u64,
    /// The streamed transfer.
    pub streamed: u64,
    /// Small PUTs.
    pub small_puts: usize,
    /// One group of scenarios only (for profiling it), or all of them.
    pub only: Option<Group>,
    /// Runs of each scenario; the table shows the medians.
    pub runs: usize,
}

/// A group of scenarios that can be run alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The single 1 GiB PUT and GET, and the integrity modes.
    Single,
    /// Multipart uploads and parallel downloads from memory.
    Multipart,
    /// The 10,000 small PUTs.
    Small,
    /// The 5 GiB streamed upload and download.
    Streamed,
}

impl Group {
    /// The group named `name` (`single`, `multipart`, `small`, `streamed`).
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "single" => Some(Self::Single),
            "multipart" => Some(Self::Multipart),
            "small" => Some(Self::Small),
            "streamed" => Some(Self::Streamed),
            _ => None,
        }
    }
}

impl Sizes {
    /// The sizes: 1 GiB, 5 GiB, 10,000.
    pub const FULL: Self = Self {
        object: 1 << 30,
        streamed: 5 << 30,
        small_puts: 10_000,
        only: None,
        runs: 3,
    };
    /// A quick run that shows everything works.
    pub const QUICK: Self = Self {
        object: 64 << 20,
        streamed: 96 << 20,
        small_puts: 500,
        only: None,
        runs: 1,
    };
}

const PART: u64 = 8 << 20;

fn mb_per_s(bytes: u64, cost: &Cost) -> String {
    format!(
        "{:.0} MB/s",
        bytes as f64 / 1e6 / cost.wall.as_secs_f64().max(f64::EPSILON)
    )
}

/// Sets one integrity mode on a PutObject of the given body.
type ApplyMode = fn(PutObject, &Bytes) -> PutObject;

/// Every scenario through adapter `C` against the sink at `endpoint`.
/// With `with_modes`, also a 1 GiB PUT in each other integrity mode (the
/// cost is the core's, the same in every adapter).
pub fn run_adapter<C: BenchClient>(
    endpoint: &str,
    sizes: Sizes,
    with_modes: bool,
) -> Result<Vec<Row>, R2Error> {
    let credentials = Credentials::new("AKIDBENCH", "bench-secret")?;
    let config = Config::for_endpoint(endpoint, credentials)
        .allow_insecure_http()
        .timeout(Duration::from_secs(300))
        .build()?;
    let client = C::connect(config, 64)?;
    let bucket = BucketName::new("bench")?;
    let mut rows = Vec::new();
    let mut row = |scenario: String, cost: Cost, rate: String| {
        rows.push(Row {
            adapter: C::NAME,
            scenario,
            cost,
            rate,
        });
    };
    let wanted = |group: Group| sizes.only.is_none_or(|only| only == group);
    let runs = sizes.runs;
    if wanted(Group::Single) || wanted(Group::Multipart) {
        let object = Bytes::from(vec![0x5au8; usize::try_from(sizes.object).unwrap_or(0)]);
        if wanted(Group::Single) {
            single(&client, &bucket, &object, (with_modes, runs), &mut row)?;
        }
        if wanted(Group::Multipart) {
            multipart(&client, &bucket, &object, runs, &mut row)?;
        }
    }
    if wanted(Group::Small) {
        small_puts(&client, &bucket, sizes, &mut row)?;
    }
    if wanted(Group::Streamed) {
        streamed(&client, &bucket, (sizes.streamed, runs), &mut row)?;
    }
    Ok(rows)
}

fn gib_of(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1u32 << 30)
}

/// One PUT of `object` and one GET of it; with `with_modes`, one PUT in
/// each integrity mode besides the default.
fn single<C: BenchClient>(
    client: &C,
    bucket: &BucketName,
    object: &Bytes,
    (with_modes, runs): (bool, usize),
    row: &mut impl FnMut(String, Cost, String),
) -> Result<(), R2Error> {
    let size = object.len() as u64;
    let gib = gib_of(size);
    let single = ObjectKey::new("single")?;
    let (_, cost) = measure_runs(runs, || {
        client.put(PutObject::new(
            bucket.clone(),
            single.clone(),
            object.clone(),
        ))
    })?;
    row(
        format!("PUT {gib} GiB from memory (CRC32, the default)"),
        cost,
        mb_per_s(size, &cost),
    );
    let (got, cost) = measure_runs(runs, || client.get_to_sink(bucket, &single))?;
    let got = got.last().copied().unwrap_or(0);
    row(
        format!("GET {gib} GiB to a sink"),
        cost,
        mb_per_s(got, &cost),
    );
    if !with_modes {
        return Ok(());
    }
    let modes: [(&str, ApplyMode); 4] = [
        ("no integrity header", |p, _| p.no_integrity()),
        ("CRC32C", |p, body| p.integrity(Checksum::crc32c_of(body))),
        ("Content-MD5", |p, body| {
            p.integrity(Integrity::content_md5_of(body))
        }),
        ("SHA-256 signed payload", |p, body| {
            p.no_integrity().payload_hash(PayloadHash::of(body))
        }),
    ];
    for (mode, apply) in modes {
        let (_, cost) = measure_runs(runs, || {
            let put = apply(
                PutObject::new(bucket.clone(), single.clone(), object.clone()),
                object,
            );
            client.put(put)
        })?;
        row(
            format!("PUT {gib} GiB from memory ({mode})"),
            cost,
            mb_per_s(size, &cost),
        );
    }
    Ok(())
}

/// The upload helper and the parallel download, 4 and 16 at once.
fn multipart<C: BenchClient>(
    client: &C,
    bucket: &BucketName,
    object: &Bytes,
    runs: usize,
    row: &mut impl FnMut(String, Cost, String),
) -> Result<(), R2Error> {
    let size = object.len() as u64;
    let gib = gib_of(size);
    for concurrency in [4, 16] {
        let multi = ObjectKey::new(format!("multi-{concurrency}"))?;
        let (_, cost) = measure_runs(runs, || {
            client.upload(bucket, &multi, object.clone(), PART, concurrency)
        })?;
        row(
            format!("upload {gib} GiB, 8 MiB parts, {concurrency} at once"),
            cost,
            mb_per_s(size, &cost),
        );
        let (down, cost) = measure_runs(runs, || {
            client.download_to_sink(bucket, &multi, PART, concurrency)
        })?;
        let down = down.last().copied().unwrap_or(0);
        row(
            format!("download {gib} GiB, 8 MiB ranges, {concurrency} at once"),
            cost,
            mb_per_s(down, &cost),
        );
    }
    Ok(())
}

/// A streamed upload of `size` pattern bytes and a download to a writer.
fn streamed<C: BenchClient>(
    client: &C,
    bucket: &BucketName,
    (size, runs): (u64, usize),
    row: &mut impl FnMut(String, Cost, String),
) -> Result<(), R2Error> {
    let streamed = ObjectKey::new("streamed")?;
    let gib = gib_of(size);
    let (_, cost) = measure_runs(runs, || {
        client.upload_stream(bucket, &streamed, size, PART, 4)
    })?;
    row(
        format!("upload {gib} GiB stream, 8 MiB parts, 4 at once"),
        cost,
        mb_per_s(size, &cost),
    );
    let (down, cost) = measure_runs(runs, || client.download_to_sink(bucket, &streamed, PART, 4))?;
    let down = down.last().copied().unwrap_or(0);
    row(
        format!("download {gib} GiB to a writer, 8 MiB ranges, 4 at once"),
        cost,
        mb_per_s(down, &cost),
    );
    Ok(())
}

/// `sizes.small_puts` PUTs of 1 KiB, 32 in flight, with their latencies.
fn small_puts<C: BenchClient>(
    client: &C,
    bucket: &BucketName,
    sizes: Sizes,
    row: &mut impl FnMut(String, Cost, String),
) -> Result<(), R2Error> {
    let (runs, cost) = measure_runs(sizes.runs, || {
        client.small_puts(bucket, sizes.small_puts, 32, 1024)
    })?;
    // The latencies of every run together; the rate from the median run.
    let mut latencies: Vec<Duration> = runs.concat();
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    let count = sizes.small_puts.max(1);
    row(
        format!("{} PUTs of 1 KiB, 32 in flight", sizes.small_puts),
        cost,
        format!(
            "{:.0} req/s, {:.1} µs CPU/req, p50 {:.0} µs, p99 {:.0} µs",
            count as f64 / cost.wall.as_secs_f64().max(f64::EPSILON),
            cost.cpu.as_secs_f64() * 1e6 / count as f64,
            at(0.5).as_secs_f64() * 1e6,
            at(0.99).as_secs_f64() * 1e6
        ),
    );

    Ok(())
}

/// The table's header lines.
pub fn table_header() -> &'static str {
    "| adapter | scenario | wall | rate | client CPU | peak RSS over start | peak RSS |\n|---|---|---|---|---|---|---|\n"
}

/// The rows as one Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(table_header());
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {:.3} s | {} | {:.3} s | {:.1} MiB | {:.1} MiB |\n",
            row.adapter,
            row.scenario,
            row.cost.wall.as_secs_f64(),
            row.rate,
            row.cost.cpu.as_secs_f64(),
            row.cost.peak_over_start_mib,
            row.cost.peak_mib
        ));
    }
    out
}
