//! A low-priority runtime for background I/O that must not slow the acknowledgement path:
//! fetching customers' files from Meta (HTTP, bodies of up to 100 MB, writes to the media
//! store). Its threads run at nice 10, so on a busy machine the kernel serves the webhook path
//! first; the database work of the same jobs stays on the main runtime.
//!
//! [`Background`] wraps the media adapters (`MediaApi`, `MediaStore`) so that each call runs on
//! that runtime; the application does not know threads exist.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;

use application::media::ports::{MediaApi, MediaStore, MetaMedia, StoreError, StoredBytes};
use application::shared::meta::CloudApiError;
use application::shared::ports::Secret;

/// The runtime (one worker thread, and its blocking pool, all at nice 10).
pub struct LowPriority {
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    handle: tokio::runtime::Handle,
}

impl LowPriority {
    pub fn new(name: &str) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(4)
            .thread_name(name)
            .on_thread_start(lower_priority)
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(Self { runtime: Mutex::new(Some(runtime)), handle })
    }

    /// Run `f` there and wait for it here.
    async fn run<T: Send + 'static>(&self, f: impl Future<Output = T> + Send + 'static) -> Result<T, String> {
        self.handle.spawn(f).await.map_err(|e| format!("the background runtime dropped the call: {e}"))
    }
}

impl Drop for LowPriority {
    fn drop(&mut self) {
        // Dropping a runtime may happen inside another one: never block there.
        if let Some(rt) = self.runtime.lock().unwrap_or_else(|p| p.into_inner()).take() {
            rt.shutdown_background();
        }
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux a thread id names the thread alone.
    let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10);
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// An adapter whose calls run on the low-priority runtime.
pub struct Background<T: ?Sized> {
    pub inner: Arc<T>,
    pub runtime: Arc<LowPriority>,
}

fn dropped(e: String) -> CloudApiError {
    CloudApiError::outcome_unknown("the background runtime stopped", Some(e))
}

#[async_trait]
impl MediaApi for Background<dyn MediaApi> {
    async fn media(&self, meta_media_id: &str, token: &Secret) -> Result<MetaMedia, CloudApiError> {
        let (inner, id, token) = (self.inner.clone(), meta_media_id.to_owned(), token.clone());
        self.runtime.run(async move { inner.media(&id, &token).await }).await.map_err(dropped)?
    }

    async fn download(&self, url: &str, token: &Secret, max_bytes: u64) -> Result<Bytes, CloudApiError> {
        let (inner, url, token) = (self.inner.clone(), url.to_owned(), token.clone());
        self.runtime.run(async move { inner.download(&url, &token, max_bytes).await }).await.map_err(dropped)?
    }

    async fn upload(
        &self,
        phone_number_id: &str,
        token: &Secret,
        bytes: Bytes,
        mime_type: &str,
        filename: Option<&str>,
    ) -> Result<String, CloudApiError> {
        let (inner, pnid, token, mime, name) =
            (self.inner.clone(), phone_number_id.to_owned(), token.clone(), mime_type.to_owned(), filename.map(str::to_owned));
        self.runtime.run(async move { inner.upload(&pnid, &token, bytes, &mime, name.as_deref()).await }).await.map_err(dropped)?
    }
}

#[async_trait]
impl MediaStore for Background<dyn MediaStore> {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        let (inner, key) = (self.inner.clone(), key.to_owned());
        self.runtime.run(async move { inner.put(&key, bytes).await }).await.map_err(StoreError::Other)?
    }

    async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<StoredBytes, StoreError> {
        // Reading is served to a waiting client: it stays where the request is.
        self.inner.get(key, range).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let (inner, key) = (self.inner.clone(), key.to_owned());
        self.runtime.run(async move { inner.delete(&key).await }).await.map_err(StoreError::Other)?
    }

    async fn check(&self) -> Result<(), StoreError> {
        self.inner.check().await
    }
}
