//! GetMediaInfo: what is known about one of the shop's files, whatever its state.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::MediaReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::media::MediaFile;
use domain::{MediaId, ShopId};

#[derive(Debug, thiserror::Error)]
pub enum GetMediaInfoError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Unknown, or another shop's.
    #[error("no such file in this shop")]
    NotFound,
    #[error("could not read the file")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetMediaInfoError);

#[derive(Debug, Validate)]
pub struct GetMediaInfo {
    pub shop_id: ShopId,
    pub id: MediaId,
}

impl Query for GetMediaInfo {
    type Output = MediaFile;
    type Error = GetMediaInfoError;
    const NAME: &'static str = "GetMediaInfo";
}

pub struct GetMediaInfoHandler {
    pub reads: Arc<dyn MediaReads>,
}

#[async_trait]
impl QueryHandler<GetMediaInfo> for GetMediaInfoHandler {
    async fn handle(&self, q: &GetMediaInfo) -> Result<MediaFile, GetMediaInfoError> {
        self.reads.by_id(q.shop_id, q.id).await?.ok_or(GetMediaInfoError::NotFound)
    }
}
