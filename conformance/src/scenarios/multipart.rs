//! F8: the multipart calls one by one, ListParts, and abort.

use r2_proto::error::{MultipartError, R2Error};
use r2_proto::ops::{
    AbortMultipartUpload, CompleteMultipartUpload, CompletedPart, CreateMultipartUpload, GetObject,
    ListParts, UploadPart,
};

use super::objects::{key, md5_hex};
use super::{Context, Needs, Outcome, Scenario, ScenarioClient, check, fail};
use r2_proto::sim::noise;

pub(super) fn scenarios<C: ScenarioClient>() -> Vec<Scenario<C>> {
    vec![
        Scenario {
            name: "F8 multipart lifecycle",
            needs: Needs::Nothing,
            run: lifecycle,
        },
        Scenario {
            name: "F8 ListParts",
            needs: Needs::Capability("ETags in ListParts", |c| c.list_parts_etags),
            run: list_parts,
        },
        Scenario {
            name: "F8 abort, then NoSuchUpload",
            needs: Needs::Capability("NoSuchUpload after abort", |c| c.no_such_upload_after_abort),
            run: abort,
        },
    ]
}

fn lifecycle<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let k = key("f8/assembled.bin")?;
    let created = cx
        .client
        .create_multipart(
            CreateMultipartUpload::new(cx.bucket.clone(), k.clone())
                .content_type("application/octet-stream"),
        )
        .map_err(fail("create"))?;
    let id = created.upload_id;
    let data = noise((5 << 20) + 1234, 8);
    let (first, second) = (data.slice(..5 << 20), data.slice(5 << 20..));
    let mut parts = Vec::new();
    // Upload the second part first: ListParts and Complete must not care.
    for (number, body) in [(2u32, second.clone()), (1, first.clone())] {
        let uploaded = cx
            .client
            .upload_part(UploadPart::new(
                cx.bucket.clone(),
                k.clone(),
                id.clone(),
                number,
                body.clone(),
            ))
            .map_err(fail("upload_part"))?;
        check(
            uploaded.etag.md5_hex() == Some(md5_hex(&body).as_str()),
            || format!("part {number} ETag {}", uploaded.etag),
        )?;
        parts.push(CompletedPart::new(number, uploaded.etag));
    }
    parts.sort_by_key(|p| p.part_number);
    let done = cx
        .client
        .complete_multipart(CompleteMultipartUpload::new(
            cx.bucket.clone(),
            k.clone(),
            id,
            parts,
        ))
        .map_err(fail("complete"))?;
    check(done.etag.as_str().ends_with("-2\""), || {
        format!("multipart ETag {}", done.etag)
    })?;
    let got = cx
        .client
        .get(GetObject::new(cx.bucket.clone(), k))
        .map_err(fail("get"))?;
    check(got.body == data, || "assembled object differs".into())
}

fn list_parts<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let k = key("f8/listed.bin")?;
    let created = cx
        .client
        .create_multipart(CreateMultipartUpload::new(cx.bucket.clone(), k.clone()))
        .map_err(fail("create"))?;
    let id = created.upload_id;
    let mut etags = Vec::new();
    for (number, size) in [(3u32, 100usize), (1, 5 << 20), (2, 5 << 20)] {
        let body = noise(size, u64::from(number));
        let part = UploadPart::new(cx.bucket.clone(), k.clone(), id.clone(), number, body);
        let uploaded = cx.client.upload_part(part).map_err(fail("upload_part"))?;
        etags.push((number, uploaded.etag));
    }
    etags.sort_by_key(|(n, _)| *n);
    let listed = cx
        .client
        .list_parts(ListParts::new(cx.bucket.clone(), k.clone(), id.clone()).max_parts(2))
        .map_err(fail("list_parts page 1"))?;
    let first: Vec<(u32, u64)> = listed
        .parts
        .iter()
        .map(|p| (p.part_number, p.size))
        .collect();
    check(
        first == [(1, 5 << 20), (2, 5 << 20)] && listed.is_truncated,
        || format!("first page {first:?}, truncated {}", listed.is_truncated),
    )?;
    let marker = listed.next_part_number_marker.ok_or("no next marker")?;
    let rest = cx
        .client
        .list_parts(
            ListParts::new(cx.bucket.clone(), k.clone(), id.clone()).part_number_marker(marker),
        )
        .map_err(fail("list_parts page 2"))?;
    let all: Vec<(u32, &str)> = listed
        .parts
        .iter()
        .chain(&rest.parts)
        .map(|p| (p.part_number, p.etag.as_str()))
        .collect();
    let expected: Vec<(u32, &str)> = etags.iter().map(|(n, e)| (*n, e.as_str())).collect();
    check(all == expected, || {
        format!("listed {all:?}, uploaded {expected:?}")
    })?;
    cx.client
        .abort_multipart(AbortMultipartUpload::new(cx.bucket.clone(), k, id))
        .map_err(fail("abort"))
}

fn abort<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let k = key("f8/aborted.bin")?;
    let created = cx
        .client
        .create_multipart(CreateMultipartUpload::new(cx.bucket.clone(), k.clone()))
        .map_err(fail("create"))?;
    cx.client
        .upload_part(UploadPart::new(
            cx.bucket.clone(),
            k.clone(),
            created.upload_id.clone(),
            1,
            noise(1000, 1),
        ))
        .map_err(fail("upload_part"))?;
    cx.client
        .abort_multipart(AbortMultipartUpload::new(
            cx.bucket.clone(),
            k.clone(),
            created.upload_id.clone(),
        ))
        .map_err(fail("abort"))?;
    match cx
        .client
        .list_parts(ListParts::new(cx.bucket.clone(), k, created.upload_id))
    {
        Err(R2Error::Multipart(MultipartError::NoSuchUpload(_))) => Ok(()),
        other => Err(format!("list_parts after abort: {other:?}")),
    }
}
