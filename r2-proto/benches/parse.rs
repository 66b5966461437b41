//! Response parsing: a 1000-key ListObjectsV2 page (about 235 KB) and a
//! 1000-part ListParts page, into owned typed values, next to a bare
//! quick-xml loop over the same page as the floor to compare with.
//! Run: `cargo bench -p r2-proto --bench parse`.

#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use r2_proto::ops::{DeleteObjects, ListObjectsV2, ListParts, Operation};
use r2_proto::{BucketName, ObjectKey};

/// A realistic R2/S3 listing page: 1000 `Contents` (key, date, quoted ETag
/// as `&quot;`, size, class) and a few common prefixes, URL-encoded keys.
fn listing_body() -> Bytes {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Name>photo-archive</Name><Prefix>photos/2024/</Prefix><MaxKeys>1000</MaxKeys>\
         <EncodingType>url</EncodingType><KeyCount>1000</KeyCount><IsTruncated>true</IsTruncated>\
         <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>",
    );
    for i in 0..1000u32 {
        xml.push_str(&format!(
            "<Contents><Key>photos/2024/{:02}/{:02}/IMG_{i:06}%20trip.jpg</Key>\
             <LastModified>2024-{:02}-{:02}T12:{:02}:{:02}.000Z</LastModified>\
             <ETag>&quot;{:032x}&quot;</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            i % 12 + 1,
            i % 28 + 1,
            i % 12 + 1,
            i % 28 + 1,
            i % 60,
            (i * 7) % 60,
            u128::from(i) * 0x9e37_79b9_7f4a_7c15,
            1_000_000 + u64::from(i) * 4099,
        ));
    }
    for month in 1..=4 {
        xml.push_str(&format!(
            "<CommonPrefixes><Prefix>photos/2024/{month:02}/raw/</Prefix></CommonPrefixes>"
        ));
    }
    xml.push_str("</ListBucketResult>");
    Bytes::from(xml)
}

fn parts_body() -> Bytes {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Bucket>videos</Bucket><Key>big.mp4</Key><UploadId>id</UploadId><PartNumberMarker>0</PartNumberMarker>\
         <NextPartNumberMarker>1000</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>",
    );
    for n in 1..=1000u32 {
        xml.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><LastModified>2024-05-01T12:34:56.000Z</LastModified>\
             <ETag>&quot;{:032x}&quot;</ETag><Size>10485760</Size></Part>",
            u128::from(n) * 0x9e37_79b9_7f4a_7c15
        ));
    }
    xml.push_str("</ListPartsResult>");
    Bytes::from(xml)
}

/// The floor to compare with: a bare quick-xml event loop building owned
/// structs from the same body (key, ETag and date kept as strings, no
/// decoding, no validation). Measured in the same run, it calibrates the
/// figure on a noisy machine.
fn owned_struct_loop(body: &[u8]) -> usize {
    use quick_xml::events::Event;
    #[derive(Default)]
    struct Item {
        key: String,
        etag: String,
        date: String,
        size: u64,
    }
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut items: Vec<Item> = Vec::with_capacity(1000);
    let (mut current, mut field) = (None::<Item>, 0u8);
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(start) => {
                field = match start.name().as_ref() {
                    "Contents" => {
                        current = Some(Item::default());
                        0
                    }
                    "Key" => 1,
                    "ETag" => 2,
                    "Size" => 3,
                    "LastModified" => 4,
                    _ => 0,
                }
            }
            Event::Text(text) => {
                if let Some(item) = current.as_mut() {
                    match field {
                        1 => item.key = text.xml10_content().into_owned(),
                        2 => item.etag.push_str(&text),
                        3 => item.size = text.parse().unwrap_or(0),
                        4 => item.date = text.into_inner().into_owned(),
                        _ => {}
                    }
                }
            }
            Event::GeneralRef(_) => {
                if let (Some(item), 2) = (current.as_mut(), field) {
                    item.etag.push('"');
                }
            }
            Event::End(end) if end.name().as_ref() == "Contents" => items.extend(current.take()),
            _ => {}
        }
    }
    items.len()
}

fn parsing(c: &mut Criterion) {
    let listing = http::Response::builder()
        .status(200)
        .body(listing_body())
        .unwrap();
    let list = ListObjectsV2::new(BucketName::new("photo-archive").unwrap());
    let parsed = list.parse(&listing).unwrap();
    assert_eq!(parsed.contents.len(), 1000);
    assert!(parsed.contents[0].key.ends_with(" trip.jpg"));

    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(listing.body().len() as u64));
    group.bench_function("list_objects_v2_1000_keys", |b| {
        b.iter(|| list.parse(black_box(&listing)).unwrap())
    });
    assert_eq!(owned_struct_loop(listing.body()), 1000);
    group.bench_function("baseline_quick_xml_owned_structs", |b| {
        b.iter(|| owned_struct_loop(black_box(listing.body())))
    });

    let parts = http::Response::builder()
        .status(200)
        .body(parts_body())
        .unwrap();
    let list_parts = ListParts::new(
        BucketName::new("videos").unwrap(),
        ObjectKey::new("big.mp4").unwrap(),
        "id",
    );
    assert_eq!(list_parts.parse(&parts).unwrap().parts.len(), 1000);
    group.throughput(Throughput::Bytes(parts.body().len() as u64));
    group.bench_function("list_parts_1000_parts", |b| {
        b.iter(|| list_parts.parse(black_box(&parts)).unwrap())
    });

    // The other direction: a 1000-key DeleteObjects built and serialized
    // (XML escaping, Content-MD5 of the body).
    let keys: Vec<ObjectKey> = (0..1000)
        .map(|i| ObjectKey::new(format!("photos/2024/trip & <friends> {i:04}.jpg")).unwrap())
        .collect();
    let endpoint = r2_proto::Endpoint::parse("https://example.test").unwrap();
    let bucket = BucketName::new("photo-archive").unwrap();
    group.throughput(Throughput::Elements(1000));
    group.bench_function("delete_objects_1000_keys_built", |b| {
        b.iter(|| {
            DeleteObjects::new(bucket.clone(), black_box(keys.clone()))
                .to_request(&endpoint)
                .unwrap()
        })
    });
    group.finish();
    println!("listing body: {} bytes", listing.body().len());
}

criterion_group!(benches, parsing);
criterion_main!(benches);
