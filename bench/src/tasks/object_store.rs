//! The twelve tasks with object_store's S3 store, as its docs show them.

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
};
use tokio::io::AsyncWriteExt;

use super::{Error, Outcome, TaskEnv};

/// Runs every task against `env`'s server.
pub async fn run(env: &TaskEnv) -> Result<Outcome, Error> {
    // task: client
    let store = AmazonS3Builder::new()
        .with_endpoint(&env.endpoint)
        .with_region("auto")
        .with_bucket_name(&env.bucket)
        .with_access_key_id(&env.access_key_id)
        .with_secret_access_key(&env.secret_access_key)
        .with_allow_http(true)
        .build()?;
    let store = Arc::new(store);
    // end

    // task: put
    let attributes = Attributes::from_iter([(Attribute::ContentType, "text/plain")]);
    let options = PutOptions {
        attributes,
        ..PutOptions::default()
    };
    store
        .put_opts(
            &Path::from("notes/hello.txt"),
            PutPayload::from_static(b"hello"),
            options,
        )
        .await?;
    // end

    // task: get
    let bytes = store
        .get(&Path::from("notes/hello.txt"))
        .await?
        .bytes()
        .await?;
    let text = String::from_utf8(bytes.to_vec())?;
    // end

    // task: exists
    let exists = match store.head(&Path::from("notes/none")).await {
        Ok(_) => true,
        Err(object_store::Error::NotFound { .. }) => false,
        Err(error) => return Err(error.into()),
    };
    // end

    // task: list
    let listed: Vec<_> = store.list(Some(&Path::from("notes"))).try_collect().await?;
    let keys: Vec<String> = listed
        .into_iter()
        .map(|meta| meta.location.to_string())
        .collect();
    // end

    // task: folders
    let listing = store.list_with_delimiter(None).await?;
    let folders: Vec<String> = listing
        .common_prefixes
        .iter()
        .map(|p| format!("{p}/"))
        .collect();
    // end

    // task: upload_file
    let mut file = tokio::fs::File::open(env.dir.join("large.bin")).await?;
    let mut writer = BufWriter::new(
        Arc::clone(&store) as Arc<dyn ObjectStore>,
        Path::from("large.bin"),
    );
    tokio::io::copy(&mut file, &mut writer).await?;
    writer.shutdown().await?;
    // end

    // task: download_file
    let mut stream = store.get(&Path::from("large.bin")).await?.into_stream();
    let mut file = tokio::fs::File::create(env.dir.join("large.copy")).await?;
    while let Some(chunk) = stream.try_next().await? {
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    // end

    // task: presign
    let path = Path::from("notes/hello.txt");
    let url = store
        .signed_url(http::Method::GET, &path, Duration::from_secs(3600))
        .await?
        .to_string();
    // end

    // task: copy
    store
        .copy(
            &Path::from("notes/hello.txt"),
            &Path::from("notes/copy.txt"),
        )
        .await?;
    // end

    // task: put_if_absent
    let payload = PutPayload::from_static(b"again");
    let created = match store
        .put_opts(
            &Path::from("notes/hello.txt"),
            payload,
            PutMode::Create.into(),
        )
        .await
    {
        Ok(_) => true,
        Err(
            object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. },
        ) => false,
        Err(error) => return Err(error.into()),
    };
    // end

    // task: delete_prefix
    let locations = store
        .list(Some(&Path::from("notes")))
        .map_ok(|meta| meta.location)
        .boxed();
    store
        .delete_stream(locations)
        .try_collect::<Vec<_>>()
        .await?;
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
