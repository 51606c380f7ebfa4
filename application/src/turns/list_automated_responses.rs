//! ListAutomatedResponses and GetAutomatedResponse: the shop's rules with their statistics
//! (matched, last matched), the oldest first.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::TurnReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::turns::AutomatedResponse;
use domain::{AutomatedResponseId, ShopId};

#[derive(Debug, thiserror::Error)]
pub enum ListAutomatedResponsesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such automated response")]
    NotFound,
    #[error("could not read the automated responses")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListAutomatedResponsesError);

#[derive(Debug, Validate)]
pub struct ListAutomatedResponses {
    pub shop_id: ShopId,
}

impl Query for ListAutomatedResponses {
    type Output = Vec<AutomatedResponse>;
    type Error = ListAutomatedResponsesError;
    const NAME: &'static str = "ListAutomatedResponses";
}

#[derive(Debug, Validate)]
pub struct GetAutomatedResponse {
    pub shop_id: ShopId,
    pub id: AutomatedResponseId,
}

impl Query for GetAutomatedResponse {
    type Output = AutomatedResponse;
    type Error = ListAutomatedResponsesError;
    const NAME: &'static str = "GetAutomatedResponse";
}

pub struct ListAutomatedResponsesHandler {
    pub reads: Arc<dyn TurnReads>,
}

#[async_trait]
impl QueryHandler<ListAutomatedResponses> for ListAutomatedResponsesHandler {
    async fn handle(&self, q: &ListAutomatedResponses) -> Result<Vec<AutomatedResponse>, ListAutomatedResponsesError> {
        Ok(self.reads.responses(q.shop_id).await?)
    }
}

#[async_trait]
impl QueryHandler<GetAutomatedResponse> for ListAutomatedResponsesHandler {
    async fn handle(&self, q: &GetAutomatedResponse) -> Result<AutomatedResponse, ListAutomatedResponsesError> {
        self.reads.response(q.shop_id, q.id).await?.ok_or(ListAutomatedResponsesError::NotFound)
    }
}
