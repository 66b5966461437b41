//! The end-to-end bench: `cargo run --release -p conformance --bin bench
//! [-- --quick] [--only single|multipart|small|streamed] [--runs N] [ADAPTER...]`.
//! Runs each group of scenarios of each adapter (`r2-tokio`, `r2-blocking`,
//! `r2-smol`, or those named) in a fresh process of its own (this binary
//! again, with `--only`), so that no group's memory figures hold what an
//! earlier one left resident; each such process starts the in-memory sink
//! server as its own child (this binary, with `serve-sink`). Prints one
//! Markdown table.
#![allow(clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use conformance::bench::{
    BlockingBench, Group, Row, Sizes, SmolBench, TokioBench, run_adapter, sink, table, table_header,
};

const ADAPTERS: [&str; 3] = ["r2-tokio", "r2-blocking", "r2-smol"];
const GROUPS: [&str; 4] = ["single", "multipart", "small", "streamed"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve-sink") {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        println!("{}", listener.local_addr()?);
        sink::serve(listener)?;
        return Ok(());
    }
    let value_of = |flag: &str| {
        args.iter()
            .skip_while(|a| *a != flag)
            .nth(1)
            .map(String::as_str)
    };
    let mut sizes = if args.iter().any(|a| a == "--quick") {
        Sizes::QUICK
    } else {
        Sizes::FULL
    };
    if let Some(runs) = value_of("--runs") {
        sizes.runs = runs.parse()?;
    }
    let wanted: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| a.starts_with("r2-"))
        .collect();
    let adapters = ADAPTERS
        .into_iter()
        .filter(|name| wanted.is_empty() || wanted.contains(name));
    match value_of("--only") {
        Some(group) => {
            sizes.only = Some(Group::named(group).ok_or(format!("no group {group}"))?);
            let rows = in_this_process(adapters, sizes)?;
            print!("{}", table(&rows));
        }
        None => {
            print!("{}", table_header());
            for adapter in adapters {
                for group in GROUPS {
                    print!("{}", in_a_child(adapter, group, &args)?);
                }
            }
        }
    }
    Ok(())
}

/// The rows of one group of one adapter, from a process of its own.
fn in_a_child(adapter: &str, group: &str, args: &[String]) -> Result<String, String> {
    let mut child = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
    child.args(["--only", group, adapter]);
    for flag in ["--quick"] {
        if args.iter().any(|a| a == flag) {
            child.arg(flag);
        }
    }
    if let Some(at) = args.iter().position(|a| a == "--runs") {
        child.args(args.get(at..at + 2).unwrap_or_default());
    }
    let out = child.output().map_err(|e| e.to_string())?;
    let printed = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{adapter} {group} failed:\n{printed}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(printed
        .lines()
        .filter(|line| line.starts_with(&format!("| {adapter} |")))
        .map(|line| format!("{line}\n"))
        .collect())
}

/// The rows of `adapters`, run here, against a sink started for them.
fn in_this_process<'a>(
    adapters: impl Iterator<Item = &'a str>,
    sizes: Sizes,
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let mut server = Command::new(std::env::current_exe()?)
        .arg("serve-sink")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut address = String::new();
    if let Some(out) = server.stdout.take() {
        BufReader::new(out).read_line(&mut address)?;
    }
    let endpoint = format!("http://{}", address.trim());
    let mut rows: Vec<Row> = Vec::new();
    let result = (|| -> Result<(), r2_proto::error::R2Error> {
        for adapter in adapters {
            rows.extend(match adapter {
                "r2-tokio" => run_adapter::<TokioBench>(&endpoint, sizes, true)?,
                "r2-blocking" => run_adapter::<BlockingBench>(&endpoint, sizes, false)?,
                _ => run_adapter::<SmolBench>(&endpoint, sizes, false)?,
            });
        }
        Ok(())
    })();
    let _killed = server.kill();
    result?;
    Ok(rows)
}
