//! GetConversation: one conversation with its messages, newest first.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{ConversationFilter, InboxFilter, MessageFilter, MessagingReads};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::{Page, Paged, RepoError};
use domain::messaging::{Conversation, Message};
use domain::{ConversationId, ShopId};

#[derive(Debug, Validate)]
pub struct GetConversation {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    /// A key bound to this member sees only what the member may (`InboxFilter::visible_to`).
    pub visible_to: Option<domain::MemberId>,
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub limit: u64,
    #[validate(range(max = 1_000_000, message = "must be at most 1000000"))]
    pub offset: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum GetConversationError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("conversation not found")]
    NotFound,
    #[error("could not read the conversation")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetConversationError);

impl Query for GetConversation {
    type Output = (Conversation, Paged<Message>);
    type Error = GetConversationError;
    const NAME: &'static str = "GetConversation";
}

pub struct GetConversationHandler {
    pub reads: Arc<dyn MessagingReads>,
}

#[async_trait]
impl QueryHandler<GetConversation> for GetConversationHandler {
    async fn handle(&self, q: &GetConversation) -> Result<(Conversation, Paged<Message>), GetConversationError> {
        let c = match q.visible_to {
            None => self.reads.conversation(q.shop_id, q.conversation_id).await?,
            Some(m) => {
                let only = ConversationFilter {
                    inbox: InboxFilter { only: Some(q.conversation_id), visible_to: Some(m), ..Default::default() },
                    ..Default::default()
                };
                self.reads.conversations(q.shop_id, &only, Page { limit: 1, offset: 0 }).await?.0.pop()
            }
        }
        .ok_or(GetConversationError::NotFound)?;
        let filter = MessageFilter { conversation_id: Some(c.id()), ..Default::default() };
        let page = Page { limit: q.limit, offset: q.offset };
        let (messages, total) = self.reads.messages(q.shop_id, &filter, page).await?;
        Ok((c, Paged::new(messages, total, page)))
    }
}
