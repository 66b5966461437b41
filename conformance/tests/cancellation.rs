//! Cancellation of the async adapters: an upload future dropped part-way
//! (here by a timeout) has its multipart upload aborted in the background,
//! unless the caller asked to keep it for resuming.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use conformance::scenarios::{Target, create_bucket};
use conformance::servers::{Fault, FaultProxy, Match, S3sFsServer};
use r2_proto::sim::noise;
use r2_proto::{BucketName, ObjectKey};

/// The s3s-fs server, a proxy that holds every UploadPart for a while, a
/// bucket, and the configuration through the proxy.
struct World {
    _server: S3sFsServer,
    proxy: FaultProxy,
    through: r2_proto::Config,
    bucket: BucketName,
}

fn world(tag: &str) -> World {
    let server = S3sFsServer::start().unwrap();
    let target = Target::s3s_fs(&server);
    let proxy = FaultProxy::start(&target.endpoint).unwrap();
    let bucket = BucketName::new(format!("cancel-{tag}-{}", std::process::id())).unwrap();
    let direct = target.config().unwrap();
    create_bucket(&direct, &bucket).unwrap();
    let through = Target {
        endpoint: proxy.endpoint(),
        ..target
    }
    .config()
    .unwrap();
    proxy.inject(
        Match::method("PUT").and_query("partNumber="),
        Fault::Stall(Duration::from_secs(3)),
        1000,
    );
    World {
        _server: server,
        proxy,
        through,
        bucket,
    }
}

impl World {
    /// A tokio runtime and an r2-tokio client on it, through the proxy.
    fn tokio_client(&self) -> (tokio::runtime::Runtime, r2_tokio::R2Client) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let client = runtime.block_on(async { r2_tokio::R2Client::new(self.through.clone()) });
        (runtime, client.unwrap())
    }

    /// The upload ids the client aborted, waiting up to 5 s for `count`.
    fn aborted(&self, count: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let ids: Vec<String> = self
                .proxy
                .log()
                .into_iter()
                .filter(|seen| seen.method == "DELETE")
                .filter_map(|seen| Some(seen.target.split_once("uploadId=")?.1.to_owned()))
                .collect();
            if ids.len() >= count || start.elapsed() > Duration::from_secs(5) {
                return ids;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn a_dropped_tokio_upload_is_aborted_unless_kept() {
    let world = world("tokio");
    let (runtime, client) = world.tokio_client();
    let data = noise(16 << 20, 1);
    for (name, keep) in [("dropped", false), ("kept", true)] {
        let key = ObjectKey::new(name).unwrap();
        let upload = client.upload(world.bucket.clone(), key, data.clone());
        let upload = if keep {
            upload.keep_on_failure()
        } else {
            upload
        };
        let given_up = runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(1), upload.into_future()).await
        });
        assert!(given_up.is_err(), "{name}: the upload ended: {given_up:?}");
    }
    let aborted = world.aborted(1);
    assert_eq!(aborted.len(), 1, "only the upload not kept is aborted");
    assert!(!aborted[0].is_empty());
    world.proxy.clear();
}

#[test]
fn a_dropped_smol_upload_is_aborted() {
    let world = world("smol");
    let client = r2_smol::R2Client::new(world.through.clone()).unwrap();
    let upload = client.upload(
        world.bucket.clone(),
        ObjectKey::new("dropped").unwrap(),
        noise(16 << 20, 2),
    );
    let given_up = smol::block_on(async {
        let timer = async {
            smol::Timer::after(Duration::from_secs(1)).await;
            None
        };
        futures_lite::future::or(async { Some(upload.await) }, timer).await
    });
    assert!(given_up.is_none(), "the upload ended: {given_up:?}");
    let aborted = world.aborted(1);
    assert_eq!(aborted.len(), 1);
    assert!(!aborted[0].is_empty());
    world.proxy.clear();
}

#[test]
fn a_dropped_download_leaves_no_partial_file() {
    let world = world("download");
    let (runtime, client) = world.tokio_client();
    let key = ObjectKey::new("whole").unwrap();
    let put = r2_proto::ops::PutObject::new(world.bucket.clone(), key.clone(), noise(1 << 20, 3));
    runtime.block_on(client.objects().put(put)).unwrap();
    world.proxy.inject(
        Match::method("GET").and_path("/whole"),
        Fault::StallMidBody(Duration::from_secs(3)),
        1000,
    );
    let dir = std::env::temp_dir().join(format!("r2-cancel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("whole.bin");
    let download = client.download(
        world.bucket.clone(),
        key,
        r2_tokio::DownloadSink::file(&target),
    );
    let given_up = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(1), download.into_future()).await
    });
    assert!(given_up.is_err(), "the download ended: {given_up:?}");
    let partial = r2_proto::transfer::DownloadSpec::partial_path(&target);
    assert!(!partial.exists(), "{partial:?} was left behind");
    assert!(!target.exists());
    world.proxy.clear();
    let _ignored = std::fs::remove_dir_all(dir);
}
