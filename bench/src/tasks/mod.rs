//! The same twelve everyday tasks written with r2-tokio, aws-sdk-s3 and
//! object_store, each run against a fresh s3s-fs server on loopback and
//! checked, then measured: the lines of each task (between its `// task:`
//! and `// end` markers, rustfmt-formatted, blank and comment lines not
//! counted).
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- tasks
//! ```

mod aws_sdk_s3;
mod object_store;
mod r2_tokio;

use std::path::PathBuf;

use conformance::servers::S3sFsServer;
use conformance::servers::s3s_fs::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};

pub use crate::clients::Error;

/// Where the tasks run.
pub struct TaskEnv {
    /// The server's endpoint.
    pub endpoint: String,
    /// Its access key id.
    pub access_key_id: String,
    /// Its secret.
    pub secret_access_key: String,
    /// The bucket, empty at the start.
    pub bucket: String,
    /// A directory holding `large.bin`, for the file tasks.
    pub dir: PathBuf,
}

/// What the tasks found, checked the same way for each library.
pub struct Outcome {
    /// The text read back.
    pub text: String,
    /// Whether a missing key was said to exist.
    pub exists: bool,
    /// The keys under `notes/`.
    pub keys: Vec<String>,
    /// The top-level prefixes.
    pub folders: Vec<String>,
    /// A presigned GET URL.
    pub url: String,
    /// Whether a put-if-absent over an existing key wrote.
    pub created: bool,
}

/// The task sources, by library.
const SOURCES: [(&str, &str); 3] = [
    ("r2-tokio", include_str!("r2_tokio.rs")),
    ("aws-sdk-s3", include_str!("aws_sdk_s3.rs")),
    ("object_store", include_str!("object_store.rs")),
];

/// The file the upload and download tasks move: 24 MiB, three 8 MiB parts.
const LARGE: usize = 24 << 20;

/// Runs every library's tasks, checks them, and prints the table.
pub fn run_all() -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = std::env::temp_dir().join(format!("r2-tasks-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let large: Vec<u8> = (0..LARGE).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(dir.join("large.bin"), &large)?;
    for (library, _) in SOURCES {
        let server = S3sFsServer::start()?;
        server.create_bucket("tasks")?;
        let env = TaskEnv {
            endpoint: server.endpoint(),
            access_key_id: ACCESS_KEY_ID.into(),
            secret_access_key: SECRET_ACCESS_KEY.into(),
            bucket: "tasks".into(),
            dir: dir.clone(),
        };
        let outcome = runtime.block_on(async {
            match library {
                "r2-tokio" => r2_tokio::run(&env).await,
                "aws-sdk-s3" => aws_sdk_s3::run(&env).await,
                _ => object_store::run(&env).await,
            }
        })?;
        check(
            library,
            &outcome,
            std::fs::read(dir.join("large.copy"))? == large,
        )?;
        let left =
            std::fs::read_dir(server.root().join("tasks").join("notes")).map_or(0, Iterator::count);
        if left != 0 {
            return Err(format!("{library}: {left} objects left under notes/").into());
        }
        std::fs::remove_file(dir.join("large.copy"))?;
    }
    std::fs::remove_dir_all(&dir)?;
    print_table();
    Ok(())
}

fn check(library: &str, outcome: &Outcome, download_matches: bool) -> Result<(), Error> {
    let checks = [
        ("text read back", outcome.text == "hello"),
        ("a missing key does not exist", !outcome.exists),
        ("keys listed", outcome.keys == ["notes/hello.txt"]),
        ("folders listed", outcome.folders == ["notes/"]),
        (
            "presigned for an hour",
            outcome.url.contains("Expires=3600"),
        ),
        ("put-if-absent refused", !outcome.created),
        ("the file came back whole", download_matches),
    ];
    match checks.iter().find(|(_, passed)| !passed) {
        Some((what, _)) => Err(format!("{library}: {what} failed").into()),
        None => Ok(()),
    }
}

/// The lines of each task in `source`, in order.
fn task_lines(source: &str) -> Vec<(&str, usize)> {
    let mut tasks = Vec::new();
    let mut current: Option<(&str, usize)> = None;
    for line in source.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("// task: ") {
            current = Some((name, 0));
        } else if line == "// end" {
            tasks.extend(current.take());
        } else if let Some((_, lines)) = current.as_mut()
            && !line.is_empty()
            && !line.starts_with("//")
        {
            *lines += 1;
        }
    }
    tasks
}

fn print_table() {
    let counted: Vec<_> = SOURCES
        .iter()
        .map(|(_, source)| task_lines(source))
        .collect();
    let names: Vec<&str> = SOURCES.iter().map(|(name, _)| *name).collect();
    println!("| task | {} |", names.join(" | "));
    println!("|---|{}", "---|".repeat(names.len()));
    for (i, (task, _)) in counted[0].iter().enumerate() {
        let row: Vec<String> = counted.iter().map(|tasks| tasks[i].1.to_string()).collect();
        println!("| {task} | {} |", row.join(" | "));
    }
    let totals: Vec<String> = counted
        .iter()
        .map(|tasks| tasks.iter().map(|(_, n)| n).sum::<usize>().to_string())
        .collect();
    println!("| **all twelve** | {} |", totals.join(" | "));
}
