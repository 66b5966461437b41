//! F1–F7, F9, F10: single-object operations, listing, presigned URLs and
//! bucket lifecycle.

use std::time::Duration;

use bytes::Bytes;
use md5::{Digest, Md5};
use r2_proto::ObjectKey;
use r2_proto::error::{ObjectError, R2Error};
use r2_proto::model::ByteRange;
use r2_proto::ops::{
    CopyObject, CopySource, DeleteObject, DeleteObjects, GetBucketLifecycleConfiguration,
    GetObject, HeadObject, LifecycleExpiration, ListEntry, ListObjectsV2, ObjectExists, PutObject,
};

use super::{Context, Needs, Outcome, Scenario, ScenarioClient, check, fail, put_lifecycle};
use crate::plain_http;
use r2_proto::sim::noise;

pub(super) fn scenarios<C: ScenarioClient>() -> Vec<Scenario<C>> {
    vec![
        Scenario {
            name: "F1 put bytes with attributes",
            needs: Needs::Nothing,
            run: put_bytes,
        },
        Scenario {
            name: "F1 put stream",
            needs: Needs::Nothing,
            run: put_stream,
        },
        Scenario {
            name: "F2 get full, ranges and stream",
            needs: Needs::Nothing,
            run: get_variants,
        },
        Scenario {
            name: "F3 conditional get",
            needs: Needs::Capability("conditional GET", |c| c.conditional_get),
            run: conditional_get,
        },
        Scenario {
            name: "F4 delete and batch delete",
            needs: Needs::Nothing,
            run: deletes,
        },
        Scenario {
            name: "F5 head",
            needs: Needs::Nothing,
            run: head,
        },
        Scenario {
            name: "F6 copy",
            needs: Needs::Nothing,
            run: copy,
        },
        Scenario {
            name: "F7 list with pagination and delimiters",
            needs: Needs::Nothing,
            run: list,
        },
        Scenario {
            name: "F9 presigned GET and PUT over plain HTTP",
            needs: Needs::Capability("presigned URLs over plain HTTP", |c| {
                c.presign && c.plain_http_endpoint
            }),
            run: presigned,
        },
        Scenario {
            name: "F10 bucket lifecycle rules",
            needs: Needs::Capability("lifecycle rules", |c| c.lifecycle),
            run: lifecycle,
        },
    ]
}

pub(super) fn key(name: &str) -> Result<ObjectKey, String> {
    ObjectKey::new(name).map_err(|e| e.to_string())
}

pub(super) fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn put_bytes<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let k = key("f1/hello.txt")?;
    let body = Bytes::from_static(b"hello, r2");
    let put = PutObject::new(cx.bucket.clone(), k.clone(), body.clone())
        .content_type("text/plain; charset=utf-8")
        .cache_control("max-age=60")
        .metadata("colour", "blue");
    let stored = cx.client.put(put).map_err(fail("put"))?;
    check(
        stored.etag.md5_hex() == Some(md5_hex(&body).as_str()),
        || format!("ETag {} is not the body's MD5", stored.etag),
    )?;
    let got = cx
        .client
        .get(GetObject::new(cx.bucket.clone(), k))
        .map_err(fail("get"))?;
    check(got.body == body, || format!("body {:?}", got.body))?;
    check(
        got.metadata.content_type.as_deref() == Some("text/plain; charset=utf-8"),
        || format!("content type {:?}", got.metadata.content_type),
    )?;
    check(
        got.metadata.cache_control.as_deref() == Some("max-age=60"),
        || format!("cache control {:?}", got.metadata.cache_control),
    )?;
    check(got.metadata.metadata.get("colour") == Some("blue"), || {
        format!("metadata {:?}", got.metadata.metadata)
    })
}

fn put_stream<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    for (name, size) in [
        ("f1/stream-small", 300_000usize),
        ("f1/stream-multipart", 12 << 20),
    ] {
        let data = noise(size, 11);
        let k = key(name)?;
        let stored = cx
            .client
            .put_stream(cx.bucket.clone(), k.clone(), data.clone(), 64 << 10)
            .map_err(fail("put_stream"))?;
        check(stored.size == size as u64, || {
            format!("stored {} of {size}", stored.size)
        })?;
        let expected_parts = if size > (8 << 20) { 3 } else { 1 };
        check(stored.parts == expected_parts, || {
            format!("{name}: {} parts, expected {expected_parts}", stored.parts)
        })?;
        let got = cx
            .client
            .get(GetObject::new(cx.bucket.clone(), k))
            .map_err(fail("get"))?;
        check(got.body == data, || format!("{name}: stored bytes differ"))?;
    }
    Ok(())
}

