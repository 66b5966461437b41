//! The clients, each doing the same four things its own way: one PUT from
//! memory, one GET counted and dropped, a multipart upload from memory,
//! and many small PUTs with a number in flight.

use std::time::Duration;

use bytes::Bytes;
use conformance::bench::{BenchClient, BlockingBench, SmolBench, TokioBench};
use futures::{StreamExt, TryStreamExt, stream};
use r2_proto::ops::PutObject;
use r2_proto::{BucketName, Config, Credentials, ObjectKey};

/// Any failure, as text.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

pub const BUCKET: &str = "bench";
const ACCESS_KEY_ID: &str = "AKIDBENCH";
const SECRET: &str = "bench-secret";

/// What every client does.
pub trait Client {
    /// One PUT of `body`.
    fn put(&self, key: &str, body: Bytes) -> Result<(), Error>;
    /// One GET, its bytes counted and dropped.
    fn get(&self, key: &str) -> Result<u64, Error>;
    /// A multipart upload of `body` in `part`-byte parts, `in_flight` at once.
    fn multipart(&self, key: &str, body: Bytes, part: usize, in_flight: usize)
    -> Result<(), Error>;
    /// `count` PUTs of `size` bytes, `in_flight` at once.
    fn small_puts(&self, count: usize, in_flight: usize, size: usize) -> Result<(), Error>;
}

/// The clients, by name.
pub const NAMES: [&str; 7] = [
    "floor",
    "rusty-s3",
    "object_store",
    "aws-sdk-s3",
    "r2-tokio",
    "r2-smol",
    "r2-blocking",
];

