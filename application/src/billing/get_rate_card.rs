//! GetRateCard: the shop's prices per pricing category and market.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::RateCardReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::ShopId;
use domain::billing::RateCard;

#[derive(Debug, thiserror::Error)]
pub enum GetRateCardError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the shop has no rate card")]
    NotFound,
    #[error("could not read the rate card")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetRateCardError);

#[derive(Debug, Validate)]
pub struct GetRateCard {
    pub shop_id: ShopId,
}

impl Query for GetRateCard {
    type Output = RateCard;
    type Error = GetRateCardError;
    const NAME: &'static str = "GetRateCard";
}

pub struct GetRateCardHandler {
    pub reads: Arc<dyn RateCardReads>,
}

#[async_trait]
impl QueryHandler<GetRateCard> for GetRateCardHandler {
    async fn handle(&self, q: &GetRateCard) -> Result<RateCard, GetRateCardError> {
        self.reads.rate_card(q.shop_id).await?.ok_or(GetRateCardError::NotFound)
    }
}
