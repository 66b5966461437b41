//! The scenario suite, written once and run by every adapter against every
//! server: an adapter implements [`ScenarioClient`] (a synchronous view of
//! its API; async adapters block on their runtime), and its test calls
//! [`run_suite`] for each [`Target`].
//!
//! A server that lacks a behaviour says so in its [`Capabilities`]; a
//! scenario that needs it is skipped on that server with the reason
//! printed, never weakened to fit.

mod admin;
mod errors;
mod keys;
mod multipart;
mod objects;
mod progress_log;
mod transfers;

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use r2_proto::error::R2Error;
use r2_proto::model::ObjectMetadata;
use r2_proto::ops::{
    AbortMultipartUpload, CompleteMultipartUpload, CompleteMultipartUploadOutput, CopyObject,
    CopyObjectOutput, CreateMultipartUpload, CreateMultipartUploadOutput, DeleteObject,
    DeleteObjects, DeleteObjectsOutput, DeletePrefixOutput, GetBucketLifecycleConfiguration,
    GetObject, GetObjectOutput, HeadObject, LifecycleRule, ListEntry, ListMultipartUploads,
    ListMultipartUploadsOutput, ListObjectsV2, ListObjectsV2Output, ListParts, ListPartsOutput,
    ObjectExists, ObjectSummary, PutObject, PutObjectOutput, UploadPart, UploadPartOutput,
};
use std::sync::Arc;

use r2_proto::proxy::Proxies;
use r2_proto::replay::{Recorder, Replayer, Route};
use r2_proto::transfer::{DownloadOutput, ResumeState, UploadOutput};
use r2_proto::{BucketName, Config, Credentials, PresignedRequest, ResilienceConfig};

pub use admin::{create_bucket, put_lifecycle};
pub use progress_log::{ProgressLog, Reported, check_reports};

/// How a scenario's client is set up beyond its [`Config`].
#[derive(Debug, Clone, Default)]
pub struct ClientSetup {
    /// Live, recorded or replayed.
    pub route: Route,
    /// Retries, breaker and rate limits.
    pub resilience: ResilienceConfig,
    /// PEM bundles of root certificates trusted besides webpki's.
    pub root_certificates: Vec<Vec<u8>>,
    /// The application named in the `User-Agent`.
    pub application: Option<String>,
    /// How long idle connections are kept, and how many per host.
    pub pool_idle: Option<(Duration, usize)>,
    /// The proxies requests go through.
    pub proxies: Proxies,
}

impl ClientSetup {
    /// `builder`, set up as this says.
    pub fn apply<C: r2_proto::BuildClient>(
        self,
        builder: r2_proto::ClientBuilder<C>,
    ) -> r2_proto::ClientBuilder<C> {
        let mut builder = builder
            .route(self.route)
            .resilience(self.resilience)
            .proxies(self.proxies);
        if let Some(application) = &self.application {
            builder = builder.application(application);
        }
        if let Some((idle_timeout, per_host)) = self.pool_idle {
            builder = builder
                .pool_idle_timeout(idle_timeout)
                .pool_max_idle_per_host(per_host);
        }
        self.root_certificates
            .into_iter()
            .fold(builder, r2_proto::ClientBuilder::add_root_certificates)
    }
}

/// Everything a scenario does, as each adapter offers it.
pub trait ScenarioClient: Sized {
    /// The adapter's name, for messages.
    const NAME: &'static str;

    /// A client for `config`, set up as `setup` says.
    fn connect_with(config: Config, setup: ClientSetup) -> Result<Self, R2Error>;

    /// A client for `config` whose requests take `route`, with the core's
    /// default retries and breaker.
    fn connect_routed(config: Config, route: Route) -> Result<Self, R2Error> {
        let setup = ClientSetup {
            route,
            ..ClientSetup::default()
        };
        Self::connect_with(config, setup)
    }

    /// A live client for `config`.
    fn connect(config: Config) -> Result<Self, R2Error> {
        Self::connect_routed(config, Route::Live)
    }

