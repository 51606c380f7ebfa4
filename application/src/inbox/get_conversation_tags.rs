//! GetConversationTags (`GET /api/v1/conversations/{id}/tags`): a conversation's tags, in order.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::InboxReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::{ConversationId, ShopId};

#[derive(Debug, Validate)]
pub struct GetConversationTags {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
}

#[derive(Debug, thiserror::Error)]
pub enum GetConversationTagsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such conversation")]
    NotFound,
    #[error("could not read the tags")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetConversationTagsError);

impl Query for GetConversationTags {
    type Output = Vec<String>;
    type Error = GetConversationTagsError;
    const NAME: &'static str = "GetConversationTags";
}

pub struct GetConversationTagsHandler {
    pub reads: Arc<dyn InboxReads>,
}

#[async_trait]
impl QueryHandler<GetConversationTags> for GetConversationTagsHandler {
    async fn handle(&self, q: &GetConversationTags) -> Result<Vec<String>, GetConversationTagsError> {
        self.reads.tags(q.shop_id, q.conversation_id).await?.ok_or(GetConversationTagsError::NotFound)
    }
}
