//! A minimal in-memory S3 for benchmarks, run in its own process: it
//! answers PutObject, the multipart calls, GetObject (whole or ranged),
//! HeadObject and DeleteObject from memory, with no disk, no signature
//! check and no MD5, so that the client is what is measured. Correctness
//! stays with the real servers of the conformance suite.
//!
//! Objects stored with the metadata `x-amz-meta-sink: pattern` keep only
//! their length: their bytes are the pattern of [`fill_pattern`], made again on GET, so
//! multi-GiB transfers need no memory here. Checksums sent with a PUT
//! (`x-amz-checksum-*`) are kept and returned when the GET asks with
//! `x-amz-checksum-mode: ENABLED`, as S3 does. ETags are `"sink-…"`, not
//! MD5s (computing those would make this server the bottleneck).

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

/// The period of the pattern objects' bytes.
const PATTERN_PERIOD: usize = 1 << 20;

fn pattern_block() -> &'static [u8] {
    static BLOCK: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BLOCK.get_or_init(|| {
        (0..PATTERN_PERIOD as u64)
            .map(|i| (i.wrapping_mul(0x9e37_79b9) >> 13) as u8)
            .collect()
    })
}

/// Fills `buffer` with the pattern's bytes from `offset` on (the same
/// function the bench uses to generate what it uploads).
pub fn fill_pattern(buffer: &mut [u8], offset: u64) {
    let block = pattern_block();
    let mut at = usize::try_from(offset % PATTERN_PERIOD as u64).unwrap_or(0);
    let mut filled = 0;
    while filled < buffer.len() {
        let n = (PATTERN_PERIOD - at).min(buffer.len() - filled);
        if let (Some(target), Some(source)) =
            (buffer.get_mut(filled..filled + n), block.get(at..at + n))
        {
            target.copy_from_slice(source);
        }
        filled += n;
        at = 0;
    }
}

#[derive(Clone)]
enum Data {
    /// Stored bytes, in the pieces they arrived in.
    Pieces(Vec<Bytes>, u64),
    /// A pattern object of this length.
    Pattern(u64),
}

impl Data {
    fn len(&self) -> u64 {
        match self {
            Self::Pieces(_, len) | Self::Pattern(len) => *len,
        }
    }
}

#[derive(Clone)]
struct Object {
    data: Data,
    etag: String,
    checksums: Vec<(String, String)>,
}

#[derive(Default)]
struct Store {
    objects: HashMap<String, Object>,
    uploads: HashMap<String, (String, HashMap<u32, Data>)>,
    /// Buffers of replaced and deleted objects, for the next bodies: fresh
    /// memory for every 1 GiB upload cost the sink page faults enough to
    /// make its wall times swing by seconds.
    spare: Vec<Vec<u8>>,
}

/// The most spare buffers kept (1 GiB of 8 MiB pieces, and some).
const MOST_SPARE: usize = 160;

impl Store {
    fn insert(&mut self, key: String, object: Object) {
        if let Some(old) = self.objects.insert(key, object) {
            self.recycle(old.data);
        }
    }

    fn recycle(&mut self, data: Data) {
        let Data::Pieces(pieces, _) = data else {
            return;
        };
        for piece in pieces {
            if self.spare.len() >= MOST_SPARE {
                return;
            }
            if let Ok(buffer) = piece.try_into_mut() {
                let mut buffer = Vec::from(buffer);
                buffer.clear();
                self.spare.push(buffer);
            }
        }
    }

    fn buffer(&mut self, capacity: usize) -> Vec<u8> {
        match self.spare.pop() {
            Some(mut buffer) => {
                buffer.reserve(capacity);
                buffer
            }
            None => Vec::with_capacity(capacity),
        }
    }
}

/// Serves on `listener` until the process ends.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    let store = Arc::new(Mutex::new(Store::default()));
    let counter = Arc::new(AtomicU64::new(0));
    for connection in listener.incoming() {
        let connection = connection?;
        let (store, counter) = (Arc::clone(&store), Arc::clone(&counter));
        std::thread::spawn(move || {
            let _closed = connection_loop(connection, &store, &counter);
        });
    }
    Ok(())
}

