//! OpenMedia: one of the shop's files' bytes (all of them or a range) from the media store, once
//! they are there. The caller resolves the range against the size `GetMediaInfo` gave it (a
//! stored file never changes).

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{MediaReads, MediaStore, StoreError, StoredBytes};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::media::MediaState;
use domain::{MediaId, ShopId};

#[derive(Debug, thiserror::Error)]
pub enum OpenMediaError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
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
crate::use_case_error!(OpenMediaError);

#[derive(Debug, Validate)]
pub struct OpenMedia {
    pub shop_id: ShopId,
    pub id: MediaId,
    /// `None`: the whole file.
    pub range: Option<Range<u64>>,
}

impl Query for OpenMedia {
    type Output = StoredBytes;
    type Error = OpenMediaError;
    const NAME: &'static str = "OpenMedia";
}

pub struct OpenMediaHandler {
    pub reads: Arc<dyn MediaReads>,
    pub store: Arc<dyn MediaStore>,
}

#[async_trait]
impl QueryHandler<OpenMedia> for OpenMediaHandler {
    async fn handle(&self, q: &OpenMedia) -> Result<StoredBytes, OpenMediaError> {
        let file = self.reads.by_id(q.shop_id, q.id).await?.ok_or(OpenMediaError::NotFound)?;
        match file.state() {
            MediaState::Stored => {}
            s @ (MediaState::Pending | MediaState::Failed) => return Err(OpenMediaError::NotReady(s)),
            s @ (MediaState::Expired | MediaState::Erased) => return Err(OpenMediaError::Removed(s)),
        }
        self.store.get(&file.storage_key(), q.range.clone()).await.map_err(|e| match e {
            StoreError::NotFound => OpenMediaError::NotReady(MediaState::Failed),
            other => OpenMediaError::Store(other),
        })
    }
}