    /// `with_timeout`: the same client, another time allowed for one
    /// request.
    fn with_timeout(&self, timeout: Duration) -> Result<Self, R2Error>;

    /// `objects().put`.
    fn put(&self, put: PutObject) -> Result<PutObjectOutput, R2Error>;
    /// `objects().put_stream`, from a reader that yields `data` in chunks of `chunk` bytes.
    fn put_stream(
        &self,
        bucket: BucketName,
        key: r2_proto::ObjectKey,
        data: Bytes,
        chunk: usize,
    ) -> Result<UploadOutput, R2Error>;
    /// `objects().get`.
    fn get(&self, get: GetObject) -> Result<GetObjectOutput, R2Error>;
    /// `objects().get_stream`, read to its end chunk by chunk.
    fn get_stream(&self, get: GetObject) -> Result<(ObjectMetadata, Bytes), R2Error>;
    /// `objects().head`.
    fn head(&self, head: HeadObject) -> Result<ObjectMetadata, R2Error>;
    /// `objects().exists`.
    fn exists(&self, exists: ObjectExists) -> Result<bool, R2Error>;
    /// `objects().delete`.
    fn delete(&self, delete: DeleteObject) -> Result<(), R2Error>;
    /// `objects().delete_objects`.
    fn delete_objects(&self, delete: DeleteObjects) -> Result<DeleteObjectsOutput, R2Error>;
    /// `objects().copy`.
    fn copy(&self, copy: CopyObject) -> Result<CopyObjectOutput, R2Error>;
    /// `objects().list`.
    fn list(&self, list: ListObjectsV2) -> Result<ListObjectsV2Output, R2Error>;
    /// `objects().list_all`, collected.
    fn list_all(&self, list: ListObjectsV2) -> Result<Vec<ObjectSummary>, R2Error>;
    /// `objects().list_entries`, collected.
    fn list_entries(&self, list: ListObjectsV2) -> Result<Vec<ListEntry>, R2Error>;
    /// `objects().delete_listed`.
    fn delete_listed(&self, list: ListObjectsV2) -> Result<DeletePrefixOutput, R2Error>;
    /// `multipart().create`.
    fn create_multipart(
        &self,
        create: CreateMultipartUpload,
    ) -> Result<CreateMultipartUploadOutput, R2Error>;
    /// `multipart().upload_part`.
    fn upload_part(&self, part: UploadPart) -> Result<UploadPartOutput, R2Error>;
    /// `multipart().complete`.
    fn complete_multipart(
        &self,
        complete: CompleteMultipartUpload,
    ) -> Result<CompleteMultipartUploadOutput, R2Error>;
    /// `multipart().abort`.
    fn abort_multipart(&self, abort: AbortMultipartUpload) -> Result<(), R2Error>;
    /// `multipart().list_parts`.
    fn list_parts(&self, list: ListParts) -> Result<ListPartsOutput, R2Error>;
    /// `multipart().list_uploads`.
    fn list_uploads(
        &self,
        list: ListMultipartUploads,
    ) -> Result<ListMultipartUploadsOutput, R2Error>;
    /// `presign().presign_get`.
    fn presign_get(&self, get: &GetObject, expires: Duration) -> Result<PresignedRequest, R2Error>;
    /// `presign().presign_put`.
    fn presign_put(&self, put: &PutObject, expires: Duration) -> Result<PresignedRequest, R2Error>;
    /// `send(GetBucketLifecycleConfiguration)`.
    fn lifecycle(
        &self,
        get: GetBucketLifecycleConfiguration,
    ) -> Result<Vec<LifecycleRule>, R2Error>;
    /// `upload(bucket, key, bytes)` with the given part size and concurrency,
    /// stored with content type `application/x-r2-upload` and the metadata
    /// `origin: upload helper` (set one by one on the upload request).
    fn upload_bytes(
        &self,
        bucket: BucketName,
        key: r2_proto::ObjectKey,
        data: Bytes,
        tuning: Tuning,
    ) -> Result<UploadOutput, R2Error>;
    /// `upload(bucket, key, file)`, resumed from `resume` when given.
    fn upload_file(
        &self,
        bucket: BucketName,
        key: r2_proto::ObjectKey,
        path: &Path,
        tuning: Tuning,
        resume: Option<ResumeState>,
    ) -> Result<UploadOutput, R2Error>;
    /// `upload(bucket, key, file)` kept on failure for resuming.
    fn upload_file_kept(
        &self,
        bucket: BucketName,
        key: r2_proto::ObjectKey,
        path: &Path,
        tuning: Tuning,
    ) -> Result<UploadOutput, R2Error>;
    /// `download(bucket, key, file)`.
    fn download_file(
        &self,
        bucket: BucketName,
        key: r2_proto::ObjectKey,
        path: &Path,
        tuning: Tuning,
    ) -> Result<DownloadOutput, R2Error>;
    /// `download(bucket, key, writer)` into memory.
    fn download_ordered(
        &self,
        bucket: BucketName,
        key: r2_proto::ObjectKey,
        tuning: Tuning,
    ) -> Result<(DownloadOutput, Vec<u8>), R2Error>;
    /// What the transfer helpers above reported through `on_progress`.
    fn progress(&self) -> &ProgressLog;
}