struct Head {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn query(&self, name: &str) -> Option<&str> {
        self.query.split('&').find_map(|pair| {
            let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
            (n == name).then_some(v)
        })
    }
}

fn read_head(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Head>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or("").to_owned();
    let target = words.next().unwrap_or("/").to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    Ok(Some(Head {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
    }))
}

/// Reads the body: kept as pieces, or only counted for a pattern object.
fn read_body(
    reader: &mut BufReader<TcpStream>,
    length: u64,
    keep: bool,
    store: &Mutex<Store>,
) -> io::Result<Data> {
    let mut left = length;
    let mut pieces = Vec::new();
    let mut scratch = Vec::new();
    while left > 0 {
        let most: u64 = if keep { 8 << 20 } else { 1 << 20 };
        let want = usize::try_from(left.min(most)).unwrap_or(1 << 20);
        if keep {
            let mut piece = store
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .buffer(want);
            let read = (&mut *reader).take(want as u64).read_to_end(&mut piece)?;
            if read < want {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            pieces.push(Bytes::from(piece));
        } else {
            if scratch.len() < want {
                scratch.resize(want, 0);
            }
            reader.read_exact(scratch.get_mut(..want).unwrap_or_default())?;
        }
        left -= want as u64;
    }
    Ok(if keep {
        Data::Pieces(pieces, length)
    } else {
        Data::Pattern(length)
    })
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} X\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !headers.iter().any(|(n, _)| n == "content-length") {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut response = head.into_bytes();
    response.extend_from_slice(body);
    stream.write_all(&response)
}

fn connection_loop(stream: TcpStream, store: &Mutex<Store>, counter: &AtomicU64) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::with_capacity(1 << 20, stream);
    while let Some(head) = read_head(&mut reader)? {
        let length: u64 = head
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let pattern = head.header("x-amz-meta-sink") == Some("pattern");
        let key = head.path.clone();
        let next = counter.fetch_add(1, Ordering::Relaxed);
        let lock = || store.lock().unwrap_or_else(PoisonError::into_inner);
        match head.method.as_str() {
            "PUT" => {
                let data = read_body(&mut reader, length, !pattern, store)?;
                if let (Some(number), Some(upload)) =
                    (head.query("partNumber"), head.query("uploadId"))
                {
                    let number: u32 = number.parse().unwrap_or(0);
                    let mut store = lock();
                    if let Some((_, parts)) = store.uploads.get_mut(upload)
                        && let Some(old) = parts.insert(number, data)
                    {
                        store.recycle(old);
                    }
                    drop(store);
                    let mut headers = vec![("etag".to_owned(), format!("\"sink-{next:x}\""))];
                    headers.extend(checksums(&head));
                    respond(&mut writer, 200, &headers, b"")?;
                } else {
                    let etag = format!("\"sink-{next:x}\"");
                    let object = Object {
                        data,
                        etag: etag.clone(),
                        checksums: checksums(&head),
                    };
                    lock().insert(key, object);
                    respond(&mut writer, 200, &[("etag".to_owned(), etag)], b"")?;
                }
            }
            "POST" if head.query("uploads").is_some() => {
                let id = format!("upload-{next}");
                lock().uploads.insert(id.clone(), (key, HashMap::new()));
                let body = format!(
                    "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Key>k</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>"
                );
                respond(&mut writer, 200, &[], body.as_bytes())?;
            }
            "POST" if head.query("uploadId").is_some() => {
                let _listing = read_body(&mut reader, length, true, store)?;
                let id = head.query("uploadId").unwrap_or("").to_owned();
                let mut store = lock();
                let Some((key, parts)) = store.uploads.remove(&id) else {
                    drop(store);
                    respond(
                        &mut writer,
                        404,
                        &[],
                        b"<Error><Code>NoSuchUpload</Code></Error>",
                    )?;
                    continue;
                };
                let mut numbers: Vec<u32> = parts.keys().copied().collect();
                numbers.sort_unstable();
                let count = numbers.len();
                let mut pattern_len = 0u64;
                let mut pieces = Vec::new();
                let mut total = 0u64;
                let mut all_pattern = true;
                for number in numbers {
                    match parts.get(&number) {
                        Some(Data::Pieces(bytes, len)) => {
                            all_pattern = false;
                            pieces.extend(bytes.iter().cloned());
                            total += len;
                        }
                        Some(Data::Pattern(len)) => pattern_len += len,
                        None => {}
                    }
                }
                let data = if all_pattern {
                    Data::Pattern(pattern_len)
                } else {
                    Data::Pieces(pieces, total)
                };
                let etag = format!("\"sink-{next:x}-{count}\"");
                store.insert(
                    key,
                    Object {
                        data,
                        etag: etag.clone(),
                        checksums: Vec::new(),
                    },
                );
                drop(store);
                let body = format!(
                    "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Key>k</Key><ETag>{}</ETag></CompleteMultipartUploadResult>",
                    etag.replace('"', "&quot;")
                );
                respond(&mut writer, 200, &[], body.as_bytes())?;
            }
            "DELETE" => {
                let mut store = lock();
                if let Some(id) = head.query("uploadId") {
                    if let Some((_, parts)) = store.uploads.remove(id) {
                        for (_, data) in parts {
                            store.recycle(data);
                        }
                    }
                } else if let Some(old) = store.objects.remove(&key) {
                    store.recycle(old.data);
                }
                drop(store);
                respond(&mut writer, 204, &[], b"")?;
            }
            "GET" | "HEAD" => {
                let object = lock().objects.get(&key).cloned();
                let Some(object) = object else {
                    respond(
                        &mut writer,
                        404,
                        &[],
                        b"<Error><Code>NoSuchKey</Code></Error>",
                    )?;
                    continue;
                };
                get(&mut writer, &head, &object)?;
            }
            _ => respond(
                &mut writer,
                400,
                &[],
                b"<Error><Code>InvalidRequest</Code></Error>",
            )?,
        }
    }
    Ok(())
}

