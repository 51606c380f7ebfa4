//! GetShop.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{Shop, TenancyReads};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::ShopId;

#[derive(Debug, Validate)]
pub struct GetShop {
    pub shop_id: ShopId,
}

#[derive(Debug, thiserror::Error)]
pub enum GetShopError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("shop not found")]
    NotFound,
    #[error("could not read the shop")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetShopError);

impl Query for GetShop {
    type Output = Shop;
    type Error = GetShopError;
    const NAME: &'static str = "GetShop";
}

pub struct GetShopHandler {
    pub reads: Arc<dyn TenancyReads>,
}

#[async_trait]
impl QueryHandler<GetShop> for GetShopHandler {
    async fn handle(&self, q: &GetShop) -> Result<Shop, GetShopError> {
        self.reads.shop(q.shop_id).await?.ok_or(GetShopError::NotFound)
    }
}
