//! GetActiveConversations: a shop's conversations, most recently active first (or the customer
//! waiting longest first), with the inbox's filters.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{ConversationFilter, InboxFilter, MessagingReads};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::{Page, Paged, RepoError};
use domain::messaging::{Conversation, ConversationStatus};
use domain::{AccountId, ShopId, WaId};

#[derive(Debug, Validate)]
pub struct ListConversations {
    pub shop_id: ShopId,
    pub status: Option<ConversationStatus>,
    pub wa_id: Option<WaId>,
    pub account_id: Option<AccountId>,
    /// The inbox's filters and order.
    pub inbox: InboxFilter,
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub limit: u64,
    #[validate(range(max = 1_000_000, message = "must be at most 1000000"))]
    pub offset: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ListConversationsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the conversations")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListConversationsError);

impl Query for ListConversations {
    type Output = Paged<Conversation>;
    type Error = ListConversationsError;
    const NAME: &'static str = "GetActiveConversations";
}

pub struct ListConversationsHandler {
    pub reads: Arc<dyn MessagingReads>,
}

#[async_trait]
impl QueryHandler<ListConversations> for ListConversationsHandler {
    async fn handle(&self, q: &ListConversations) -> Result<Paged<Conversation>, ListConversationsError> {
        let filter = ConversationFilter { status: q.status, wa_id: q.wa_id.clone(), account_id: q.account_id, inbox: q.inbox.clone() };
        let page = Page { limit: q.limit, offset: q.offset };
        let (items, total) = self.reads.conversations(q.shop_id, &filter, page).await?;
        Ok(Paged::new(items, total, page))
    }
}