/// Part size and concurrency of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Bytes per part or range.
    pub part_size: u64,
    /// Parts or ranges at once.
    pub concurrency: usize,
}

/// What a server implements correctly (as found by trying it; see
/// `shared/research/servers.md` and the notes on each field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)]
pub struct Capabilities {
    /// GET honours `If-Match` / `If-None-Match` (s3s-fs 0.14.1 ignores them).
    pub conditional_get: bool,
    /// ListParts after AbortMultipartUpload answers NoSuchUpload (s3s-fs does not).
    pub no_such_upload_after_abort: bool,
    /// Presigned URLs work (moto with signature checking answers 500).
    pub presign: bool,
    /// Bucket lifecycle rules (s3s-fs has none).
    pub lifecycle: bool,
    /// Keys with `./`, `../`, `//` or a trailing `/` are stored as given
    /// (s3s-fs maps keys to file paths and cannot).
    pub dot_and_slash_keys: bool,
    /// Listing returns keys with `+` as stored (s3s-fs lists `p+q` as `p q`).
    pub plus_in_listed_keys: bool,
    /// A range starting past the end answers 416 InvalidRange.
    pub invalid_range: bool,
    /// ListParts of an unknown upload id answers NoSuchUpload (s3s-fs
    /// answers AccessDenied; moto's UploadPart answers 500, its ListParts
    /// is right).
    pub no_such_upload: bool,
    /// ListParts names each part's ETag, as S3 always does (s3s-fs 0.14.1
    /// leaves it out, so neither ListParts nor resuming can be checked there).
    pub list_parts_etags: bool,
    /// GetObject in a missing bucket answers NoSuchBucket (s3s-fs says NoSuchKey).
    pub no_such_bucket_on_get: bool,
    /// Keys holding `%2e` are listed as stored (s3s-fs lists them decoded).
    pub percent_dots_listed: bool,
    /// The endpoint speaks plain http, so the test's own plain-http client
    /// can send presigned URLs to it (not through a TLS front).
    pub plain_http_endpoint: bool,
}

impl Capabilities {
    /// s3s-fs 0.14.1, in process (`servers::S3sFsServer`).
    pub const S3S_FS: Self = Self {
        conditional_get: false,
        no_such_upload_after_abort: false,
        presign: true,
        lifecycle: false,
        dot_and_slash_keys: false,
        plus_in_listed_keys: false,
        invalid_range: true,
        no_such_upload: false,
        list_parts_etags: false,
        no_such_bucket_on_get: false,
        percent_dots_listed: false,
        plain_http_endpoint: true,
    };

    /// moto 5 with signature checking on, as `.ci/moto.sh` starts it.
    pub const MOTO: Self = Self {
        conditional_get: true,
        no_such_upload_after_abort: true,
        presign: false,
        lifecycle: true,
        dot_and_slash_keys: true,
        plus_in_listed_keys: true,
        invalid_range: true,
        no_such_upload: true,
        list_parts_etags: true,
        no_such_bucket_on_get: true,
        percent_dots_listed: true,
        plain_http_endpoint: true,
    };

