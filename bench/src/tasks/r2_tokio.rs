//! The twelve tasks with r2-tokio, as its README shows them.

use std::time::Duration;

use futures::TryStreamExt;
use r2_tokio::proto::error::{ObjectError, R2Error};
use r2_tokio::proto::ops::{
    CopyObject, CopySource, GetObject, ListObjectsV2, ObjectExists, PutObject,
};
use r2_tokio::proto::{BucketName, Config, Credentials, ObjectKey};
use r2_tokio::{DownloadSink, R2Client, UploadBody};

use super::{Error, Outcome, TaskEnv};

/// Runs every task against `env`'s server.
pub async fn run(env: &TaskEnv) -> Result<Outcome, Error> {
    // task: client
    let credentials = Credentials::new(&env.access_key_id, &env.secret_access_key)?;
    let config = Config::for_endpoint(&env.endpoint, credentials)
        .allow_insecure_http()
        .build()?;
    let client = R2Client::new(config)?;
    let bucket = BucketName::new(&env.bucket)?;
    // end

    // task: put
    let put = PutObject::new(&bucket, ObjectKey::new("notes/hello.txt")?, "hello");
    client.objects().put(put.content_type("text/plain")).await?;
    // end

    // task: get
    let object = client
        .objects()
        .get(GetObject::new(&bucket, ObjectKey::new("notes/hello.txt")?))
        .await?;
    let text = String::from_utf8(object.body.to_vec())?;
    // end

    // task: exists
    let exists = ObjectExists::new(&bucket, ObjectKey::new("notes/none")?);
    let exists = client.objects().exists(exists).await?;
    // end

    // task: list
    let list = ListObjectsV2::new(&bucket).prefix("notes/");
    let keys: Vec<String> = client
        .objects()
        .list_all(list)
        .map_ok(|o| o.key)
        .try_collect()
        .await?;
    // end

    // task: folders
    let list = ListObjectsV2::new(&bucket).delimiter("/");
    let entries = client.objects().list_entries(list);
    let folders: Vec<String> = entries
        .try_filter_map(|e| async { Ok(e.into_prefix()) })
        .try_collect()
        .await?;
    // end

    // task: upload_file
    let body = UploadBody::file(env.dir.join("large.bin"));
    client
        .upload(&bucket, ObjectKey::new("large.bin")?, body)
        .await?;
    // end

    // task: download_file
    let sink = DownloadSink::file(env.dir.join("large.copy"));
    client
        .download(&bucket, ObjectKey::new("large.bin")?, sink)
        .await?;
    // end

    // task: presign
    let get = GetObject::new(&bucket, ObjectKey::new("notes/hello.txt")?);
    let url = client
        .presign()
        .presign_get(&get, Duration::from_secs(3600))?
        .url()
        .to_string();
    // end

    // task: copy
    let source = CopySource::new(&bucket, ObjectKey::new("notes/hello.txt")?);
    client
        .objects()
        .copy(CopyObject::new(
            source,
            &bucket,
            ObjectKey::new("notes/copy.txt")?,
        ))
        .await?;
    // end

    // task: put_if_absent
    let put =
        PutObject::new(&bucket, ObjectKey::new("notes/hello.txt")?, "again").if_none_match_any();
    let created = match client.objects().put(put).await {
        Ok(_) => true,
        Err(R2Error::Object(ObjectError::PreconditionFailed(_))) => false,
        Err(error) => return Err(error.into()),
    };
    // end

    // task: delete_prefix
    let deleted = client.objects().delete_prefix(&bucket, "notes/").await?;
    if !deleted.failed.is_empty() {
        return Err(format!("{} keys not deleted", deleted.failed.len()).into());
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