fn get_variants<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let data = noise(1 << 20, 2);
    let k = key("f2/object.bin")?;
    cx.client
        .put(PutObject::new(cx.bucket.clone(), k.clone(), data.clone()))
        .map_err(fail("put"))?;
    let get = || GetObject::new(cx.bucket.clone(), k.clone());
    let range = ByteRange::inclusive(100, 199).map_err(|e| e.to_string())?;
    let ranged = cx
        .client
        .get(get().range(range))
        .map_err(fail("ranged get"))?;
    check(ranged.body == data.slice(100..200), || {
        "range 100-199 differs".into()
    })?;
    let content_range = ranged.metadata.content_range;
    check(
        content_range.map(|r| (r.first, r.last, r.total)) == Some((100, 199, Some(1 << 20))),
        || format!("content range {content_range:?}"),
    )?;
    let suffix = ByteRange::suffix(10).map_err(|e| e.to_string())?;
    let tail = cx
        .client
        .get(get().range(suffix))
        .map_err(fail("suffix get"))?;
    check(tail.body == data.slice(data.len() - 10..), || {
        "suffix range differs".into()
    })?;
    let (metadata, streamed) = cx.client.get_stream(get()).map_err(fail("get_stream"))?;
    check(streamed == data, || "streamed body differs".into())?;
    check(metadata.content_length == Some(1 << 20), || {
        format!("streamed content length {:?}", metadata.content_length)
    })
}

fn conditional_get<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let k = key("f3/conditional")?;
    let stored = cx
        .client
        .put(PutObject::new(cx.bucket.clone(), k.clone(), "version one"))
        .map_err(fail("put"))?;
    let get = || GetObject::new(cx.bucket.clone(), k.clone());
    let same = cx
        .client
        .get(get().if_match(stored.etag.clone()))
        .map_err(fail("get if-match current"))?;
    check(&same.body[..] == b"version one", || "if-match body".into())?;
    match cx.client.get(get().if_none_match(stored.etag.clone())) {
        Err(R2Error::Object(ObjectError::NotModified(_))) => {}
        other => return Err(format!("if-none-match current: {other:?}")),
    }
    match cx
        .client
        .get(get().if_match("\"00000000000000000000000000000000\""))
    {
        Err(R2Error::Object(ObjectError::PreconditionFailed(_))) => Ok(()),
        other => Err(format!("if-match stale: {other:?}")),
    }
}

fn deletes<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let names = ["f4/a", "f4/b", "f4/c"];
    for name in names {
        cx.client
            .put(PutObject::new(
                cx.bucket.clone(),
                key(name)?,
                name.as_bytes().to_vec(),
            ))
            .map_err(fail("put"))?;
    }
    cx.client
        .delete(DeleteObject::new(cx.bucket.clone(), key("f4/a")?))
        .map_err(fail("delete"))?;
    cx.client
        .delete(DeleteObject::new(
            cx.bucket.clone(),
            key("f4/never-existed")?,
        ))
        .map_err(fail("delete of a missing key"))?;
    let batch = DeleteObjects::new(
        cx.bucket.clone(),
        [key("f4/b")?, key("f4/c")?, key("f4/missing")?],
    );
    let deleted = cx
        .client
        .delete_objects(batch)
        .map_err(fail("delete_objects"))?;
    check(deleted.errors.is_empty(), || {
        format!("errors {:?}", deleted.errors)
    })?;
    let mut keys: Vec<&str> = deleted.deleted.iter().map(|d| d.key.as_str()).collect();
    keys.sort_unstable();
    check(keys == ["f4/b", "f4/c", "f4/missing"], || {
        format!("deleted {keys:?}")
    })?;
    for name in names {
        match cx
            .client
            .head(HeadObject::new(cx.bucket.clone(), key(name)?))
        {
            Err(R2Error::Object(ObjectError::NoSuchKey(_))) => {}
            other => return Err(format!("head {name} after delete: {other:?}")),
        }
    }
    Ok(())
}

