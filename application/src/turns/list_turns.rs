//! ListTurns: a conversation's thread's turns, the newest first: the customer's burst (its
//! wamids), the responder, the outcome and the timings.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{TurnLog, TurnReads};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::{ConversationId, ShopId};

#[derive(Debug, Validate)]
pub struct ListTurns {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    /// At most 201: a page of 200 and one more, to tell whether there are more.
    #[validate(range(min = 1, max = 201))]
    pub limit: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ListTurnsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such conversation")]
    NotFound,
    #[error("could not read the turns")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListTurnsError);

impl Query for ListTurns {
    type Output = Vec<TurnLog>;
    type Error = ListTurnsError;
    const NAME: &'static str = "ListTurns";
}

pub struct ListTurnsHandler {
    pub reads: Arc<dyn TurnReads>,
}

#[async_trait]
impl QueryHandler<ListTurns> for ListTurnsHandler {
    async fn handle(&self, q: &ListTurns) -> Result<Vec<TurnLog>, ListTurnsError> {
        self.reads.turns_of(q.shop_id, q.conversation_id, q.limit).await?.ok_or(ListTurnsError::NotFound)
    }
}
