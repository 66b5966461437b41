//! The blocking tour, from a plain `fn main` with no runtime: put, get,
//! list, a 16 MiB multipart upload and parallel download, a presigned URL,
//! and clean-up. Runs against R2 when `R2_ACCOUNT_ID`, `R2_ACCESS_KEY_ID`,
//! `R2_SECRET_ACCESS_KEY` and `R2_BUCKET` are set, else against an
//! embedded loopback server.
//!
//! `cargo run -p r2-blocking --example tour_blocking`
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::time::{Duration, Instant};

use r2_blocking::proto::ops::{DeleteObjects, GetObject, ListObjectsV2, PutObject};
use r2_blocking::proto::{BucketName, Config, Credentials, ObjectKey};
use r2_blocking::{DownloadSink, R2Client};

fn main() -> Result<(), Box<dyn Error>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut _server = None;
    let (config, bucket) = match (
        var("R2_ACCOUNT_ID"),
        var("R2_ACCESS_KEY_ID"),
        var("R2_SECRET_ACCESS_KEY"),
        var("R2_BUCKET"),
    ) {
        (Some(account), Some(key_id), Some(secret), Some(bucket)) => (
            Config::for_account(account, Credentials::new(key_id, secret)?).build()?,
            BucketName::new(bucket)?,
        ),
        _ => {
            let server = r2_testserver::S3sFsServer::start()?;
            server.create_bucket("tour")?;
            let credentials = Credentials::new(
                r2_testserver::ACCESS_KEY_ID,
                r2_testserver::SECRET_ACCESS_KEY,
            )?;
            let config = Config::for_endpoint(server.endpoint(), credentials)
                .allow_insecure_http()
                .build()?;
            _server = Some(server);
            (config, BucketName::new("tour")?)
        }
    };
    println!("r2 blocking tour against {}", config.endpoint().url());
    let client = R2Client::new(config)?;

    let hello = ObjectKey::new("r2-blocking-tour/hello.txt")?;
    client.objects().put(
        PutObject::new(bucket.clone(), hello.clone(), "hello from a plain fn main")
            .content_type("text/plain"),
    )?;
    let got = client
        .objects()
        .get(GetObject::new(bucket.clone(), hello.clone()))?;
    println!("1. put and got {:?}", String::from_utf8_lossy(&got.body));

    let data: Vec<u8> = (0..16u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let big = ObjectKey::new("r2-blocking-tour/16MiB.bin")?;
    let started = Instant::now();
    let uploaded = client
        .upload(bucket.clone(), big.clone(), data.clone())
        .part_size(5 << 20)
        .multipart_threshold(5 << 20)
        .concurrency(4)
        .run()?;
    println!(
        "2. uploaded 16 MiB in {} parts in {:.2?}",
        uploaded.parts,
        started.elapsed()
    );

    let mut back = Vec::new();
    let started = Instant::now();
    let downloaded = client
        .download(
            bucket.clone(),
            big.clone(),
            DownloadSink::writer(std::io::Cursor::new(Vec::new())),
        )
        .part_size(4 << 20)
        .run()?;
    let reader = client
        .objects()
        .get_stream(GetObject::new(bucket.clone(), big.clone()))?;
    reader.copy_to(&mut back)?;
    if back != data {
        return Err("the object read back differs".into());
    }
    println!(
        "3. downloaded {} bytes in {} ranged GETs in {:.2?}, streamed it again and verified",
        downloaded.size,
        downloaded.requests,
        started.elapsed()
    );

    let keys: Vec<String> = client
        .objects()
        .list_all(ListObjectsV2::new(bucket.clone()).prefix("r2-blocking-tour/"))
        .map(|o| o.map(|o| o.key))
        .collect::<Result<_, _>>()?;
    println!("4. listed {keys:?}");

    let url = client.presign().presign_get(
        &GetObject::new(bucket.clone(), hello.clone()),
        Duration::from_secs(600),
    )?;
    println!("5. presigned for 10 minutes: {}", url.redacted_url());

    let deleted = client
        .objects()
        .delete_objects(DeleteObjects::new(bucket, [hello, big]))?;
    println!("6. deleted {} objects", deleted.deleted.len());
    Ok(())
}