fn checksums(head: &Head) -> Vec<(String, String)> {
    head.headers
        .iter()
        .filter(|(n, _)| n.starts_with("x-amz-checksum-") && n != "x-amz-checksum-algorithm")
        .cloned()
        .collect()
}

fn get(writer: &mut TcpStream, head: &Head, object: &Object) -> io::Result<()> {
    let size = object.data.len();
    let range = head
        .header("range")
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)));
    let mut headers = vec![("etag".to_owned(), object.etag.clone())];
    let (status, start, end) = match range {
        Some((first, _)) if first >= size => {
            headers.push(("content-range".to_owned(), format!("bytes */{size}")));
            return respond(
                writer,
                416,
                &headers,
                b"<Error><Code>InvalidRange</Code></Error>",
            );
        }
        Some((first, last)) => {
            let end = (last + 1).min(size);
            headers.push((
                "content-range".to_owned(),
                format!("bytes {first}-{}/{size}", end - 1),
            ));
            (206, first, end)
        }
        None => {
            if head.header("x-amz-checksum-mode") == Some("ENABLED") {
                headers.extend(object.checksums.iter().cloned());
            }
            (200, 0, size)
        }
    };
    headers.push(("content-length".to_owned(), (end - start).to_string()));
    respond(writer, status, &headers, b"")?;
    if head.method == "HEAD" {
        return Ok(());
    }
    match &object.data {
        Data::Pieces(pieces, _) => {
            let mut at = 0u64;
            for piece in pieces {
                let (piece_start, piece_end) = (at, at + piece.len() as u64);
                at = piece_end;
                if piece_end <= start || piece_start >= end {
                    continue;
                }
                let from = usize::try_from(start.saturating_sub(piece_start)).unwrap_or(0);
                let to = usize::try_from(end.min(piece_end) - piece_start).unwrap_or(0);
                writer.write_all(piece.get(from..to).unwrap_or_default())?;
            }
        }
        Data::Pattern(_) => {
            let mut buffer = vec![0u8; usize::try_from((end - start).min(1 << 20)).unwrap_or(0)];
            let mut at = start;
            while at < end {
                let n = usize::try_from((end - at).min(buffer.len() as u64)).unwrap_or(0);
                let chunk = buffer.get_mut(..n).unwrap_or_default();
                fill_pattern(chunk, at);
                writer.write_all(chunk)?;
                at += n as u64;
            }
        }
    }
    Ok(())
}