fn head<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let k = key("f5/head.json")?;
    let body = br#"{"ok":true}"#.to_vec();
    let stored = cx
        .client
        .put(
            PutObject::new(cx.bucket.clone(), k.clone(), body.clone())
                .content_type("application/json")
                .metadata("owner", "r2-tests"),
        )
        .map_err(fail("put"))?;
    let head = cx
        .client
        .head(HeadObject::new(cx.bucket.clone(), k))
        .map_err(fail("head"))?;
    check(head.content_length == Some(body.len() as u64), || {
        format!("length {:?}", head.content_length)
    })?;
    check(head.etag.as_ref() == Some(&stored.etag), || {
        format!("etag {:?}", head.etag)
    })?;
    check(
        head.content_type.as_deref() == Some("application/json"),
        || format!("type {:?}", head.content_type),
    )?;
    check(head.metadata.get("owner") == Some("r2-tests"), || {
        format!("metadata {:?}", head.metadata)
    })?;
    check(head.last_modified.is_some(), || "no Last-Modified".into())?;
    let exists = |name| {
        let exists = ObjectExists::new(cx.bucket.clone(), key(name)?);
        cx.client.exists(exists).map_err(fail("exists"))
    };
    check(exists("f5/head.json")?, || {
        "exists: false for a stored key".into()
    })?;
    check(!exists("f5/none")?, || {
        "exists: true for a missing key".into()
    })
}

fn copy<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let source = key("f6/source")?;
    let target = key("f6/target")?;
    let data = noise(70_000, 6);
    cx.client
        .put(
            PutObject::new(cx.bucket.clone(), source.clone(), data.clone())
                .content_type("application/x-test")
                .metadata("kept", "yes"),
        )
        .map_err(fail("put"))?;
    let copied = cx
        .client
        .copy(CopyObject::new(
            CopySource::new(cx.bucket.clone(), source),
            cx.bucket.clone(),
            target.clone(),
        ))
        .map_err(fail("copy"))?;
    check(
        copied.etag.md5_hex() == Some(md5_hex(&data).as_str()),
        || format!("copy ETag {}", copied.etag),
    )?;
    let got = cx
        .client
        .get(GetObject::new(cx.bucket.clone(), target))
        .map_err(fail("get"))?;
    check(got.body == data, || "copied bytes differ".into())?;
    check(got.metadata.metadata.get("kept") == Some("yes"), || {
        format!("copied metadata {:?}", got.metadata.metadata)
    })
}

fn list<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let names = [
        "f7/a.txt",
        "f7/b.txt",
        "f7/c.txt",
        "f7/d/1.txt",
        "f7/d/2.txt",
        "f7/e/1.txt",
        "f7/f.txt",
    ];
    for name in names {
        cx.client
            .put(PutObject::new(
                cx.bucket.clone(),
                key(name)?,
                Bytes::from_static(b"x"),
            ))
            .map_err(fail("put"))?;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut list = ListObjectsV2::new(cx.bucket.clone())
            .prefix("f7/")
            .max_keys(2);
        if let Some(token) = token.take() {
            list = list.continuation_token(token);
        }
        let page = cx.client.list(list).map_err(fail("list"))?;
        pages += 1;
        check(page.contents.len() <= 2, || {
            format!("page of {}", page.contents.len())
        })?;
        seen.extend(page.contents.into_iter().map(|o| o.key));
        match (page.is_truncated, page.next_continuation_token) {
            (true, Some(next)) => token = Some(next),
            (false, _) => break,
            (true, None) => return Err("truncated page without a token".into()),
        }
        if pages > 10 {
            return Err("more than 10 pages for 7 keys".into());
        }
    }
    check(seen == names, || format!("paged keys {seen:?}"))?;
    check(pages == 4, || format!("{pages} pages of 2 for 7 keys"))?;
    let all = cx
        .client
        .list_all(
            ListObjectsV2::new(cx.bucket.clone())
                .prefix("f7/")
                .max_keys(3),
        )
        .map_err(fail("list_all"))?;
    let all: Vec<String> = all.into_iter().map(|o| o.key).collect();
    check(all == names, || format!("list_all keys {all:?}"))?;
    let rolled = cx
        .client
        .list(
            ListObjectsV2::new(cx.bucket.clone())
                .prefix("f7/")
                .delimiter("/"),
        )
        .map_err(fail("list with delimiter"))?;
    let top: Vec<&str> = rolled.contents.iter().map(|o| o.key.as_str()).collect();
    check(
        top == ["f7/a.txt", "f7/b.txt", "f7/c.txt", "f7/f.txt"],
        || format!("top-level keys {top:?}"),
    )?;
    check(rolled.common_prefixes == ["f7/d/", "f7/e/"], || {
        format!("common prefixes {:?}", rolled.common_prefixes)
    })?;
    list_entries_then_delete(cx)
}

