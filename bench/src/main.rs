//! r2's adapters side by side with the floor (reqwest, unsigned, no
//! integrity check), rusty-s3, object_store and aws-sdk-s3, all against
//! one in-memory sink process on loopback (the project bench's sink).
//! Every (scenario, client) pair runs in a fresh process of its own, the
//! clients interleaved run by run; the table shows each one's median
//! client CPU, wall time and peak RSS, and its CPU over the floor's.
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- [--runs N] [--mib N]
//!     [--only small|put|get|multipart] [--callgrind] [CLIENT...]
//! ```
//!
//! `tasks` runs the same twelve everyday tasks with r2-tokio, aws-sdk-s3
//! and object_store against a loopback server and prints their line
//! counts (`src/tasks/`).
//!
//! With `--callgrind`, instructions per small PUT instead, under valgrind:
//! the difference between runs of 1,200 and 200 PUTs, over 1,000, so that
//! start-up is not counted.
#![allow(clippy::print_stdout)]

mod clients;
mod tasks;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use clients::Error;

/// Small PUTs and their size and concurrency.
const SMALL: (usize, usize, usize) = (2_000, 32, 1 << 10);
const PART: usize = 8 << 20;
const PART_IN_FLIGHT: usize = 4;
const SCENARIOS: [&str; 4] = ["small", "put", "get", "multipart"];

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve-sink") => {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            println!("{}", listener.local_addr()?);
            conformance::bench::sink::serve(listener)?;
            Ok(())
        }
        Some("one") => one(&args[1..]),
        Some("tasks") => tasks::run_all(),
        _ => compare(&args),
    }
}

fn value_of<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .skip_while(|a| *a != flag)
        .nth(1)
        .map(String::as_str)
}

/// Runs one scenario through one client: `one CLIENT SCENARIO ENDPOINT
/// BYTES [COUNT [cold]]`; prints `RESULT cpu_us wall_us peak_over_kib`.
fn one(args: &[String]) -> Result<(), Error> {
    let [name, scenario, endpoint, bytes, rest @ ..] = args else {
        return Err("one CLIENT SCENARIO ENDPOINT BYTES [COUNT]".into());
    };
    let size: usize = bytes.parse()?;
    // Every measured run follows one unmeasured run of the same thing on
    // the same client (connections open, buffers grown), except under
    // callgrind, where the difference of two counts removes start-up.
    let warm = rest.get(1).is_none_or(|w| w != "cold");
    let client = clients::connect(name, &format!("http://{endpoint}"))?;
    let (result, cost) = match scenario.as_str() {
        "small" => {
            let count = rest.first().map_or(Ok(SMALL.0), |c| c.parse())?;
            if warm {
                client.small_puts(SMALL.1, SMALL.1, SMALL.2)?;
            }
            conformance::bench::measure(|| client.small_puts(count, SMALL.1, SMALL.2))
        }
        "put" => {
            let body = Bytes::from(vec![0x5au8; size]);
            if warm {
                client.put("single", body.clone())?;
            }
            conformance::bench::measure(|| client.put("single", body))
        }
        "get" => {
            client.put("single", Bytes::from(vec![0x5au8; size]))?;
            if warm {
                client.get("single")?;
            }
            let (got, cost) = conformance::bench::measure(|| client.get("single"));
            if got? != size as u64 {
                return Err("short GET".into());
            }
            (Ok(()), cost)
        }
        "multipart" => {
            let body = Bytes::from(vec![0x5au8; size]);
            if warm {
                client.multipart("multi", body.clone(), PART, PART_IN_FLIGHT)?;
            }
            conformance::bench::measure(|| client.multipart("multi", body, PART, PART_IN_FLIGHT))
        }
        other => return Err(format!("no scenario {other}").into()),
    };
    result?;
    println!(
        "RESULT {} {} {:.0}",
        cost.cpu.as_micros(),
        cost.wall.as_micros(),
        cost.peak_over_start_mib * 1024.0
    );
    Ok(())
}

/// One measured run.
#[derive(Debug, Clone, Copy)]
struct Run {
    cpu: Duration,
    wall: Duration,
    peak_over_mib: f64,
}

