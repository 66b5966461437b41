//! The tour: a real end-to-end run of the client.
//!
//! With `R2_ACCOUNT_ID`, `R2_ACCESS_KEY_ID`, `R2_SECRET_ACCESS_KEY` and
//! `R2_BUCKET` set it runs against R2; otherwise against an S3 server it
//! starts in-process on loopback (s3s-fs, signatures checked). It uploads
//! a generated 64 MiB file by concurrent multipart with a progress line,
//! lists, downloads with parallel ranges and verifies, presigns a GET and
//! fetches it with a plain HTTP client, copies, and deletes what it made.
//!
//! `cargo run -p r2-tokio --example tour`
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::io::Write;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use md5::{Digest, Md5};
use r2_tokio::proto::ops::{CopyObject, CopySource, DeleteObjects, HeadObject, ListObjectsV2};
use r2_tokio::proto::{BucketName, Config, Credentials, ObjectKey};
use r2_tokio::{DownloadSink, R2Client, UploadBody};

const SIZE: usize = 64 << 20;

/// Where the tour runs: R2 from the environment, or a loopback server.
struct Place {
    config: Config,
    bucket: BucketName,
    what: String,
    _server: Option<r2_testserver::S3sFsServer>,
}

fn place() -> Result<Place, Box<dyn Error>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let (Some(account), Some(key_id), Some(secret), Some(bucket)) = (
        var("R2_ACCOUNT_ID"),
        var("R2_ACCESS_KEY_ID"),
        var("R2_SECRET_ACCESS_KEY"),
        var("R2_BUCKET"),
    ) {
        let config = Config::for_account(account, Credentials::new(key_id, secret)?).build()?;
        let what = format!("R2 ({})", config.endpoint().url());
        return Ok(Place {
            config,
            bucket: BucketName::new(bucket)?,
            what,
            _server: None,
        });
    }
    let server = r2_testserver::S3sFsServer::start()?;
    server.create_bucket("tour")?;
    let credentials = Credentials::new(
        r2_testserver::ACCESS_KEY_ID,
        r2_testserver::SECRET_ACCESS_KEY,
    )?;
    let config = Config::for_endpoint(server.endpoint(), credentials)
        .allow_insecure_http()
        .build()?;
    let what = format!(
        "an embedded s3s-fs server at {} (no R2_* credentials set)",
        server.endpoint()
    );
    Ok(Place {
        config,
        bucket: BucketName::new("tour")?,
        what,
        _server: Some(server),
    })
}

/// 64 MiB of xorshift noise (incompressible, reproducible).
fn generated() -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut out = Vec::with_capacity(SIZE);
    while out.len() < SIZE {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out
}

fn mib_per_s(bytes: usize, elapsed: Duration) -> f64 {
    bytes as f64 / 1_048_576.0 / elapsed.as_secs_f64().max(1e-9)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let place = place()?;
    println!("r2 tour against {}", place.what);
    let client = R2Client::new(place.config.clone())?;
    let bucket = place.bucket.clone();
    let dir = std::env::temp_dir().join(format!("r2-tour-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;

    let data = generated();
    let source = dir.join("source.bin");
    std::fs::write(&source, &data)?;
    let digest = Md5::digest(&data);
    let key = ObjectKey::new("r2-tour/64MiB.bin")?;

    let started = Instant::now();
    let uploaded = client
        .upload(bucket.clone(), key.clone(), UploadBody::file(&source))
        .part_size(8 << 20)
        .multipart_threshold(8 << 20)
        .concurrency(4)
        .on_progress(|p| {
            let total = p.total.unwrap_or(0) >> 20;
            print!(
                "\r  upload: {:>3}/{total} MiB confirmed, {} parts",
                p.confirmed >> 20,
                p.parts_done
            );
            let _ = std::io::stdout().flush();
        })
        .await?;
    let took = started.elapsed();
    println!(
        "\n1. uploaded {} MiB in {} parts in {:.2?} ({:.0} MiB/s), ETag {}",
        SIZE >> 20,
        uploaded.parts,
        took,
        mib_per_s(SIZE, took),
        uploaded.etag
    );

    let listed: Vec<_> = client
        .objects()
        .list_all(ListObjectsV2::new(bucket.clone()).prefix("r2-tour/"))
        .try_collect()
        .await?;
    println!(
        "2. listed r2-tour/: {:?}",
        listed.iter().map(|o| (&o.key, o.size)).collect::<Vec<_>>()
    );

    let target = dir.join("downloaded.bin");
    let started = Instant::now();
    let downloaded = client
        .download(bucket.clone(), key.clone(), DownloadSink::file(&target))
        .part_size(8 << 20)
        .concurrency(4)
        .await?;
    let took = started.elapsed();
    let back = std::fs::read(&target)?;
    if Md5::digest(&back) != digest || back.len() != data.len() {
        return Err("the downloaded file differs from the uploaded one".into());
    }
    println!(
        "3. downloaded {} MiB in {} ranged GETs in {:.2?} ({:.0} MiB/s); MD5 matches",
        downloaded.size >> 20,
        downloaded.requests,
        took,
        mib_per_s(SIZE, took)
    );

    let get = r2_tokio::proto::ops::GetObject::new(bucket.clone(), key.clone())
        .range(r2_tokio::proto::model::ByteRange::inclusive(0, 1023)?);
    let url = client
        .presign()
        .presign_get(&get, Duration::from_secs(300))?;
    let (_, address, headers) = url.clone().into_parts();
    let fetched = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ureq::Error> {
        let mut request = ureq::get(&address);
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.to_str().unwrap_or_default());
        }
        request.call()?.body_mut().read_to_vec()
    })
    .await??;
    if data.get(..1024) != Some(&fetched[..]) {
        return Err("the presigned GET returned other bytes".into());
    }
    println!(
        "4. presigned GET fetched by plain HTTP, first KiB matches: {}",
        url.redacted_url()
    );

    let copy = ObjectKey::new("r2-tour/copy of 64MiB.bin")?;
    client
        .objects()
        .copy(CopyObject::new(
            CopySource::new(bucket.clone(), key.clone()),
            bucket.clone(),
            copy.clone(),
        ))
        .await?;
    let head = client
        .objects()
        .head(HeadObject::new(bucket.clone(), copy.clone()))
        .await?;
    println!(
        "5. copied to {:?}: {} bytes",
        copy.as_str(),
        head.content_length.unwrap_or(0)
    );

    let deleted = client
        .objects()
        .delete_objects(DeleteObjects::new(bucket.clone(), [key, copy]))
        .await?;
    println!(
        "6. deleted {} objects, {} errors",
        deleted.deleted.len(),
        deleted.errors.len()
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