/// The client named `name`, for the sink at `endpoint`.
pub fn connect(name: &str, endpoint: &str) -> Result<Box<dyn Client>, Error> {
    Ok(match name {
        "floor" => Box::new(Floor::new(endpoint)?),
        "rusty-s3" => Box::new(RustyS3::new(endpoint)?),
        "object_store" => Box::new(ObjectStore::new(endpoint)?),
        "aws-sdk-s3" => Box::new(AwsSdk::new(endpoint)?),
        "r2-tokio" => Box::new(R2::<TokioBench>::new(endpoint)?),
        "r2-smol" => Box::new(R2::<SmolBench>::new(endpoint)?),
        "r2-blocking" => Box::new(R2::<BlockingBench>::new(endpoint)?),
        other => return Err(format!("no client {other}").into()),
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// The part's byte range of `body`, for part `index` of `part` bytes.
fn parts(body: &Bytes, part: usize) -> Vec<(usize, Bytes)> {
    (0..body.len().div_ceil(part))
        .map(|i| {
            (
                i + 1,
                body.slice(i * part..((i + 1) * part).min(body.len())),
            )
        })
        .collect()
}

/// The text between `<tag>` and `</tag>`.
fn between<'a>(xml: &'a str, tag: &str) -> Result<&'a str, Error> {
    let open = format!("<{tag}>");
    let start = xml.find(&open).ok_or("no tag")? + open.len();
    let end = xml[start..]
        .find(&format!("</{tag}>"))
        .ok_or("no end tag")?;
    Ok(&xml[start..start + end])
}

fn complete_xml(etags: &[(usize, String)]) -> String {
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (n, etag) in etags {
        xml.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    xml
}

async fn ok(response: reqwest::Response) -> Result<reqwest::Response, Error> {
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(format!("{}: {}", response.status(), response.text().await?).into())
    }
}

async fn drain(response: reqwest::Response) -> Result<u64, Error> {
    let mut body = ok(response).await?.bytes_stream();
    let mut got = 0;
    while let Some(chunk) = body.try_next().await? {
        got += chunk.len() as u64;
    }
    Ok(got)
}

fn etag_of(response: &reqwest::Response) -> Result<String, Error> {
    Ok(response
        .headers()
        .get("etag")
        .ok_or("no ETag")?
        .to_str()?
        .to_owned())
}

/// The floor: reqwest sending the same bytes, unsigned, with no integrity
/// check and no parsing beyond the upload id.
struct Floor {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
}

impl Floor {
    fn new(endpoint: &str) -> Result<Self, Error> {
        Ok(Self {
            runtime: runtime()?,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()?,
            base: format!("{endpoint}/{BUCKET}"),
        })
    }
}

impl Client for Floor {
    fn put(&self, key: &str, body: Bytes) -> Result<(), Error> {
        let url = format!("{}/{key}", self.base);
        self.runtime.block_on(async {
            ok(self.http.put(url).body(body).send().await?).await?;
            Ok(())
        })
    }

    fn get(&self, key: &str) -> Result<u64, Error> {
        let url = format!("{}/{key}", self.base);
        self.runtime
            .block_on(async { drain(self.http.get(url).send().await?).await })
    }

    fn multipart(
        &self,
        key: &str,
        body: Bytes,
        part: usize,
        in_flight: usize,
    ) -> Result<(), Error> {
        let url = format!("{}/{key}", self.base);
        self.runtime.block_on(async {
            let created = ok(self.http.post(format!("{url}?uploads")).send().await?).await?;
            let xml = created.text().await?;
            let id = between(&xml, "UploadId")?.to_owned();
            let mut etags: Vec<(usize, String)> = stream::iter(parts(&body, part))
                .map(|(n, bytes)| {
                    let url = format!("{url}?partNumber={n}&uploadId={id}");
                    let request = self.http.put(url).body(bytes);
                    async move {
                        let response = ok(request.send().await?).await?;
                        Ok::<_, Error>((n, etag_of(&response)?))
                    }
                })
                .buffer_unordered(in_flight)
                .try_collect()
                .await?;
            etags.sort();
            let done = self.http.post(format!("{url}?uploadId={id}"));
            ok(done.body(complete_xml(&etags)).send().await?).await?;
            Ok(())
        })
    }

    fn small_puts(&self, count: usize, in_flight: usize, size: usize) -> Result<(), Error> {
        let body = Bytes::from(vec![7u8; size]);
        self.runtime.block_on(async {
            stream::iter(0..count)
                .map(|i| {
                    let request = self
                        .http
                        .put(format!("{}/small/{i:06}", self.base))
                        .body(body.clone());
                    async move { ok(request.send().await?).await.map(drop) }
                })
                .buffer_unordered(in_flight)
                .try_collect::<Vec<()>>()
                .await?;
            Ok(())
        })
    }
}

/// rusty-s3 (presigned requests, `UNSIGNED-PAYLOAD`) over reqwest.
struct RustyS3 {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    bucket: rusty_s3::Bucket,
    credentials: rusty_s3::Credentials,
}

const EXPIRES: Duration = Duration::from_secs(3600);

impl RustyS3 {
    fn new(endpoint: &str) -> Result<Self, Error> {
        let url = url::Url::parse(endpoint)?;
        Ok(Self {
            runtime: runtime()?,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()?,
            bucket: rusty_s3::Bucket::new(url, rusty_s3::UrlStyle::Path, BUCKET, "auto")?,
            credentials: rusty_s3::Credentials::new(ACCESS_KEY_ID, SECRET),
        })
    }
}

impl Client for RustyS3 {
    fn put(&self, key: &str, body: Bytes) -> Result<(), Error> {
        use rusty_s3::S3Action;
        let url = rusty_s3::actions::PutObject::new(&self.bucket, Some(&self.credentials), key)
            .sign(EXPIRES);
        self.runtime.block_on(async {
            ok(self.http.put(url.as_str()).body(body).send().await?).await?;
            Ok(())
        })
    }

    fn get(&self, key: &str) -> Result<u64, Error> {
        use rusty_s3::S3Action;
        let url = rusty_s3::actions::GetObject::new(&self.bucket, Some(&self.credentials), key)
            .sign(EXPIRES);
        self.runtime
            .block_on(async { drain(self.http.get(url.as_str()).send().await?).await })
    }

    fn multipart(
        &self,
        key: &str,
        body: Bytes,
        part: usize,
        in_flight: usize,
    ) -> Result<(), Error> {
        use rusty_s3::S3Action;
        use rusty_s3::actions::{CompleteMultipartUpload, CreateMultipartUpload, UploadPart};
        let creds = Some(&self.credentials);
        self.runtime.block_on(async {
            let url = CreateMultipartUpload::new(&self.bucket, creds, key).sign(EXPIRES);
            let created = ok(self.http.post(url.as_str()).send().await?).await?;
            let parsed = CreateMultipartUpload::parse_response(&created.text().await?)?;
            let id = parsed.upload_id().to_owned();
            let mut etags: Vec<(usize, String)> = stream::iter(parts(&body, part))
                .map(|(n, bytes)| {
                    let number = u16::try_from(n).unwrap_or(u16::MAX);
                    let url = UploadPart::new(&self.bucket, creds, key, number, &id).sign(EXPIRES);
                    let request = self.http.put(url.as_str()).body(bytes);
                    async move {
                        let response = ok(request.send().await?).await?;
                        Ok::<_, Error>((n, etag_of(&response)?))
                    }
                })
                .buffer_unordered(in_flight)
                .try_collect()
                .await?;
            etags.sort();
            let complete = CompleteMultipartUpload::new(
                &self.bucket,
                creds,
                key,
                &id,
                etags.iter().map(|(_, etag)| etag.as_str()),
            );
            let url = complete.sign(EXPIRES);
            ok(self
                .http
                .post(url.as_str())
                .body(complete.body())
                .send()
                .await?)
            .await?;
            Ok(())
        })
    }

    fn small_puts(&self, count: usize, in_flight: usize, size: usize) -> Result<(), Error> {
        use rusty_s3::S3Action;
        let body = Bytes::from(vec![7u8; size]);
        self.runtime.block_on(async {
            stream::iter(0..count)
                .map(|i| {
                    let key = format!("small/{i:06}");
                    let url = rusty_s3::actions::PutObject::new(
                        &self.bucket,
                        Some(&self.credentials),
                        &key,
                    )
                    .sign(EXPIRES);
                    let request = self.http.put(url.as_str()).body(body.clone());
                    async move { ok(request.send().await?).await.map(drop) }
                })
                .buffer_unordered(in_flight)
                .try_collect::<Vec<()>>()
                .await?;
            Ok(())
        })
    }
}

/// object_store's S3 store, as configured by default (it signs each
/// payload's SHA-256).
struct ObjectStore {
    runtime: tokio::runtime::Runtime,
    store: std::sync::Arc<object_store::aws::AmazonS3>,
}

impl ObjectStore {
    fn new(endpoint: &str) -> Result<Self, Error> {
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(endpoint)
            .with_allow_http(true)
            .with_bucket_name(BUCKET)
            .with_region("auto")
            .with_access_key_id(ACCESS_KEY_ID)
            .with_secret_access_key(SECRET)
            .with_virtual_hosted_style_request(false)
            .build()?;
        Ok(Self {
            runtime: runtime()?,
            store: std::sync::Arc::new(store),
        })
    }
}

impl Client for ObjectStore {
    fn put(&self, key: &str, body: Bytes) -> Result<(), Error> {
        use object_store::ObjectStoreExt;
        let path = object_store::path::Path::from(key);
        self.runtime.block_on(async {
            self.store.put(&path, body.into()).await?;
            Ok(())
        })
    }

    fn get(&self, key: &str) -> Result<u64, Error> {
        use object_store::ObjectStoreExt;
        let path = object_store::path::Path::from(key);
        self.runtime.block_on(async {
            let mut body = self.store.get(&path).await?.into_stream();
            let mut got = 0;
            while let Some(chunk) = body.try_next().await? {
                got += chunk.len() as u64;
            }
            Ok(got)
        })
    }

    fn multipart(
        &self,
        key: &str,
        body: Bytes,
        part: usize,
        in_flight: usize,
    ) -> Result<(), Error> {
        use object_store::ObjectStoreExt;
        let path = object_store::path::Path::from(key);
        self.runtime.block_on(async {
            let mut upload = self.store.put_multipart(&path).await?;
            let pending: Vec<_> = parts(&body, part)
                .into_iter()
                .map(|(_, bytes)| upload.put_part(bytes.into()))
                .collect();
            stream::iter(pending)
                .buffer_unordered(in_flight)
                .try_collect::<Vec<()>>()
                .await?;
            upload.complete().await?;
            Ok(())
        })
    }

    fn small_puts(&self, count: usize, in_flight: usize, size: usize) -> Result<(), Error> {
        use object_store::ObjectStoreExt;
        let body = Bytes::from(vec![7u8; size]);
        self.runtime.block_on(async {
            stream::iter(0..count)
                .map(|i| {
                    let path = object_store::path::Path::from(format!("small/{i:06}"));
                    let store = std::sync::Arc::clone(&self.store);
                    let body = body.clone();
                    async move { store.put(&path, body.into()).await.map(drop) }
                })
                .buffer_unordered(in_flight)
                .try_collect::<Vec<()>>()
                .await?;
            Ok(())
        })
    }
}

/// aws-sdk-s3 with its defaults (path style, region `auto`).
struct AwsSdk {
    runtime: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
}

impl AwsSdk {
    fn new(endpoint: &str) -> Result<Self, Error> {
        let runtime = runtime()?;
        let credentials =
            aws_credential_types::Credentials::new(ACCESS_KEY_ID, SECRET, None, None, "bench");
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_sdk_s3::config::Region::new("auto"))
            .credentials_provider(credentials)
            .force_path_style(true)
            .build();
        let client = {
            let _entered = runtime.enter();
            aws_sdk_s3::Client::from_conf(config)
        };
        Ok(Self { runtime, client })
    }
}

