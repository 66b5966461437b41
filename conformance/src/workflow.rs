//! A short workflow whose cassette is kept in the repository
//! (`conformance/cassettes/workflow.json`): recorded once against R2 or
//! the embedded server, replayed in CI by every adapter with no server.
//! Every request it sends is the same on every run (fixed keys, generated
//! bytes), so the cassette matches strictly.

use r2_proto::model::ByteRange;
use r2_proto::ops::{
    CompleteMultipartUpload, CompletedPart, CreateMultipartUpload, DeleteObjects, GetObject,
    HeadObject, ListObjectsV2, PutObject, UploadPart,
};
use r2_proto::{BucketName, ObjectKey};

use crate::scenarios::{ScenarioClient, check};
use r2_proto::sim::noise;

/// Where the workflow's objects live.
const PREFIX: &str = "r2-cassette-workflow/";

fn key(name: &str) -> Result<ObjectKey, String> {
    ObjectKey::new(format!("{PREFIX}{name}")).map_err(|e| e.to_string())
}

/// Put with metadata, head, ranged get, a two-part multipart upload, a
/// listing, a ranged read of the joined object, and clean-up.
pub fn run<C: ScenarioClient>(client: &C, bucket: &BucketName) -> Result<(), String> {
    let err = |step: &'static str| move |e: r2_proto::error::R2Error| format!("{step}: {e}");
    let note = key("note.txt")?;
    client
        .put(
            PutObject::new(
                bucket.clone(),
                note.clone(),
                "recorded once, replayed everywhere",
            )
            .content_type("text/plain")
            .metadata("origin", "cassette"),
        )
        .map_err(err("put"))?;
    let head = client
        .head(HeadObject::new(bucket.clone(), note.clone()))
        .map_err(err("head"))?;
    check(head.content_length == Some(34), || {
        format!("head: {:?} bytes", head.content_length)
    })?;
    let range = ByteRange::inclusive(0, 7).map_err(|e| e.to_string())?;
    let got = client
        .get(GetObject::new(bucket.clone(), note.clone()).range(range))
        .map_err(err("ranged get"))?;
    check(got.body.as_ref() == b"recorded", || {
        format!("ranged get: {:?}", got.body)
    })?;

    let joined = key("joined.bin")?;
    let data = noise(6 << 20, 42);
    let created = client
        .create_multipart(CreateMultipartUpload::new(bucket.clone(), joined.clone()))
        .map_err(err("create"))?;
    let halves = [data.slice(..5 << 20), data.slice(5 << 20..)];
    let mut parts = Vec::new();
    for (number, half) in (1u32..).zip(halves) {
        let uploaded = client
            .upload_part(UploadPart::new(
                bucket.clone(),
                joined.clone(),
                created.upload_id.clone(),
                number,
                half,
            ))
            .map_err(err("upload part"))?;
        parts.push(CompletedPart::new(number, uploaded.etag));
    }
    client
        .complete_multipart(CompleteMultipartUpload::new(
            bucket.clone(),
            joined.clone(),
            created.upload_id,
            parts,
        ))
        .map_err(err("complete"))?;
    let tail = ByteRange::inclusive((6 << 20) - 16, (6 << 20) - 1).map_err(|e| e.to_string())?;
    let end = client
        .get(GetObject::new(bucket.clone(), joined.clone()).range(tail))
        .map_err(err("get the joined tail"))?;
    check(end.body == data.slice((6 << 20) - 16..), || {
        "the joined object's tail differs".into()
    })?;

    let listed = client
        .list(ListObjectsV2::new(bucket.clone()).prefix(PREFIX))
        .map_err(err("list"))?;
    let keys: Vec<&str> = listed.contents.iter().map(|o| o.key.as_str()).collect();
    check(keys == [joined.as_str(), note.as_str()], || {
        format!("listed {keys:?}")
    })?;
    let deleted = client
        .delete_objects(DeleteObjects::new(bucket.clone(), [note, joined]))
        .map_err(err("delete"))?;
    check(deleted.errors.is_empty(), || {
        format!("delete: {:?}", deleted.errors)
    })
}
