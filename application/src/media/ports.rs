//! What the media context needs from the outside: its rows (inside a unit of work and for
//! reads), the fetch queue, the media store that holds the bytes, and Meta's media endpoints.

use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;

use crate::shared::meta::CloudApiError;
use crate::shared::ports::Secret;
use crate::shared::repo::RepoResult;
use domain::media::MediaFile;
use domain::{CustomerId, MediaId, ShopId};

/// Media rows inside a unit of work.
#[async_trait]
pub trait MediaRepository: Send {
    async fn insert_many(&mut self, files: &[MediaFile]) -> RepoResult<()>;
    async fn lock(&mut self, shop: ShopId, id: MediaId) -> RepoResult<Option<MediaFile>>;
    async fn lock_many(&mut self, shop: ShopId, ids: &[MediaId]) -> RepoResult<Vec<MediaFile>>;
    /// Files of the customer's messages that still have bytes in the store (for erasure).
    async fn lock_of_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<Vec<MediaFile>>;
    /// Writes the file's state and releases its fetch claim.
    async fn save(&mut self, file: &MediaFile) -> RepoResult<()>;
    async fn save_many(&mut self, files: &[MediaFile]) -> RepoResult<()>;
    async fn set_retention(&mut self, shop: ShopId, days: Option<u32>, now: DateTime<Utc>) -> RepoResult<()>;
}

/// Reads outside a transaction.
#[async_trait]
pub trait MediaReads: Send + Sync {
    async fn by_id(&self, shop: ShopId, id: MediaId) -> RepoResult<Option<MediaFile>>;
    /// The files a customer sent (with their messages), oldest first.
    async fn of_customer(&self, shop: ShopId, customer: CustomerId) -> RepoResult<Vec<MediaFile>>;
    /// Days a shop keeps its files; `None` = for ever.
    async fn retention(&self, shop: ShopId) -> RepoResult<Option<u32>>;
    /// Every shop with a retention policy, and its days.
    async fn retention_policies(&self) -> RepoResult<Vec<(ShopId, u32)>>;
    /// A shop's files (with bytes in the store) created before `before`, oldest first.
    async fn older_than(&self, shop: ShopId, before: DateTime<Utc>, limit: u64) -> RepoResult<Vec<MediaFile>>;
    /// Files waiting to be fetched (for metrics).
    async fn pending_count(&self) -> RepoResult<u64>;
}

/// The fetch queue: a claim is a conditional update, so two replicas never fetch one file; a
/// claim that outlives `until` (its holder died) is taken again.
#[async_trait]
pub trait MediaFetchQueue: Send + Sync {
    async fn claim(&self, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>, limit: u64) -> RepoResult<Vec<MediaFile>>;
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such file in the media store")]
    NotFound,
    #[error("the media store failed: {0}")]
    Other(String),
}

/// Some of a stored file's bytes, as a stream.
pub struct StoredBytes {
    pub range: Range<u64>,
    pub body: BoxStream<'static, Result<Bytes, StoreError>>,
}

/// Where the bytes live: a local folder or an S3-compatible bucket.
#[async_trait]
pub trait MediaStore: Send + Sync {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StoreError>;
    /// The whole file, or `range` of it (already checked against the file's size).
    async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<StoredBytes, StoreError>;
    /// Removing a file that is not there is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Reachable and writable (readiness).
    async fn check(&self) -> Result<(), StoreError>;
}

/// What `GET /{media-id}` says about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaMedia {
    /// Short-lived (5 minutes); needs the token too.
    pub url: String,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub file_size: Option<u64>,
}

/// Meta's media endpoints.
#[async_trait]
pub trait MediaApi: Send + Sync {
    async fn media(&self, meta_media_id: &str, token: &Secret) -> Result<MetaMedia, CloudApiError>;
    /// At most `max_bytes`; more is an error.
    async fn download(&self, url: &str, token: &Secret, max_bytes: u64) -> Result<Bytes, CloudApiError>;
    /// `POST /{phone-number-id}/media`: Meta's id of the file.
    async fn upload(
        &self,
        phone_number_id: &str,
        token: &Secret,
        bytes: Bytes,
        mime_type: &str,
        filename: Option<&str>,
    ) -> Result<String, CloudApiError>;
}

/// The files inside a unit of work. (`use` this trait to call `uow.media()`.)
pub trait MediaUnitOfWork {
    fn media(&mut self) -> &mut dyn MediaRepository;
}

impl MediaUnitOfWork for dyn crate::shared::unit_of_work::UnitOfWork + '_ {
    fn media(&mut self) -> &mut dyn MediaRepository {
        crate::shared::unit_of_work::repository::<dyn MediaRepository>(self)
    }
}
