//! ConversationVisible: whether a key bound to a member may see a conversation (assigned to the
//! member, or in one of their departments; `InboxFilter::visible_to`). The inbox's routes ask it
//! before acting on a conversation for such a key, and the live stream before sending an event.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use validator::Validate;

use crate::messaging::ports::{ConversationFilter, InboxFilter, MessagingReads};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::{Page, RepoError, RepoResult};
use domain::{ConversationId, MemberId, ShopId};

/// The one rule: the inbox list's own filter, for one conversation.
pub async fn member_sees(
    reads: &dyn MessagingReads,
    shop: ShopId,
    member: MemberId,
    conversation: ConversationId,
    now: DateTime<Utc>,
) -> RepoResult<bool> {
    let filter = ConversationFilter {
        inbox: InboxFilter { visible_to: Some(member), only: Some(conversation), now, ..Default::default() },
        ..Default::default()
    };
    Ok(reads.conversations(shop, &filter, Page { limit: 1, offset: 0 }).await?.1 > 0)
}

#[derive(Debug, Validate)]
pub struct ConversationVisible {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    pub member_id: MemberId,
}

#[derive(Debug, thiserror::Error)]
pub enum ConversationVisibleError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the conversation")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ConversationVisibleError);

impl Query for ConversationVisible {
    type Output = bool;
    type Error = ConversationVisibleError;
    const NAME: &'static str = "ConversationVisible";
}

pub struct ConversationVisibleHandler {
    pub reads: Arc<dyn MessagingReads>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl QueryHandler<ConversationVisible> for ConversationVisibleHandler {
    async fn handle(&self, q: &ConversationVisible) -> Result<bool, ConversationVisibleError> {
        Ok(member_sees(self.reads.as_ref(), q.shop_id, q.member_id, q.conversation_id, self.clock.now()).await?)
    }
}