    /// The servers every CI run has (s3s-fs always, moto from `.ci/run`).
    pub const IN_CI: [(&'static str, Self); 2] = [("s3s-fs", Self::S3S_FS), ("moto", Self::MOTO)];
}

/// A server to run the scenarios against.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its name, for messages.
    pub name: &'static str,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The access key id it accepts.
    pub access_key_id: String,
    /// The secret it accepts.
    pub secret_access_key: String,
    /// What it implements.
    pub capabilities: Capabilities,
    /// Where the clients' requests go: to the server, to the server and a
    /// recorder, or only to a replayer.
    pub route: Route,
    /// The bucket every run uses, for runs that must send the same
    /// requests each time (recording and replaying); else each run gets a
    /// fresh one.
    pub fixed_bucket: Option<&'static str>,
    /// PEM bundles of root certificates its clients trust besides
    /// webpki's (a TLS front's own certificate).
    pub root_certificates: Vec<Vec<u8>>,
    /// Where bucket set-up goes (sent as plain http), when it is not
    /// [`Target::endpoint`] (a TLS front's server behind it).
    pub admin_endpoint: Option<String>,
    /// The proxies its clients' requests go through.
    pub proxies: Proxies,
}

/// The bucket of recorded and replayed runs.
pub const REPLAY_BUCKET: &str = "r2-replayed-suite";

impl Capabilities {
    /// What a replay can answer: everything recorded, less what goes
    /// around the client (presigned URLs fetched by plain HTTP, lifecycle
    /// rules set by raw requests).
    pub fn replayable(self) -> Self {
        Self {
            presign: false,
            lifecycle: false,
            ..self
        }
    }
}

impl Target {
    /// The in-process s3s-fs server.
    pub fn s3s_fs(server: &crate::servers::S3sFsServer) -> Self {
        Self {
            name: "s3s-fs",
            endpoint: server.endpoint(),
            access_key_id: crate::servers::s3s_fs::ACCESS_KEY_ID.into(),
            secret_access_key: crate::servers::s3s_fs::SECRET_ACCESS_KEY.into(),
            capabilities: Capabilities::S3S_FS,
            route: Route::Live,
            fixed_bucket: None,
            root_certificates: Vec::new(),
            admin_endpoint: None,
            proxies: Proxies::none(),
        }
    }

    /// This server behind `front`, over https, trusting its certificate.
    pub fn over_tls(self, front: &crate::servers::TlsProxy) -> Self {
        let pem = front.certificate_pem().as_bytes().to_vec();
        Self {
            name: "s3s-fs-tls",
            endpoint: front.endpoint(),
            capabilities: Capabilities {
                plain_http_endpoint: false,
                ..self.capabilities
            },
            root_certificates: vec![pem],
            admin_endpoint: Some(self.endpoint.clone()),
            ..self
        }
    }

    /// This server, its clients' requests sent through `proxies`.
    pub fn through(self, proxies: Proxies) -> Self {
        Self { proxies, ..self }
    }

    /// This server, with every request also handed to `recorder`, in
    /// [`REPLAY_BUCKET`], running only what a replay can answer.
    pub fn recording(self, recorder: &Arc<Recorder>) -> Self {
        Self {
            capabilities: self.capabilities.replayable(),
            route: Route::record(recorder),
            fixed_bucket: Some(REPLAY_BUCKET),
            ..self
        }
    }

    /// No server: `replayer` answers, as the server that was recorded
    /// (with `capabilities`) did.
    pub fn replaying(capabilities: Capabilities, replayer: &Arc<Replayer>) -> Self {
        Self {
            name: "replay",
            endpoint: "http://replay.invalid".into(),
            access_key_id: crate::servers::s3s_fs::ACCESS_KEY_ID.into(),
            secret_access_key: crate::servers::s3s_fs::SECRET_ACCESS_KEY.into(),
            capabilities: capabilities.replayable(),
            route: Route::replay(replayer),
            fixed_bucket: Some(REPLAY_BUCKET),
            root_certificates: Vec::new(),
            admin_endpoint: None,
            proxies: Proxies::none(),
        }
    }

