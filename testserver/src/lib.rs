//! An S3 server on loopback for tests of code that talks to R2 or S3:
//! `s3s` + `s3s-fs`, with SigV4 (header and presigned) checking on, serving
//! a temporary directory. It runs on its own thread and tokio runtime, so
//! blocking and async clients alike can use it, and stops (removing its
//! directory) when dropped.
//!
//! ```no_run
//! let server = r2_testserver::S3sFsServer::start()?;
//! server.create_bucket("photos")?;
//! // Point the client under test at server.endpoint() (`http://127.0.0.1:<port>`,
//! // path-style, region `auto`) with ACCESS_KEY_ID / SECRET_ACCESS_KEY.
//! # Ok::<(), r2_testserver::ServerError>(())
//! ```
//!
//! The `r2-testserver` binary runs the same server for tests in other
//! languages: it prints one JSON line (`endpoint`, `access_key_id`,
//! `secret_access_key`, `region`, `root`) and serves until it is killed,
//! or until its standard input closes with `--exit-on-eof`.
//!
//! What it does and does not do (s3s-fs 0.14, as r2's conformance suite
//! records it): objects, ranges, copies, listings with delimiters and
//! pagination, multipart uploads, presigned URLs and checksums work;
//! ListParts gives no ETags, listings show `+` in a key as a space and
//! `%2e` decoded, keys with `.`/`..` segments or `//` are not stored as
//! sent, a GET of a missing bucket is not `NoSuchBucket`, an unknown or
//! aborted upload id is not `NoSuchUpload`, and conditional GETs and
//! lifecycle rules are not supported. Data lives on the local disk under a
//! temporary directory; there is no limit beyond the disk's.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnectionBuilder;
use s3s::auth::SimpleAuth;
use s3s::config::{S3Config, StaticConfigProvider};
use s3s::service::S3ServiceBuilder;
use tokio::sync::oneshot;

/// The access key id the in-process server accepts.
pub const ACCESS_KEY_ID: &str = "AKIDR2CONFORMANCE";
/// The secret it accepts.
pub const SECRET_ACCESS_KEY: &str = "r2-conformance-secret-key-0123456789";

/// A running in-process server.
#[derive(Debug)]
pub struct S3sFsServer {
    address: SocketAddr,
    root: PathBuf,
    connections: Arc<Connections>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A file-system or socket operation failed.
    #[error("in-process S3 server: {0}")]
    Io(#[from] std::io::Error),
    /// s3s-fs refused the data directory.
    #[error("in-process S3 server: {0}")]
    Setup(String),
}

/// Settings of an in-process server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerOptions {
    /// How far a request's `X-Amz-Date` may be from the server's clock
    /// (15 minutes, as S3; widened by tests whose proxy plays a skewed clock).
    pub max_clock_skew: Duration,
    /// The loopback port to listen on (0: any free one).
    pub port: u16,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_clock_skew: Duration::from_secs(15 * 60),
            port: 0,
        }
    }
}

/// Connections the server has accepted.
#[derive(Debug, Default)]
struct Connections {
    open: AtomicUsize,
    most_open: AtomicUsize,
    accepted: AtomicUsize,
}

/// Counts one open connection while it lives.
struct OpenConnection(Arc<Connections>);

impl OpenConnection {
    fn new(connections: &Arc<Connections>) -> Self {
        connections.accepted.fetch_add(1, Ordering::Relaxed);
        let open = connections.open.fetch_add(1, Ordering::Relaxed) + 1;
        connections.most_open.fetch_max(open, Ordering::Relaxed);
        Self(Arc::clone(connections))
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl S3sFsServer {
    /// Starts a server over a fresh temporary directory.
    pub fn start() -> Result<Self, ServerError> {
        Self::start_with(ServerOptions::default())
    }

    /// Starts a server with `options`.
    pub fn start_with(options: ServerOptions) -> Result<Self, ServerError> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let root = std::env::temp_dir().join(format!(
            "r2-s3s-fs-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        if root.exists() {
            std::fs::remove_dir_all(&root)?;
        }
        std::fs::create_dir_all(&root)?;
        let file_system =
            s3s_fs::FileSystem::new(&root).map_err(|e| ServerError::Setup(format!("{e:?}")))?;
        let mut builder = S3ServiceBuilder::new(file_system);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY_ID, SECRET_ACCESS_KEY));
        let mut config = S3Config::default();
        config.presigned_url_max_skew_time_secs =
            u32::try_from(options.max_clock_skew.as_secs()).unwrap_or(u32::MAX);
        builder.set_config(Arc::new(StaticConfigProvider::new(Arc::new(config))));
        let service = builder.build();
        let connections = Arc::new(Connections::default());
        let counted = Arc::clone(&connections);

        let listener = std::net::TcpListener::bind(("127.0.0.1", options.port))?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("s3s-fs")
            .enable_all()
            .build()?;
        let (stop, mut stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("s3s-fs-accept".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    loop {
                        let accepted = tokio::select! {
                            _ = &mut stopped => break,
                            accepted = listener.accept() => accepted,
                        };
                        let Ok((socket, _)) = accepted else { continue };
                        let service = service.clone();
                        let open = OpenConnection::new(&counted);
                        tokio::spawn(async move {
                            let _open = open;
                            let connections = ConnectionBuilder::new(TokioExecutor::new());
                            let _closed = connections
                                .serve_connection(TokioIo::new(socket), service)
                                .await;
                        });
                    }
                });
                runtime.shutdown_background();
            })?;
        Ok(Self {
            address,
            root,
            connections,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Connections open now.
    pub fn connections_open(&self) -> usize {
        self.connections.open.load(Ordering::Relaxed)
    }

    /// The most connections that were open at once.
    pub fn most_connections_open(&self) -> usize {
        self.connections.most_open.load(Ordering::Relaxed)
    }

    /// Connections accepted since the start.
    pub fn connections_accepted(&self) -> usize {
        self.connections.accepted.load(Ordering::Relaxed)
    }

    /// The directory it serves (one subdirectory per bucket).
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// Creates an empty bucket directly in the served directory.
    pub fn create_bucket(&self, name: &str) -> Result<(), ServerError> {
        if name.is_empty() || name.contains(['/', '\\', '.']) {
            return Err(ServerError::Setup(format!("unusable bucket name {name:?}")));
        }
        std::fs::create_dir_all(self.root.join(name))?;
        Ok(())
    }
}

impl Drop for S3sFsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ignored = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ignored = thread.join();
        }
        let _ignored = std::fs::remove_dir_all(&self.root);
    }
}
