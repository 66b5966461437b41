//! Every key S3 accepts round-trips exactly: put, head, get, list, delete.
//! The signature covers the path, so a client or HTTP layer that
//! normalised `./` or `%2e` would also fail with SignatureDoesNotMatch.

use r2_proto::ops::{DeleteObject, GetObject, HeadObject, ListObjectsV2, PutObject};

use super::objects::key;
use super::{Context, Needs, Outcome, Scenario, ScenarioClient, check, fail};

pub(super) fn scenarios<C: ScenarioClient>() -> Vec<Scenario<C>> {
    vec![
        Scenario {
            name: "keys: + % spaces unicode",
            needs: Needs::Nothing,
            run: plain_special,
        },
        Scenario {
            name: "keys: + listed as stored",
            needs: Needs::Capability("keys with + in listings", |c| c.plus_in_listed_keys),
            run: plus_listed,
        },
        Scenario {
            name: "keys: %2e listed as stored",
            needs: Needs::Capability("keys with %2e in listings", |c| c.percent_dots_listed),
            run: percent_dots,
        },
        Scenario {
            name: "keys: ./ ../ // and trailing /",
            needs: Needs::Capability("keys with dot segments and empty segments", |c| {
                c.dot_and_slash_keys
            }),
            run: dot_and_slash,
        },
    ]
}

/// Keys every server stores as given.
const PLAIN: [&str; 7] = [
    "keys/with space",
    "keys/100%",
    "keys/ünïcödé/日本語",
    "keys/tab\there",
    "keys/?query#frag",
    "keys/~tilde!$&'()*,;=:@",
    "keys/emoji 🦀",
];

fn round_trip<C: ScenarioClient>(cx: &Context<'_, C>, name: &str, listed: bool) -> Outcome {
    let k = key(name)?;
    let body = format!("body of {name}").into_bytes();
    cx.client
        .put(PutObject::new(cx.bucket.clone(), k.clone(), body.clone()))
        .map_err(fail(&format!("put {name:?}")))?;
    let head = cx
        .client
        .head(HeadObject::new(cx.bucket.clone(), k.clone()))
        .map_err(fail(&format!("head {name:?}")))?;
    check(head.content_length == Some(body.len() as u64), || {
        format!("head {name:?}: {head:?}")
    })?;
    let got = cx
        .client
        .get(GetObject::new(cx.bucket.clone(), k.clone()))
        .map_err(fail(&format!("get {name:?}")))?;
    check(got.body == body, || format!("get {name:?}: wrong body"))?;
    if listed {
        let page = cx
            .client
            .list(ListObjectsV2::new(cx.bucket.clone()).prefix(name))
            .map_err(fail(&format!("list {name:?}")))?;
        check(page.contents.iter().any(|o| o.key == name), || {
            format!(
                "{name:?} not listed: {:?}",
                page.contents.iter().map(|o| &o.key).collect::<Vec<_>>()
            )
        })?;
    }
    cx.client
        .delete(DeleteObject::new(cx.bucket.clone(), k))
        .map_err(fail(&format!("delete {name:?}")))
}

fn plain_special<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    for name in PLAIN {
        round_trip(cx, name, true)?;
    }
    round_trip(cx, "keys/a+b", false)?;
    round_trip(cx, "keys/%2e%2e-unlisted", false)
}

fn percent_dots<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    round_trip(cx, "keys/%2e%2e", true)?;
    round_trip(cx, "keys/%2E/x", true)
}

fn plus_listed<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    round_trip(cx, "keys/c++", true)
}

fn dot_and_slash<C: ScenarioClient>(cx: &Context<'_, C>) -> Outcome {
    for name in [
        "./dot",
        "../dotdot",
        "keys/./x",
        "keys/../y",
        "keys//double",
        "keys/trailing/",
        "keys/.",
        "keys/..",
    ] {
        round_trip(cx, name, true)?;
    }
    Ok(())
}