/// Objects and common prefixes in one listing, page after page, then
/// everything under a prefix deleted in batches.
fn list_entries_then_delete<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let entries = cx
        .client
        .list_entries(
            ListObjectsV2::new(cx.bucket.clone())
                .prefix("f7/")
                .delimiter("/")
                .max_keys(2),
        )
        .map_err(fail("list_entries"))?;
    let shown: Vec<String> = entries
        .iter()
        .map(|entry| match entry {
            ListEntry::Object(object) => format!("{} ({} bytes)", object.key, object.size),
            ListEntry::Prefix(prefix) => format!("{prefix} (prefix)"),
        })
        .collect();
    check(
        shown
            == [
                "f7/a.txt (1 bytes)",
                "f7/b.txt (1 bytes)",
                "f7/c.txt (1 bytes)",
                "f7/d/ (prefix)",
                "f7/e/ (prefix)",
                "f7/f.txt (1 bytes)",
            ],
        || format!("entries {shown:?}"),
    )?;
    let under_d = cx
        .client
        .delete_listed(ListObjectsV2::new(cx.bucket.clone()).prefix("f7/d/"))
        .map_err(fail("delete under f7/d/"))?;
    check(under_d.deleted == 2 && under_d.failed.is_empty(), || {
        format!("deleted under f7/d/: {under_d:?}")
    })?;
    // Two keys a request: the five left take three DeleteObjects.
    let rest = cx
        .client
        .delete_listed(
            ListObjectsV2::new(cx.bucket.clone())
                .prefix("f7/")
                .max_keys(2),
        )
        .map_err(fail("delete under f7/"))?;
    check(rest.deleted == 5 && rest.requests == 3, || {
        format!("deleted under f7/: {rest:?}")
    })?;
    let left = cx
        .client
        .list_all(ListObjectsV2::new(cx.bucket.clone()).prefix("f7/"))
        .map_err(fail("list after deleting"))?;
    check(left.is_empty(), || format!("left under f7/: {left:?}"))
}

fn presigned<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let k = key("f9/presigned upload.txt")?;
    let put = PutObject::for_presigning(&cx.bucket, &k).content_type("text/plain");
    let url = cx
        .client
        .presign_put(&put, Duration::from_secs(300))
        .map_err(fail("presign_put"))?;
    let body = b"uploaded through a presigned URL";
    let (method, address, headers) = url.into_parts();
    let sent = plain_http::send(&method, &address, &headers, body).map_err(|e| e.to_string())?;
    check(sent.status.is_success(), || {
        format!(
            "presigned PUT: {} {}",
            sent.status,
            String::from_utf8_lossy(&sent.body)
        )
    })?;
    let get = GetObject::new(cx.bucket.clone(), k);
    let url = cx
        .client
        .presign_get(&get, Duration::from_secs(300))
        .map_err(fail("presign_get"))?;
    let (method, address, headers) = url.into_parts();
    let got = plain_http::send(&method, &address, &headers, b"").map_err(|e| e.to_string())?;
    check(got.status.is_success() && got.body == body, || {
        format!(
            "presigned GET: {} {:?}",
            got.status,
            String::from_utf8_lossy(&got.body)
        )
    })?;
    check(
        got.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            == Some("text/plain"),
        || {
            format!(
                "presigned PUT stored type {:?}",
                got.headers.get("content-type")
            )
        },
    )?;
    let tampered = address.replacen("X-Amz-Expires=300", "X-Amz-Expires=301", 1);
    let refused = plain_http::send(&method, &tampered, &headers, b"").map_err(|e| e.to_string())?;
    check(refused.status == http::StatusCode::FORBIDDEN, || {
        format!("tampered presigned URL answered {}", refused.status)
    })
}

fn lifecycle<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    let xml = "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
        <Rule><ID>expire-logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>\
        <Expiration><Days>30</Days></Expiration></Rule>\
        <Rule><ID>abort-uploads</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>\
        <AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>\
        </LifecycleConfiguration>";
    let admin = cx.target.admin_config().map_err(|e| e.to_string())?;
    put_lifecycle(&admin, &cx.bucket, xml)?;
    let rules = cx
        .client
        .lifecycle(GetBucketLifecycleConfiguration::new(cx.bucket.clone()))
        .map_err(fail("get lifecycle"))?;
    let ids: Vec<Option<&str>> = rules.iter().map(|r| r.id.as_deref()).collect();
    check(ids == [Some("expire-logs"), Some("abort-uploads")], || {
        format!("rules {rules:?}")
    })?;
    let first = rules.first().ok_or("no rules")?;
    check(
        first.prefix.as_deref() == Some("logs/") && first.enabled,
        || format!("first rule {first:?}"),
    )?;
    check(
        first.expiration == Some(LifecycleExpiration::Days(30)),
        || format!("first rule expiration {:?}", first.expiration),
    )?;
    let second = rules.get(1).ok_or("one rule")?;
    check(
        second.abort_incomplete_multipart_upload_days == Some(7),
        || format!("second rule {second:?}"),
    )
}