fn run_child(
    me: &str,
    name: &str,
    scenario: &str,
    endpoint: &str,
    size: usize,
) -> Result<Run, Error> {
    let output = Command::new(me)
        .args(["one", name, scenario, endpoint, &size.to_string()])
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .ok_or_else(|| {
            format!(
                "{name} {scenario}: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let fields: Vec<f64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let [cpu, wall, peak] = fields[..] else {
        return Err(format!("bad result {line}").into());
    };
    Ok(Run {
        cpu: Duration::from_micros(cpu as u64),
        wall: Duration::from_micros(wall as u64),
        peak_over_mib: peak / 1024.0,
    })
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Starts the sink as a child process; its address (`host:port`).
fn start_sink(me: &str) -> Result<(std::process::Child, String), Error> {
    let mut sink = Command::new(me)
        .arg("serve-sink")
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = sink.stdout.take().ok_or("no sink stdout")?;
    let mut address = String::new();
    BufReader::new(stdout).read_line(&mut address)?;
    Ok((sink, address.trim().to_owned()))
}

fn compare(args: &[String]) -> Result<(), Error> {
    let me = std::env::current_exe()?;
    let me = me.to_str().ok_or("odd path")?;
    let runs: usize = value_of(args, "--runs").map_or(Ok(3), str::parse)?;
    let mib: usize = value_of(args, "--mib").map_or(Ok(1024), str::parse)?;
    let size = mib << 20;
    let flags = ["--runs", "--mib", "--only"];
    let mut names: Vec<&str> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            let flag_value = *i > 0 && flags.contains(&args[i - 1].as_str());
            !a.starts_with("--") && !flag_value
        })
        .map(|(_, a)| a.as_str())
        .collect();
    if names.is_empty() {
        names = clients::NAMES.to_vec();
    }
    let (mut sink, endpoint) = start_sink(me)?;
    let outcome = if args.iter().any(|a| a == "--callgrind") {
        callgrind(me, &names, &endpoint)
    } else {
        let scenarios: Vec<&str> = match value_of(args, "--only") {
            Some(only) => vec![only],
            None => SCENARIOS.to_vec(),
        };
        table(me, &names, &scenarios, &endpoint, (runs, size))
    };
    let _killed = sink.kill();
    outcome
}

fn table(
    me: &str,
    names: &[&str],
    scenarios: &[&str],
    endpoint: &str,
    (runs, size): (usize, usize),
) -> Result<(), Error> {
    println!(
        "| scenario | client | client CPU | ÷ floor | wall | peak RSS over start |\n|---|---|---|---|---|---|"
    );
    for scenario in scenarios {
        let mut measured: Vec<Vec<Run>> = vec![Vec::new(); names.len()];
        for run in 0..runs {
            // Interleaved: each run starts with the next client.
            for k in 0..names.len() {
                let i = (k + run) % names.len();
                measured[i].push(run_child(me, names[i], scenario, endpoint, size)?);
            }
        }
        let cpu_of = |runs: &[Run]| median(runs.iter().map(|r| r.cpu).collect());
        let floor = names
            .iter()
            .position(|n| *n == "floor")
            .map(|i| cpu_of(&measured[i]));
        for (name, runs) in names.iter().zip(&measured) {
            let cpu = cpu_of(runs);
            let wall = median(runs.iter().map(|r| r.wall).collect());
            let peak = runs.iter().map(|r| r.peak_over_mib).fold(0.0, f64::max);
            let ratio = floor.map_or("–".to_owned(), |f| {
                format!("{:.2}×", cpu.as_secs_f64() / f.as_secs_f64().max(1e-9))
            });
            let shown_cpu = if *scenario == "small" {
                format!("{:.0} µs/request", cpu.as_secs_f64() * 1e6 / SMALL.0 as f64)
            } else {
                format!("{:.3} s", cpu.as_secs_f64())
            };
            println!(
                "| {} | {name} | {shown_cpu} | {ratio} | {:.3} s | {peak:.1} MiB |",
                describe(scenario, size),
                wall.as_secs_f64()
            );
        }
    }
    Ok(())
}

fn describe(scenario: &str, size: usize) -> String {
    let mib = size >> 20;
    match scenario {
        "small" => format!(
            "{} × {} KiB PUT, {} in flight",
            SMALL.0,
            SMALL.2 >> 10,
            SMALL.1
        ),
        "put" => format!("PUT {mib} MiB from memory"),
        "get" => format!("GET {mib} MiB"),
        "multipart" => format!("multipart {mib} MiB, 8 MiB parts, {PART_IN_FLIGHT} in flight"),
        other => other.to_owned(),
    }
}

/// Instructions per small PUT, under callgrind.
fn callgrind(me: &str, names: &[&str], endpoint: &str) -> Result<(), Error> {
    println!("| client | instructions per small PUT |\n|---|---|");
    for name in names {
        let mut totals = Vec::new();
        for count in [200u64, 1_200] {
            let out = std::env::temp_dir().join(format!("peer-bench-{name}-{count}.callgrind"));
            let status = Command::new("valgrind")
                .args(["--tool=callgrind", "--trace-children=no"])
                .arg(format!("--callgrind-out-file={}", out.display()))
                .args([
                    me,
                    "one",
                    name,
                    "small",
                    endpoint,
                    "0",
                    &count.to_string(),
                    "cold",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()?;
            if !status.success() {
                return Err(format!("valgrind on {name} failed").into());
            }
            let text = std::fs::read_to_string(&out)?;
            let total: u64 = text
                .lines()
                .find_map(|l| l.strip_prefix("summary: "))
                .ok_or("no summary")?
                .trim()
                .parse()?;
            totals.push(total);
        }
        let per = totals[1].saturating_sub(totals[0]) / 1_000;
        println!("| {name} | {per} |");
    }
    Ok(())
}
