//! SetConversationTags (`PUT /api/v1/conversations/{id}/tags`): people replace a conversation's
//! tags (checked whole); `conversation.tags.changed` when the set changed; audited. The tags are
//! about the customer's conversation: exported and erased with them.

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::InboxUnitOfWork;
use crate::messaging::ports::MessagingUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::inbox::{ConversationTagsChanged, InboxEvent, parse_tags};
use domain::shared::problem::Problem;
use domain::{ConversationId, Events, ShopId};

#[derive(Debug, Validate)]
pub struct SetConversationTags {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    pub tags: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SetConversationTagsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such conversation")]
    NotFound,
    #[error("the tags are not valid")]
    Problems(Vec<Problem>),
    #[error("could not store the tags")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(SetConversationTagsError);

/// The tags now, and whether they changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Tagged {
    pub tags: Vec<String>,
    pub changed: Option<ConversationTagsChanged>,
}

impl Command for SetConversationTags {
    type Output = Tagged;
    type Error = SetConversationTagsError;
    const NAME: &'static str = "SetConversationTags";

    fn audit(&self, t: &Tagged) -> Option<Audited> {
        t.changed.as_ref().map(|e| Audited {
            shop_id: self.shop_id,
            action: "conversation.tags.changed",
            subject_type: "conversation",
            subject_id: Some(self.conversation_id.to_string()),
            details: json!({"added": e.added, "removed": e.removed}),
        })
    }
}

pub struct SetConversationTagsHandler {
    pub clock: std::sync::Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<SetConversationTags> for SetConversationTagsHandler {
    async fn handle(&self, cmd: &SetConversationTags, uow: &mut dyn UnitOfWork) -> Result<Tagged, SetConversationTagsError> {
        let tags = parse_tags(&cmd.tags).map_err(SetConversationTagsError::Problems)?;
        let found = uow.conversations().find(cmd.shop_id, cmd.conversation_id).await?.ok_or(SetConversationTagsError::NotFound)?;
        // The conversation's row orders concurrent replacements of its tags.
        let c = uow.conversations().lock_many(&[found.id()]).await?.pop().ok_or(SetConversationTagsError::NotFound)?;
        let before = uow.inbox().tags_of(c.id()).await?;
        let changed = ConversationTagsChanged::between(cmd.shop_id, c.id(), c.customer_id(), &before, &tags);
        if let Some(e) = &changed {
            uow.inbox().replace_tags(cmd.shop_id, c.id(), c.customer_id(), &tags).await?;
            uow.outbox().append(&Events::from(InboxEvent::from(e.clone())), self.clock.now()).await?;
        }
        Ok(Tagged { tags: if changed.is_some() { tags } else { before }, changed })
    }
}
