//! F11: every error a server can produce arrives as its typed variant.

use r2_proto::BucketName;
use r2_proto::error::{AuthError, BucketError, MultipartError, ObjectError, R2Error};
use r2_proto::model::ByteRange;
use r2_proto::ops::{GetObject, HeadObject, ListObjectsV2, ListParts, PutObject};

use super::objects::key;
use super::{Context, Needs, Outcome, Scenario, ScenarioClient, check, fail};

pub(super) fn scenarios<C: ScenarioClient>() -> Vec<Scenario<C>> {
    vec![
        Scenario {
            name: "F11 NoSuchKey and NoSuchBucket",
            needs: Needs::Nothing,
            run: missing,
        },
        Scenario {
            name: "F11 NoSuchUpload",
            needs: Needs::Capability("NoSuchUpload for unknown ids", |c| c.no_such_upload),
            run: no_such_upload,
        },
        Scenario {
            name: "F11 PreconditionFailed on put-if-absent",
            needs: Needs::Nothing,
            run: put_if_absent,
        },
        Scenario {
            name: "F11 NotModified and PreconditionFailed on get",
            needs: Needs::Capability("conditional GET", |c| c.conditional_get),
            run: conditional,
        },
        Scenario {
            name: "F11 InvalidRange",
            needs: Needs::Capability("416 for unsatisfiable ranges", |c| c.invalid_range),
            run: invalid_range,
        },
        Scenario {
            name: "F11 SignatureDoesNotMatch with a wrong secret",
            needs: Needs::Nothing,
            run: wrong_secret,
        },
    ]
}

fn missing<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    match cx
        .client
        .get(GetObject::new(cx.bucket.clone(), key("errors/none")?))
    {
        Err(R2Error::Object(ObjectError::NoSuchKey(details))) => {
            check(details.status == 404, || {
                format!("status {}", details.status)
            })?;
        }
        other => return Err(format!("get of a missing key: {other:?}")),
    }
    match cx
        .client
        .head(HeadObject::new(cx.bucket.clone(), key("errors/none")?))
    {
        Err(R2Error::Object(ObjectError::NoSuchKey(_))) => {}
        other => return Err(format!("head of a missing key: {other:?}")),
    }
    let nowhere = BucketName::new("r2-no-such-bucket-here").map_err(|e| e.to_string())?;
    if cx.target.capabilities.no_such_bucket_on_get {
        match cx.client.get(GetObject::new(nowhere.clone(), key("k")?)) {
            Err(R2Error::Bucket(BucketError::NoSuchBucket(_))) => {}
            other => return Err(format!("get in a missing bucket: {other:?}")),
        }
    } else {
        println!(
            "     (GET in a missing bucket not checked on {}: it answers NoSuchKey)",
            cx.target.name
        );
    }
    match cx.client.list(ListObjectsV2::new(nowhere)) {
        Err(R2Error::Bucket(BucketError::NoSuchBucket(_))) => Ok(()),
        other => Err(format!("list of a missing bucket: {other:?}")),
    }
}

fn no_such_upload<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let list = ListParts::new(
        cx.bucket.clone(),
        key("errors/mp")?,
        "8f1c6a4e-2b7d-4c1a-9e3f-5d6b7a8c9d0e",
    );
    match cx.client.list_parts(list) {
        Err(R2Error::Multipart(MultipartError::NoSuchUpload(details))) => {
            check(details.status == 404, || {
                format!("status {}", details.status)
            })
        }
        other => Err(format!("list_parts of an unknown upload: {other:?}")),
    }
}

fn put_if_absent<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let k = key("errors/exists")?;
    cx.client
        .put(PutObject::new(cx.bucket.clone(), k.clone(), "first").if_none_match_any())
        .map_err(fail("first put-if-absent"))?;
    match cx
        .client
        .put(PutObject::new(cx.bucket.clone(), k.clone(), "second").if_none_match_any())
    {
        Err(R2Error::Object(ObjectError::PreconditionFailed(_))) => {}
        other => return Err(format!("second put-if-absent: {other:?}")),
    }
    let kept = cx
        .client
        .get(GetObject::new(cx.bucket.clone(), k))
        .map_err(fail("get"))?;
    check(&kept.body[..] == b"first", || {
        "the refused put replaced the object".into()
    })
}

fn conditional<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let k = key("errors/conditional")?;
    let stored = cx
        .client
        .put(PutObject::new(cx.bucket.clone(), k.clone(), "v1"))
        .map_err(fail("put"))?;
    match cx
        .client
        .get(GetObject::new(cx.bucket.clone(), k.clone()).if_none_match(stored.etag))
    {
        Err(R2Error::Object(ObjectError::NotModified(details))) => {
            check(details.status == 304, || {
                format!("status {}", details.status)
            })?;
        }
        other => return Err(format!("if-none-match: {other:?}")),
    }
    let stale =
        GetObject::new(cx.bucket.clone(), k).if_match("\"ffffffffffffffffffffffffffffffff\"");
    match cx.client.get_stream(stale) {
        Err(R2Error::Object(ObjectError::PreconditionFailed(_))) => Ok(()),
        other => Err(format!("streamed if-match: {:?}", other.map(|(m, _)| m))),
    }
}

fn invalid_range<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let k = key("errors/short")?;
    cx.client
        .put(PutObject::new(cx.bucket.clone(), k.clone(), "0123456789"))
        .map_err(fail("put"))?;
    let range = ByteRange::inclusive(100, 200).map_err(|e| e.to_string())?;
    match cx
        .client
        .get(GetObject::new(cx.bucket.clone(), k).range(range))
    {
        Err(R2Error::Object(ObjectError::InvalidRange(details))) => {
            check(details.status == 416, || {
                format!("status {}", details.status)
            })
        }
        other => Err(format!("range past the end: {other:?}")),
    }
}

fn wrong_secret<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let config = cx
        .target
        .config_with_secret("not-the-secret-at-all")
        .map_err(|e| e.to_string())?;
    let intruder = cx.target.connect::<C>(config).map_err(|e| e.to_string())?;
    match intruder.get(GetObject::new(cx.bucket.clone(), key("errors/any")?)) {
        Err(R2Error::Auth(AuthError::SignatureDoesNotMatch(details))) => {
            check(details.status == 403, || {
                format!("status {}", details.status)
            })
        }
        other => Err(format!("request signed with a wrong secret: {other:?}")),
    }
}