    /// A client of adapter `C` for `config`, routed as this target is.
    pub fn connect<C: ScenarioClient>(&self, config: Config) -> Result<C, R2Error> {
        let setup = ClientSetup {
            route: self.route.clone(),
            root_certificates: self.root_certificates.clone(),
            proxies: self.proxies.clone(),
            ..ClientSetup::default()
        };
        C::connect_with(config, setup)
    }

    /// The moto server `.ci/run` started, from `R2_TEST_MOTO_ENDPOINT`,
    /// `R2_TEST_MOTO_ACCESS_KEY_ID` and `R2_TEST_MOTO_SECRET_ACCESS_KEY`;
    /// `None` when the endpoint variable is unset.
    pub fn moto_from_env() -> Option<Self> {
        let endpoint = std::env::var("R2_TEST_MOTO_ENDPOINT").ok()?;
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        Some(Self {
            name: "moto",
            endpoint,
            access_key_id: var("R2_TEST_MOTO_ACCESS_KEY_ID"),
            secret_access_key: var("R2_TEST_MOTO_SECRET_ACCESS_KEY"),
            capabilities: Capabilities::MOTO,
            route: Route::Live,
            fixed_bucket: None,
            root_certificates: Vec::new(),
            admin_endpoint: None,
            proxies: Proxies::none(),
        })
    }

    /// A configuration for this server with `secret` (the right one unless
    /// a scenario wants a wrong one).
    pub fn config_with_secret(&self, secret: &str) -> Result<Config, R2Error> {
        let credentials = Credentials::new(self.access_key_id.clone(), secret)?;
        Ok(Config::for_endpoint(self.endpoint.clone(), credentials)
            .allow_insecure_http()
            .part_size(5 << 20)
            .multipart_threshold(8 << 20)
            .concurrency(4)
            .timeout(Duration::from_secs(60))
            .build()?)
    }

    /// A configuration for this server.
    pub fn config(&self) -> Result<Config, R2Error> {
        self.config_with_secret(&self.secret_access_key)
    }

    /// A configuration for bucket set-up ([`admin`]'s plain-http requests).
    pub fn admin_config(&self) -> Result<Config, R2Error> {
        let endpoint = self.admin_endpoint.as_ref().unwrap_or(&self.endpoint);
        let credentials = Credentials::new(self.access_key_id.clone(), &self.secret_access_key)?;
        Ok(Config::for_endpoint(endpoint.clone(), credentials)
            .allow_insecure_http()
            .build()?)
    }
}

/// What a scenario needs from the server.
#[derive(Debug, Clone, Copy)]
pub enum Needs {
    /// Nothing special.
    Nothing,
    /// One capability, named for the skip message.
    Capability(&'static str, fn(&Capabilities) -> bool),
}

/// A scenario's outcome: `Err` carries what went wrong.
pub type Outcome = Result<(), String>;

/// Everything a scenario gets.
#[derive(Debug)]
pub struct Context<'a, C> {
    /// The client under test.
    pub client: &'a C,
    /// The server.
    pub target: &'a Target,
    /// A bucket created for this run.
    pub bucket: BucketName,
    /// A scratch directory for files.
    pub scratch: &'a Path,
}

/// One scenario.
pub struct Scenario<C> {
    /// Its name (F1–F11 of the design, or what it checks).
    pub name: &'static str,
    /// What it needs.
    pub needs: Needs,
    /// The scenario.
    pub run: fn(&Context<'_, C>) -> Outcome,
}

/// Every scenario, in order.
pub fn all<C: ScenarioClient>() -> Vec<Scenario<C>> {
    let mut list = objects::scenarios();
    list.extend(multipart::scenarios());
    list.extend(transfers::scenarios());
    list.extend(keys::scenarios());
    list.extend(errors::scenarios());
    list
}

/// Turns an `R2Error` into an outcome message.
pub(crate) fn fail(step: &str) -> impl FnOnce(R2Error) -> String + '_ {
    move |error| format!("{step}: {error} ({error:?})")
}

/// Fails with `message` unless `condition`.
pub(crate) fn check(condition: bool, message: impl FnOnce() -> String) -> Outcome {
    if condition { Ok(()) } else { Err(message()) }
}

/// A number for each run in this process, with the process id.
fn next_run() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A bucket name for one run: adapter, server and a counter.
fn bucket_for(adapter: &str, server: &str) -> Result<BucketName, String> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "r2-{}-{}-{}-{}",
        adapter,
        server,
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    BucketName::new(name).map_err(|e| e.to_string())
}

