//! ListApiKeys: a shop's keys, without the keys themselves.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{ApiKeyRecord, TenancyReads};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::ShopId;

#[derive(Debug, Validate)]
pub struct ListApiKeys {
    pub shop_id: ShopId,
}

#[derive(Debug, thiserror::Error)]
pub enum ListApiKeysError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the keys")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListApiKeysError);

impl Query for ListApiKeys {
    type Output = Vec<ApiKeyRecord>;
    type Error = ListApiKeysError;
    const NAME: &'static str = "ListApiKeys";
}

pub struct ListApiKeysHandler {
    pub reads: Arc<dyn TenancyReads>,
}

#[async_trait]
impl QueryHandler<ListApiKeys> for ListApiKeysHandler {
    async fn handle(&self, q: &ListApiKeys) -> Result<Vec<ApiKeyRecord>, ListApiKeysError> {
        Ok(self.reads.api_keys(q.shop_id).await?)
    }
}
