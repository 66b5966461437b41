//! The smol tour, inside `smol::block_on`: put, get, a 16 MiB multipart
//! upload and a parallel download to a file, a verified streamed GET,
//! listing as a stream, a presigned URL, and clean-up. Runs against R2
//! when `R2_ACCOUNT_ID`, `R2_ACCESS_KEY_ID`, `R2_SECRET_ACCESS_KEY` and
//! `R2_BUCKET` are set, else against an embedded loopback server (which
//! runs on its own threads; the client itself has no tokio in it).
//!
//! `cargo run -p r2-smol --example tour_smol`
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use r2_smol::proto::ops::{DeleteObjects, GetObject, ListObjectsV2, PutObject};
use r2_smol::proto::{BucketName, Config, Credentials, ObjectKey};
use r2_smol::{DownloadSink, R2Client};

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
    println!("r2 smol tour against {}", config.endpoint().url());
    smol::block_on(tour(R2Client::new(config)?, bucket))
}

async fn tour(client: R2Client, bucket: BucketName) -> Result<(), Box<dyn Error>> {
    let hello = ObjectKey::new("r2-smol-tour/hello.txt")?;
    client
        .objects()
        .put(
            PutObject::new(bucket.clone(), hello.clone(), "hello from smol::block_on")
                .content_type("text/plain"),
        )
        .await?;
    let got = client
        .objects()
        .get(GetObject::new(bucket.clone(), hello.clone()))
        .await?;
    println!("1. put and got {:?}", String::from_utf8_lossy(&got.body));

    let data: Vec<u8> = (0..16u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let big = ObjectKey::new("r2-smol-tour/16MiB.bin")?;
    let started = Instant::now();
    let uploaded = client
        .upload(bucket.clone(), big.clone(), data.clone())
        .part_size(5 << 20)
        .multipart_threshold(5 << 20)
        .concurrency(4)
        .await?;
    println!(
        "2. uploaded 16 MiB in {} parts in {:.2?}",
        uploaded.parts,
        started.elapsed()
    );

    let file = std::env::temp_dir().join(format!("r2-smol-tour-{}.bin", std::process::id()));
    let started = Instant::now();
    let downloaded = client
        .download(bucket.clone(), big.clone(), DownloadSink::file(&file))
        .part_size(4 << 20)
        .await?;
    let on_disk = smol::fs::read(&file).await?;
    smol::fs::remove_file(&file).await?;
    let streamed = client
        .objects()
        .get_stream(GetObject::new(bucket.clone(), big.clone()))
        .await?
        .collect()
        .await?;
    if on_disk != data || streamed != data {
        return Err("the object read back differs".into());
    }
    println!(
        "3. downloaded {} bytes to a file in {} ranged GETs in {:.2?}, streamed it again; both verified",
        downloaded.size,
        downloaded.requests,
        started.elapsed()
    );

    let keys: Vec<String> = client
        .objects()
        .list_all(ListObjectsV2::new(bucket.clone()).prefix("r2-smol-tour/"))
        .map(|o| o.map(|o| o.key))
        .try_collect()
        .await?;
    println!("4. listed {keys:?}");

    let url = client.presign().presign_get(
        &GetObject::new(bucket.clone(), hello.clone()),
        Duration::from_secs(600),
    )?;
    println!("5. presigned for 10 minutes: {}", url.redacted_url());

    let deleted = client
        .objects()
        .delete_objects(DeleteObjects::new(bucket, [hello, big]))
        .await?;
    println!("6. deleted {} objects", deleted.deleted.len());
    Ok(())
}
