//! An in-process S3 server for r2's tests and tour: `s3s` + `s3s-fs` on
//! an ephemeral loopback port, with SigV4 (header and presigned) checking
//! on, serving a temporary directory. It runs on its own thread and tokio runtime, so blocking and
//! async clients alike can use it, and stops when dropped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnectionBuilder;
use s3s::auth::SimpleAuth;
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

impl S3sFsServer {
    /// Starts a server over a fresh temporary directory.
    pub fn start() -> Result<Self, ServerError> {
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
        let service = builder.build();

        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
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
                        tokio::spawn(async move {
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
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
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
