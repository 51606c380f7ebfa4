//! GetMessages: a shop's messages, newest first, by customer (`waId` or `userId`), conversation
//! or direction.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{MessageFilter, MessagingReads};
use crate::customers::ports::CustomerReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::{Page, Paged, RepoError};
use domain::messaging::{Direction, Message};
use domain::{ConversationId, ShopId, WaId};

#[derive(Debug, Validate)]
pub struct GetMessages {
    pub shop_id: ShopId,
    pub wa_id: Option<WaId>,
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub user_id: Option<String>,
    pub conversation_id: Option<ConversationId>,
    pub direction: Option<Direction>,
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub limit: u64,
    #[validate(range(max = 1_000_000, message = "must be at most 1000000"))]
    pub offset: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum GetMessagesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the messages")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetMessagesError);

impl Query for GetMessages {
    type Output = Paged<Message>;
    type Error = GetMessagesError;
    const NAME: &'static str = "GetMessages";
}

pub struct GetMessagesHandler {
    pub reads: Arc<dyn MessagingReads>,
    pub customers: Arc<dyn CustomerReads>,
}

#[async_trait]
impl QueryHandler<GetMessages> for GetMessagesHandler {
    async fn handle(&self, q: &GetMessages) -> Result<Paged<Message>, GetMessagesError> {
        let mut filter =
            MessageFilter { wa_id: q.wa_id.clone(), conversation_id: q.conversation_id, direction: q.direction, ..Default::default() };
        if let Some(user_id) = &q.user_id {
            // userId is an identifier a sibling service attached to a customer.
            match self.customers.by_user_id(q.shop_id, user_id).await? {
                Some(c) if filter.wa_id.as_ref().is_none_or(|w| w == c.wa_id()) => filter.wa_id = Some(c.wa_id().clone()),
                _ => filter.user_id = Some(user_id.clone()),
            }
        }
        let page = Page { limit: q.limit, offset: q.offset };
        let (messages, total) = self.reads.messages(q.shop_id, &filter, page).await?;
        Ok(Paged::new(messages, total, page))
    }
}
