//! `r2-testserver`: the loopback S3 server as a process, for tests in any
//! language. It prints one JSON line with the endpoint and credentials,
//! then serves until it is killed (SIGINT, SIGTERM) or, with
//! `--exit-on-eof`, until its standard input closes; its directory is
//! removed on the way out.
//!
//! ```text
//! r2-testserver [--port N] [--bucket NAME]... [--exit-on-eof]
//! ```

use std::io::Write;

use r2_testserver::{ACCESS_KEY_ID, S3sFsServer, SECRET_ACCESS_KEY, ServerError, ServerOptions};

const USAGE: &str = "usage: r2-testserver [--port N] [--bucket NAME]... [--exit-on-eof]";

/// What the command line asked for.
struct Args {
    port: u16,
    buckets: Vec<String>,
    exit_on_eof: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        port: 0,
        buckets: Vec::new(),
        exit_on_eof: false,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a number")?;
                parsed.port = value.parse().map_err(|_| format!("bad port {value:?}"))?;
            }
            "--bucket" => parsed
                .buckets
                .push(args.next().ok_or("--bucket needs a name")?),
            "--exit-on-eof" => parsed.exit_on_eof = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(parsed)
}

/// `text` as a JSON string.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn run(args: Args) -> Result<(), ServerError> {
    let options = ServerOptions {
        port: args.port,
        ..ServerOptions::default()
    };
    let server = S3sFsServer::start_with(options)?;
    for bucket in &args.buckets {
        server.create_bucket(bucket)?;
    }
    let line = format!(
        "{{\"endpoint\":{},\"access_key_id\":{},\"secret_access_key\":{},\"region\":\"auto\",\"root\":{}}}",
        json_string(&server.endpoint()),
        json_string(ACCESS_KEY_ID),
        json_string(SECRET_ACCESS_KEY),
        json_string(&server.root().to_string_lossy()),
    );
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    drop(stdout);
    wait(args.exit_on_eof)?;
    drop(server);
    Ok(())
}

/// Waits for SIGINT or SIGTERM, or for standard input to close.
fn wait(exit_on_eof: bool) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let eof = async {
            if !exit_on_eof {
                return std::future::pending().await;
            }
            let mut stdin = tokio::io::stdin();
            let mut sink = tokio::io::sink();
            tokio::io::copy(&mut stdin, &mut sink).await.map(drop)
        };
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => interrupted,
            _ = terminate.recv() => Ok(()),
            closed = eof => closed,
        }
    })?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("r2-testserver: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
