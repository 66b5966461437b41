//! Checks r2's signer against vector files in the `r2-s3-sigv4-vectors/1` format.
//!
//! Usage: `vectors PATH...`. Prints one line per failing case (its name and
//! the first field that differs), one per skipped policy-dependent case, and
//! ends with `N passed, M failed`. Exits 1 if a case failed, 2 if a file
//! could not be read or is malformed (then no summary is trusted), else 0.

use std::path::Path;
use std::process::ExitCode;

use conformance::vector_file::{Outcome, VectorFile, check_case};

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: vectors PATH...  (files in the r2-s3-sigv4-vectors/1 format)");
        return ExitCode::from(2);
    }
    let (mut passed, mut failed, mut skipped, mut malformed) = (0usize, 0usize, 0usize, false);
    for path in &paths {
        let file = match VectorFile::load(Path::new(path)) {
            Ok(file) => file,
            Err(error) => {
                eprintln!("error: {path}: {error}");
                malformed = true;
                continue;
            }
        };
        for case in &file.cases {
            match check_case(case) {
                Outcome::Passed => passed += 1,
                Outcome::Failed(mismatch) => {
                    failed += 1;
                    println!("FAIL {}: {mismatch}", case.name);
                }
                Outcome::Skipped { reason } => {
                    skipped += 1;
                    println!("SKIP {}: {reason}", case.name);
                }
            }
        }
    }
    if skipped > 0 {
        println!("{skipped} skipped (policy-dependent)");
    }
    println!("{passed} passed, {failed} failed");
    if malformed {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