impl Client for AwsSdk {
    fn put(&self, key: &str, body: Bytes) -> Result<(), Error> {
        self.runtime.block_on(async {
            self.client
                .put_object()
                .bucket(BUCKET)
                .key(key)
                .body(body.into())
                .send()
                .await?;
            Ok(())
        })
    }

    fn get(&self, key: &str) -> Result<u64, Error> {
        self.runtime.block_on(async {
            let output = self
                .client
                .get_object()
                .bucket(BUCKET)
                .key(key)
                .send()
                .await?;
            let mut body = output.body;
            let mut got = 0;
            while let Some(chunk) = body.try_next().await? {
                got += chunk.len() as u64;
            }
            Ok(got)
        })
    }

    fn multipart(
        &self,
        key: &str,
        body: Bytes,
        part: usize,
        in_flight: usize,
    ) -> Result<(), Error> {
        use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
        self.runtime.block_on(async {
            let created = self
                .client
                .create_multipart_upload()
                .bucket(BUCKET)
                .key(key)
                .send()
                .await?;
            let id = created.upload_id().ok_or("no upload id")?.to_owned();
            let mut done: Vec<CompletedPart> = stream::iter(parts(&body, part))
                .map(|(n, bytes)| {
                    let number = i32::try_from(n).unwrap_or(i32::MAX);
                    let request = self
                        .client
                        .upload_part()
                        .bucket(BUCKET)
                        .key(key)
                        .upload_id(&id)
                        .part_number(number)
                        .body(bytes.into());
                    async move {
                        let output = request.send().await?;
                        Ok::<_, Error>(
                            CompletedPart::builder()
                                .part_number(number)
                                .set_e_tag(output.e_tag().map(str::to_owned))
                                .build(),
                        )
                    }
                })
                .buffer_unordered(in_flight)
                .try_collect()
                .await?;
            done.sort_by_key(|p| p.part_number());
            self.client
                .complete_multipart_upload()
                .bucket(BUCKET)
                .key(key)
                .upload_id(&id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(done))
                        .build(),
                )
                .send()
                .await?;
            Ok(())
        })
    }

    fn small_puts(&self, count: usize, in_flight: usize, size: usize) -> Result<(), Error> {
        let body = Bytes::from(vec![7u8; size]);
        self.runtime.block_on(async {
            stream::iter(0..count)
                .map(|i| {
                    let request = self
                        .client
                        .put_object()
                        .bucket(BUCKET)
                        .key(format!("small/{i:06}"))
                        .body(body.clone().into());
                    async move { request.send().await.map(drop) }
                })
                .buffer_unordered(in_flight)
                .try_collect::<Vec<()>>()
                .await?;
            Ok(())
        })
    }
}

