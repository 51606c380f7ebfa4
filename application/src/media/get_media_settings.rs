//! GetMediaSettings: how many days the shop's files are kept (`None`: for ever).

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::MediaReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::ShopId;

#[derive(Debug, thiserror::Error)]
pub enum GetMediaSettingsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the settings")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetMediaSettingsError);

#[derive(Debug, Validate)]
pub struct GetMediaSettings {
    pub shop_id: ShopId,
}

impl Query for GetMediaSettings {
    /// The retention in days.
    type Output = Option<u32>;
    type Error = GetMediaSettingsError;
    const NAME: &'static str = "GetMediaSettings";
}

pub struct GetMediaSettingsHandler {
    pub reads: Arc<dyn MediaReads>,
}

#[async_trait]
impl QueryHandler<GetMediaSettings> for GetMediaSettingsHandler {
    async fn handle(&self, q: &GetMediaSettings) -> Result<Option<u32>, GetMediaSettingsError> {
        Ok(self.reads.retention(q.shop_id).await?)
    }
}
