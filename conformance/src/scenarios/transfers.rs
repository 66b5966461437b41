//! The high-level helpers: `upload` from bytes, a file and a resumed file;
//! `download` to a file and to an ordered writer, with parallel ranges.

use r2_proto::ObjectKey;
use r2_proto::ops::{CreateMultipartUpload, GetObject, HeadObject, UploadPart};
use r2_proto::transfer::ResumeState;

use super::objects::key;
use super::{
    Context, Needs, Outcome, Scenario, ScenarioClient, Tuning, check, check_reports, fail,
};
use r2_proto::sim::noise;

pub(super) fn scenarios<C: ScenarioClient>() -> Vec<Scenario<C>> {
    vec![
        Scenario {
            name: "upload helper from bytes and file",
            needs: Needs::Nothing,
            run: uploads,
        },
        Scenario {
            name: "upload helper resumes a kept upload",
            needs: Needs::Capability("ETags in ListParts", |c| c.list_parts_etags),
            run: resume,
        },
        Scenario {
            name: "download helper to file and writer",
            needs: Needs::Nothing,
            run: downloads,
        },
    ]
}

const TUNING: Tuning = Tuning {
    part_size: 5 << 20,
    concurrency: 4,
};

fn uploads<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let small = noise(4096, 21);
    let out = cx
        .client
        .upload_bytes(cx.bucket.clone(), key("up/small")?, small.clone(), TUNING)
        .map_err(fail("upload small"))?;
    check(out.parts == 1 && out.upload_id.is_none(), || {
        format!("small upload {out:?}")
    })?;
    check_reports(&cx.client.progress().take(), 4096, 0)?;
    let large = noise((17 << 20) + 3, 22);
    let out = cx
        .client
        .upload_bytes(cx.bucket.clone(), key("up/large")?, large.clone(), TUNING)
        .map_err(fail("upload large"))?;
    check(
        out.parts == 4 && out.etag.as_str().ends_with("-4\""),
        || format!("large upload {out:?}"),
    )?;
    check_reports(&cx.client.progress().take(), large.len() as u64, 0)?;
    for name in ["up/small", "up/large"] {
        let head = cx
            .client
            .head(HeadObject::new(&cx.bucket, key(name)?))
            .map_err(fail("head"))?;
        check(
            head.content_type.as_deref() == Some("application/x-r2-upload")
                && head.metadata.get("origin") == Some("upload helper"),
            || format!("{name} stored with {head:?}"),
        )?;
    }
    let got = cx
        .client
        .get(GetObject::new(cx.bucket.clone(), key("up/large")?))
        .map_err(fail("get"))?;
    check(got.body == large, || "uploaded bytes differ".into())?;
    let path = cx.scratch.join("upload-source.bin");
    std::fs::write(&path, &large).map_err(|e| e.to_string())?;
    let out = cx
        .client
        .upload_file(cx.bucket.clone(), key("up/from-file")?, &path, TUNING, None)
        .map_err(fail("upload file"))?;
    check(out.size == large.len() as u64 && out.parts == 4, || {
        format!("file upload {out:?}")
    })?;
    let got = cx
        .client
        .get(GetObject::new(cx.bucket.clone(), key("up/from-file")?))
        .map_err(fail("get"))?;
    check(got.body == large, || "file upload bytes differ".into())
}

fn resume<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let data = noise((12 << 20) + 77, 23);
    let path = cx.scratch.join("resume-source.bin");
    std::fs::write(&path, &data).map_err(|e| e.to_string())?;
    let k: ObjectKey = key("up/resumed")?;
    let created = cx
        .client
        .create_multipart(CreateMultipartUpload::new(cx.bucket.clone(), k.clone()))
        .map_err(fail("create"))?;
    cx.client
        .upload_part(UploadPart::new(
            cx.bucket.clone(),
            k.clone(),
            created.upload_id.clone(),
            2,
            data.slice(5 << 20..10 << 20),
        ))
        .map_err(fail("upload part 2"))?;
    cx.client.progress().take();
    let state = ResumeState {
        bucket: cx.bucket.as_str().to_owned(),
        key: k.as_str().to_owned(),
        upload_id: created.upload_id.clone(),
        part_size: 5 << 20,
        total: data.len() as u64,
    };
    let out = cx
        .client
        .upload_file(cx.bucket.clone(), k.clone(), &path, TUNING, Some(state))
        .map_err(fail("resumed upload"))?;
    check(
        out.upload_id.as_deref() == Some(created.upload_id.as_str()),
        || format!("resumed under another upload id: {out:?}"),
    )?;
    check(
        out.parts == 3 && out.etag.as_str().ends_with("-3\""),
        || format!("resumed {out:?}"),
    )?;
    // Part 2 was on the server: the progress starts there.
    check_reports(&cx.client.progress().take(), data.len() as u64, 5 << 20)?;
    let got = cx
        .client
        .get(GetObject::new(cx.bucket.clone(), k))
        .map_err(fail("get"))?;
    check(got.body == data, || "resumed object differs".into())
}

fn downloads<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let data = noise((11 << 20) + 5, 24);
    let k = key("down/object.bin")?;
    cx.client
        .upload_bytes(cx.bucket.clone(), k.clone(), data.clone(), TUNING)
        .map_err(fail("upload"))?;
    let tuning = Tuning {
        part_size: 1 << 20,
        concurrency: 4,
    };
    let path = cx.scratch.join("downloaded.bin");
    cx.client.progress().take();
    let out = cx
        .client
        .download_file(cx.bucket.clone(), k.clone(), &path, tuning)
        .map_err(fail("download to file"))?;
    check(out.size == data.len() as u64 && out.requests == 12, || {
        format!("download {out:?}")
    })?;
    check_reports(&cx.client.progress().take(), data.len() as u64, 0)?;
    let written = std::fs::read(&path).map_err(|e| e.to_string())?;
    check(written == data, || "downloaded file differs".into())?;
    let (out, bytes) = cx
        .client
        .download_ordered(cx.bucket.clone(), k, tuning)
        .map_err(fail("download to writer"))?;
    check(out.size == data.len() as u64, || {
        format!("ordered download {out:?}")
    })?;
    check(bytes == data, || "ordered download differs".into())?;
    check_reports(&cx.client.progress().take(), data.len() as u64, 0)?;
    let missing = cx.scratch.join("never.bin");
    let failed = cx
        .client
        .download_file(cx.bucket.clone(), key("down/missing")?, &missing, tuning);
    check(failed.is_err() && !missing.exists(), || {
        format!(
            "download of a missing key: {failed:?}, file left: {}",
            missing.exists()
        )
    })
}
