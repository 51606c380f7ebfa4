//! The media store: where files' bytes live. `object_store` serves both kinds the service
//! supports: a local folder (the default, `data/media`) and any S3-compatible bucket
//! (`s3://bucket/prefix`, with the standard `AWS_*` variables: `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT` for MinIO/R2/…, `AWS_ALLOW_HTTP`).
//! Requests are signed with ring through the project's rustls (no aws-lc).

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};

use application::media::ports::{MediaStore, StoreError, StoredBytes};

pub struct ObjectMediaStore {
    inner: Arc<dyn ObjectStore>,
    /// What operators see (never credentials).
    pub description: String,
}

fn store_err(e: object_store::Error) -> StoreError {
    match e {
        object_store::Error::NotFound { .. } => StoreError::NotFound,
        other => StoreError::Other(other.to_string()),
    }
}

fn path(key: &str) -> Result<Path, StoreError> {
    Path::parse(key).map_err(|e| StoreError::Other(format!("bad key {key:?}: {e}")))
}

impl ObjectMediaStore {
    /// `s3://bucket[/prefix]` or a folder (`file:///abs/dir` or a plain path, created if missing).
    pub fn open(url: &str) -> Result<Self, String> {
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err("MEDIA_STORE_URL: s3:// needs a bucket".into());
            }
            let s3 = AmazonS3Builder::from_env().with_bucket_name(bucket).build().map_err(|e| format!("MEDIA_STORE_URL: {e}"))?;
            let prefix = prefix.trim_matches('/');
            let inner: Arc<dyn ObjectStore> =
                if prefix.is_empty() { Arc::new(s3) } else { Arc::new(PrefixStore::new(s3, Path::from(prefix))) };
            return Ok(Self { inner, description: format!("s3://{bucket}/{prefix}") });
        }
        let dir = url.strip_prefix("file://").unwrap_or(url);
        std::fs::create_dir_all(dir).map_err(|e| format!("MEDIA_STORE_URL: cannot create {dir}: {e}"))?;
        let fs = LocalFileSystem::new_with_prefix(dir).map_err(|e| format!("MEDIA_STORE_URL: {e}"))?;
        Ok(Self { inner: Arc::new(fs), description: format!("folder {dir}") })
    }
}

#[async_trait]
impl MediaStore for ObjectMediaStore {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        self.inner.put(&path(key)?, PutPayload::from_bytes(bytes)).await.map(|_| ()).map_err(store_err)
    }

    async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<StoredBytes, StoreError> {
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        let got = self.inner.get_opts(&path(key)?, options).await.map_err(store_err)?;
        let range = got.range.clone();
        Ok(StoredBytes { range, body: got.into_stream().map_err(store_err).boxed() })
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self.inner.delete(&path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_err(e)),
        }
    }

    async fn check(&self) -> Result<(), StoreError> {
        let key = "health/ready";
        self.put(key, Bytes::from_static(b"ok")).await?;
        self.delete(key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;
    use wiremock::matchers::{header_regex, method, path as url_path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    async fn read(store: &ObjectMediaStore, key: &str, range: Option<Range<u64>>) -> Vec<u8> {
        let got = store.get(key, range).await.unwrap();
        got.body.map_ok(|b| b.to_vec()).try_concat().await.unwrap()
    }

    #[tokio::test]
    async fn a_folder_store_keeps_reads_ranges_and_removes_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectMediaStore::open(dir.path().to_str().unwrap()).unwrap();
        store.put("shop/file", Bytes::from_static(b"0123456789")).await.unwrap();
        assert_eq!(read(&store, "shop/file", None).await, b"0123456789");
        assert_eq!(read(&store, "shop/file", Some(2..5)).await, b"234");
        assert!(dir.path().join("shop/file").exists(), "the file is under the folder");
        store.delete("shop/file").await.unwrap();
        store.delete("shop/file").await.unwrap();
        assert!(matches!(store.get("shop/file", None).await, Err(StoreError::NotFound)));
        store.check().await.unwrap();
    }

    #[tokio::test]
    async fn an_s3_store_signs_its_requests_for_an_s3_compatible_server() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let s3 = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(url_path("/media-bucket/tenant-a/shop/file"))
            .and(header_regex("authorization", "^AWS4-HMAC-SHA256 Credential=AKIDTEST/"))
            .respond_with(ResponseTemplate::new(200).insert_header("etag", "\"1\""))
            .expect(1)
            .mount(&s3)
            .await;
        Mock::given(method("GET"))
            .and(url_path("/media-bucket/tenant-a/shop/file"))
            .and(header_regex("authorization", "^AWS4-HMAC-SHA256 "))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-length", "5")
                    .insert_header("last-modified", "Thu, 26 Nov 2026 10:00:00 GMT")
                    .insert_header("etag", "\"1\"")
                    .set_body_bytes(b"hello".to_vec()),
            )
            .mount(&s3)
            .await;
        let store = {
            let builder = AmazonS3Builder::new()
                .with_bucket_name("media-bucket")
                .with_endpoint(s3.uri())
                .with_allow_http(true)
                .with_region("us-east-1")
                .with_access_key_id("AKIDTEST")
                .with_secret_access_key("secret");
            ObjectMediaStore {
                inner: Arc::new(PrefixStore::new(builder.build().unwrap(), Path::from("tenant-a"))),
                description: "s3".into(),
            }
        };
        store.put("shop/file", Bytes::from_static(b"hello")).await.unwrap();
        assert_eq!(read(&store, "shop/file", None).await, b"hello");
    }
}