/// An r2 adapter, as the project's own bench drives it.
struct R2<C> {
    client: C,
    bucket: BucketName,
}

impl<C: BenchClient> R2<C> {
    fn new(endpoint: &str) -> Result<Self, Error> {
        let credentials = Credentials::new(ACCESS_KEY_ID, SECRET)?;
        let config = Config::for_endpoint(endpoint, credentials)
            .allow_insecure_http()
            .timeout(Duration::from_secs(300))
            .build()?;
        Ok(Self {
            client: C::connect(config, 64)?,
            bucket: BucketName::new(BUCKET)?,
        })
    }
}

impl<C: BenchClient> Client for R2<C> {
    fn put(&self, key: &str, body: Bytes) -> Result<(), Error> {
        let put = PutObject::new(self.bucket.clone(), ObjectKey::new(key)?, body);
        Ok(self.client.put(put)?)
    }

    fn get(&self, key: &str) -> Result<u64, Error> {
        Ok(self
            .client
            .get_to_sink(&self.bucket, &ObjectKey::new(key)?)?)
    }

    fn multipart(
        &self,
        key: &str,
        body: Bytes,
        part: usize,
        in_flight: usize,
    ) -> Result<(), Error> {
        let key = ObjectKey::new(key)?;
        let part = part as u64;
        Ok(self
            .client
            .upload(&self.bucket, &key, body, part, in_flight)?)
    }

    fn small_puts(&self, count: usize, in_flight: usize, size: usize) -> Result<(), Error> {
        self.client
            .small_puts(&self.bucket, count, in_flight, size)?;
        Ok(())
    }
}
