//! The end-to-end bench: `cargo run --release -p conformance --bin bench
//! [-- --quick] [--only single|multipart|small|streamed] [--runs N] [ADAPTER...]`. Starts the in-memory sink server as a
//! child process (this binary again, with `serve-sink`), runs every
//! scenario through each adapter (`r2-tokio`, `r2-blocking`, `r2-smol`, or
//! those named) and prints one Markdown table.
#![allow(clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use conformance::bench::{
    BlockingBench, Group, Row, Sizes, SmolBench, TokioBench, run_adapter, sink, table,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve-sink") {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        println!("{}", listener.local_addr()?);
        sink::serve(listener)?;
        return Ok(());
    }
    let mut sizes = if args.iter().any(|a| a == "--quick") {
        Sizes::QUICK
    } else {
        Sizes::FULL
    };
    if let Some(runs) = args.iter().skip_while(|a| *a != "--runs").nth(1) {
        sizes.runs = runs.parse()?;
    }
    sizes.only = args
        .iter()
        .skip_while(|a| *a != "--only")
        .nth(1)
        .map(|name| Group::named(name).ok_or(format!("no group {name}")))
        .transpose()?;
    let wanted: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| a.starts_with("r2-"))
        .collect();
    let mut server = Command::new(std::env::current_exe()?)
        .arg("serve-sink")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut address = String::new();
    if let Some(out) = server.stdout.take() {
        BufReader::new(out).read_line(&mut address)?;
    }
    let endpoint = format!("http://{}", address.trim());
    let run = |name: &str| wanted.is_empty() || wanted.contains(&name);
    let mut rows: Vec<Row> = Vec::new();
    let result = (|| -> Result<(), r2_proto::R2Error> {
        if run("r2-tokio") {
            rows.extend(run_adapter::<TokioBench>(&endpoint, sizes, true)?);
        }
        if run("r2-blocking") {
            rows.extend(run_adapter::<BlockingBench>(&endpoint, sizes, false)?);
        }
        if run("r2-smol") {
            rows.extend(run_adapter::<SmolBench>(&endpoint, sizes, false)?);
        }
        Ok(())
    })();
    let _killed = server.kill();
    println!("{}", table(&rows));
    result?;
    Ok(())
}
