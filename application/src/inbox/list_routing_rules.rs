//! ListRoutingRules (`GET /api/v1/routing/rules`): the shop's rules in the order routing tries them.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::InboxReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::ShopId;
use domain::inbox::RoutingRule;

#[derive(Debug, Validate)]
pub struct ListRoutingRules {
    pub shop_id: ShopId,
}

#[derive(Debug, thiserror::Error)]
pub enum ListRoutingRulesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the routing rules")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListRoutingRulesError);

impl Query for ListRoutingRules {
    type Output = Vec<RoutingRule>;
    type Error = ListRoutingRulesError;
    const NAME: &'static str = "ListRoutingRules";
}

pub struct ListRoutingRulesHandler {
    pub reads: Arc<dyn InboxReads>,
}

#[async_trait]
impl QueryHandler<ListRoutingRules> for ListRoutingRulesHandler {
    async fn handle(&self, q: &ListRoutingRules) -> Result<Vec<RoutingRule>, ListRoutingRulesError> {
        Ok(self.reads.rules(q.shop_id).await?)
    }
}
