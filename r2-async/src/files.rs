//! The transfers' files, on `std::fs` in the runtime's blocking pool:
//! an upload's parts read at their offsets, a download's ranges written
//! at theirs.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use bytes::{Bytes, BytesMut};

use crate::runtime::Runtime;

/// Bytes a range writer gathers before one write in the blocking pool.
const WRITE_BATCH: usize = 1 << 20;

/// The length of the file at `path`.
pub(crate) async fn len<R: Runtime>(path: &Path) -> io::Result<u64> {
    let path = path.to_owned();
    R::unblock(move || Ok(std::fs::metadata(path)?.len())).await?
}

/// `len` bytes of the file at `path` from `offset`, and the file's
/// length when they were read.
pub(crate) async fn read_at<R: Runtime>(
    path: &Path,
    offset: u64,
    len: u64,
) -> io::Result<(Bytes, u64)> {
    let path = path.to_owned();
    let want = usize::try_from(len).map_err(io::Error::other)?;
    R::unblock(move || {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut buffer = BytesMut::zeroed(want);
        file.read_exact(&mut buffer)?;
        Ok((buffer.freeze(), file.metadata()?.len()))
    })
    .await?
}

/// Creates (or truncates) the file at `path`.
pub(crate) async fn create<R: Runtime>(path: &Path) -> io::Result<()> {
    let path = path.to_owned();
    R::unblock(move || File::create(path).map(drop)).await?
}

/// Renames `from` to `to`, replacing it.
pub(crate) async fn rename<R: Runtime>(from: &Path, to: &Path) -> io::Result<()> {
    let (from, to) = (from.to_owned(), to.to_owned());
    R::unblock(move || std::fs::rename(from, to)).await?
}

/// One range of a file being written from its offset, in batches.
pub(crate) struct RangeWriter {
    file: Option<File>,
    batch: Vec<Bytes>,
    batched: usize,
}

impl RangeWriter {
    /// Opens the existing file at `path` for writing from `offset`.
    pub(crate) async fn open<R: Runtime>(path: &Path, offset: u64) -> io::Result<Self> {
        let path = path.to_owned();
        let file = R::unblock(move || {
            let mut file = OpenOptions::new().write(true).open(path)?;
            file.seek(SeekFrom::Start(offset))?;
            Ok::<_, io::Error>(file)
        })
        .await??;
        Ok(Self {
            file: Some(file),
            batch: Vec::new(),
            batched: 0,
        })
    }

    /// Writes `chunk` after the bytes before it (once a batch is full).
    pub(crate) async fn write<R: Runtime>(&mut self, chunk: Bytes) -> io::Result<()> {
        self.batched += chunk.len();
        self.batch.push(chunk);
        if self.batched >= WRITE_BATCH {
            self.flush::<R>().await?;
        }
        Ok(())
    }

    /// Writes every byte still gathered.
    pub(crate) async fn flush<R: Runtime>(&mut self) -> io::Result<()> {
        let Some(mut file) = self.file.take() else {
            return Err(io::Error::other("an earlier write to this range failed"));
        };
        let batch = std::mem::take(&mut self.batch);
        self.batched = 0;
        let (file, written) = R::unblock(move || {
            let written = batch.iter().try_for_each(|chunk| file.write_all(chunk));
            (file, written)
        })
        .await?;
        self.file = Some(file);
        written
    }
}
