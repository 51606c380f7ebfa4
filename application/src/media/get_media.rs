//! GetMedia: one of the shop's files, what is known about it, and its bytes (all of them or a
//! range) from the media store, once they are there.

use std::ops::Range;
use std::sync::Arc;

use super::ports::{MediaReads, MediaStore, StoreError, StoredBytes};
use crate::shared::repo::RepoError;
use domain::media::{MediaFile, MediaState};
use domain::{MediaId, ShopId};

#[derive(Debug, thiserror::Error)]
pub enum GetMediaError {
    /// Unknown, or another shop's.
    #[error("no such file in this shop")]
    NotFound,
    /// Not fetched yet, or the fetch failed.
    #[error("the file is not available: it is {}", .0.as_str())]
    NotReady(MediaState),
    /// Removed by retention or erasure.
    #[error("the file was removed: it is {}", .0.as_str())]
    Removed(MediaState),
    #[error("the media store failed")]
    Store(#[source] StoreError),
    #[error("could not read the file")]
    Storage(#[from] RepoError),
}

pub struct GetMediaService {
    pub reads: Arc<dyn MediaReads>,
    pub store: Arc<dyn MediaStore>,
}

impl GetMediaService {
    /// What is known about the file, whatever its state.
    pub async fn info(&self, shop: ShopId, id: MediaId) -> Result<MediaFile, GetMediaError> {
        self.reads.by_id(shop, id).await?.ok_or(GetMediaError::NotFound)
    }

    /// The file and its bytes; `range` is resolved by the caller against the file's size.
    pub async fn open(&self, file: &MediaFile, range: Option<Range<u64>>) -> Result<StoredBytes, GetMediaError> {
        match file.state {
            MediaState::Stored => {}
            s @ (MediaState::Pending | MediaState::Failed) => return Err(GetMediaError::NotReady(s)),
            s @ (MediaState::Expired | MediaState::Erased) => return Err(GetMediaError::Removed(s)),
        }
        self.store.get(&file.storage_key(), range).await.map_err(|e| match e {
            StoreError::NotFound => GetMediaError::NotReady(MediaState::Failed),
            other => GetMediaError::Store(other),
        })
    }
}