/// Runs every scenario on `target` through adapter `C`; returns the
/// failures (empty when all passed) after printing each result and skip.
pub fn run_suite<C: ScenarioClient>(target: &Target) -> Vec<String> {
    run_scenarios::<C>(target, all::<C>())
}

/// Runs `scenarios` on `target`.
pub fn run_scenarios<C: ScenarioClient>(
    target: &Target,
    scenarios: Vec<Scenario<C>>,
) -> Vec<String> {
    let setup = || -> Result<(C, BucketName), String> {
        let config = target.config().map_err(|e| e.to_string())?;
        let bucket = match target.fixed_bucket {
            Some(name) => BucketName::new(name).map_err(|e| e.to_string())?,
            None => bucket_for(&C::NAME.replace('_', "-"), target.name)?,
        };
        if !matches!(target.route, Route::Replay(_)) {
            let admin = target.admin_config().map_err(|e| e.to_string())?;
            create_bucket(&admin, &bucket).map_err(|e| format!("creating bucket {bucket}: {e}"))?;
        }
        let client = target.connect::<C>(config).map_err(|e| e.to_string())?;
        Ok((client, bucket))
    };
    let (client, bucket) = match setup() {
        Ok(pair) => pair,
        Err(error) => return vec![format!("{} on {}: setup: {error}", C::NAME, target.name)],
    };
    // Runs in one bucket (recorded, replayed) may go at once: each its own.
    let scratch = std::env::temp_dir().join(format!("{bucket}-{}-{}-scratch", C::NAME, next_run()));
    if let Err(error) = std::fs::create_dir_all(&scratch) {
        return vec![format!("scratch dir: {error}")];
    }
    let context = Context {
        client: &client,
        target,
        bucket,
        scratch: &scratch,
    };
    let mut failures = Vec::new();
    for scenario in scenarios {
        if let Needs::Capability(what, has) = scenario.needs
            && !has(&target.capabilities)
        {
            println!(
                "SKIP {} on {} with {}: the server lacks {what}",
                scenario.name,
                target.name,
                C::NAME
            );
            continue;
        }
        match (scenario.run)(&context) {
            Ok(()) => println!("ok   {} on {} with {}", scenario.name, target.name, C::NAME),
            Err(error) => {
                println!(
                    "FAIL {} on {} with {}: {error}",
                    scenario.name,
                    target.name,
                    C::NAME
                );
                failures.push(format!(
                    "{} on {} with {}: {error}",
                    scenario.name,
                    target.name,
                    C::NAME
                ));
            }
        }
    }
    let _ignored = std::fs::remove_dir_all(&scratch);
    failures
}

#[cfg(test)]
mod tests {
    use super::{Capabilities, Needs, all};
    use crate::adapters::TokioScenarioClient;

    /// A capability no CI server claims would leave its scenarios green by
    /// being skipped everywhere.
    #[test]
    fn every_scenario_runs_on_a_server_in_ci() {
        let unclaimed: Vec<&str> = all::<TokioScenarioClient>()
            .into_iter()
            .filter(|scenario| match scenario.needs {
                Needs::Nothing => false,
                Needs::Capability(_, has) => !Capabilities::IN_CI.iter().any(|(_, c)| has(c)),
            })
            .map(|scenario| scenario.name)
            .collect();
        assert!(unclaimed.is_empty(), "run on no CI server: {unclaimed:?}");
    }
}
