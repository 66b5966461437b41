//! The twelve tasks with aws-sdk-s3, as its developer guide shows them.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Credentials, Region};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Error, Outcome, TaskEnv};

/// Runs every task against `env`'s server.
pub async fn run(env: &TaskEnv) -> Result<Outcome, Error> {
    // task: client
    let credentials = Credentials::new(
        &env.access_key_id,
        &env.secret_access_key,
        None,
        None,
        "static",
    );
    let config = aws_sdk_s3::Config::builder()
        .endpoint_url(&env.endpoint)
        .region(Region::new("auto"))
        .credentials_provider(credentials)
        .force_path_style(true)
        .behavior_version_latest()
        .build();
    let client = Client::from_conf(config);
    let bucket = env.bucket.as_str();
    // end

    // task: put
    client
        .put_object()
        .bucket(bucket)
        .key("notes/hello.txt")
        .body(ByteStream::from_static(b"hello"))
        .content_type("text/plain")
        .send()
        .await?;
    // end

    // task: get
    let object = client
        .get_object()
        .bucket(bucket)
        .key("notes/hello.txt")
        .send()
        .await?;
    let text = String::from_utf8(object.body.collect().await?.to_vec())?;
    // end

    // task: exists
    let exists = match client
        .head_object()
        .bucket(bucket)
        .key("notes/none")
        .send()
        .await
    {
        Ok(_) => true,
        Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => false,
        Err(error) => return Err(error.into()),
    };
    // end

    // task: list
    let mut keys = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix("notes/")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        keys.extend(
            page?
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    // end

    // task: folders
    let mut folders = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .delimiter("/")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        folders.extend(
            page?
                .common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_owned)),
        );
    }
    // end

    // task: upload_file
    let upload = client
        .create_multipart_upload()
        .bucket(bucket)
        .key("large.bin")
        .send()
        .await?;
    let upload_id = upload.upload_id().ok_or("no upload id")?;
    let mut file = tokio::fs::File::open(env.dir.join("large.bin")).await?;
    let mut parts = Vec::new();
    loop {
        let mut chunk = Vec::with_capacity(PART_SIZE);
        (&mut file)
            .take(PART_SIZE as u64)
            .read_to_end(&mut chunk)
            .await?;
        if chunk.is_empty() && !parts.is_empty() {
            break;
        }
        let number = parts.len() as i32 + 1;
        let part = client
            .upload_part()
            .bucket(bucket)
            .key("large.bin")
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(chunk))
            .send()
            .await?;
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(part.e_tag)
                .build(),
        );
    }
    let completed = CompletedMultipartUpload::builder()
        .set_parts(Some(parts))
        .build();
    client
        .complete_multipart_upload()
        .bucket(bucket)
        .key("large.bin")
        .upload_id(upload_id)
        .multipart_upload(completed)
        .send()
        .await?;
    // end

    // task: download_file
    let mut object = client
        .get_object()
        .bucket(bucket)
        .key("large.bin")
        .send()
        .await?;
    let mut file = tokio::fs::File::create(env.dir.join("large.copy")).await?;
    while let Some(chunk) = object.body.try_next().await? {
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    // end

    // task: presign
    let presigning = PresigningConfig::expires_in(Duration::from_secs(3600))?;
    let presigned = client
        .get_object()
        .bucket(bucket)
        .key("notes/hello.txt")
        .presigned(presigning)
        .await?;
    let url = presigned.uri().to_owned();
    // end

    // task: copy
    client
        .copy_object()
        .bucket(bucket)
        .key("notes/copy.txt")
        .copy_source(format!("{bucket}/notes/hello.txt"))
        .send()
        .await?;
    // end

    // task: put_if_absent
    let put = client
        .put_object()
        .bucket(bucket)
        .key("notes/hello.txt")
        .body(ByteStream::from_static(b"again"));
    let created = match put.if_none_match("*").send().await {
        Ok(_) => true,
        Err(error)
            if error
                .raw_response()
                .is_some_and(|r| r.status().as_u16() == 412) =>
        {
            false
        }
        Err(error) => return Err(error.into()),
    };
    // end

    // task: delete_prefix
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix("notes/")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let objects = page?
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<Result<Vec<_>, _>>()?;
        if objects.is_empty() {
            continue;
        }
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()?;
        let output = client
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await?;
        if !output.errors().is_empty() {
            return Err(format!("{} keys not deleted", output.errors().len()).into());
        }
    }
    // end

    Ok(Outcome {
        text,
        exists,
        keys,
        folders,
        url,
        created,
    })
}

/// The part size of the upload (every part but the last this size).
const PART_SIZE: usize = 8 << 20;
