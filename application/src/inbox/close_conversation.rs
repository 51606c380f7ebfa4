//! CloseConversation and ReopenConversation (`POST /api/v1/conversations/{id}/close` and
//! `…/reopen`): people are done with a conversation, with a reason, or take it up again. The
//! window (`status`) is untouched. Closing hands the thread back to the automated responders
//! (its member's capacity is free again); closing a closed conversation is a conflict. Reopening
//! an older window while a newer one is active reopens the thread's latest window instead (the
//! answer names it). A customer writing again opens a closed conversation by itself.
//! `conversation.inbox_state.changed`; audited.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use crate::messaging::ports::MessagingUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::turns::ports::TurnsUnitOfWork;
use domain::messaging::{Conversation, MessagingEvent};
use domain::turns::TurnEvent;
use domain::{ConversationId, Events, ShopId};

#[derive(Debug, Validate)]
pub struct CloseConversation {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    /// `Some`: close with this reason; `None`: reopen.
    #[validate(length(min = 1, max = 100))]
    pub close_reason: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CloseConversationError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such conversation")]
    NotFound,
    #[error("the conversation is already closed")]
    AlreadyClosed,
    #[error("could not change the conversation")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CloseConversationError);

impl Command for CloseConversation {
    /// The conversation as it is now (on reopening, possibly the thread's latest window).
    type Output = Conversation;
    type Error = CloseConversationError;
    const NAME: &'static str = "CloseConversation";

    fn audit(&self, c: &Conversation) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: if self.close_reason.is_some() { "conversation.closed" } else { "conversation.reopened" },
            subject_type: "conversation",
            subject_id: Some(c.id().to_string()),
            details: json!({"reason": self.close_reason, "inboxState": c.inbox_state().as_str()}),
        })
    }
}

pub struct CloseConversationHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<CloseConversation> for CloseConversationHandler {
    async fn handle(&self, cmd: &CloseConversation, uow: &mut dyn UnitOfWork) -> Result<Conversation, CloseConversationError> {
        let now = self.clock.now();
        let found = uow.conversations().find(cmd.shop_id, cmd.conversation_id).await?.ok_or(CloseConversationError::NotFound)?;
        // Reopening an older window: the thread's latest one is what people take up again.
        let target = match &cmd.close_reason {
            None => uow.conversations().latest(found.account_id(), found.wa_id()).await?.map_or(found.id(), |l| l.id()),
            Some(_) => found.id(),
        };
        let mut c = uow.conversations().lock_many(&[target]).await?.pop().ok_or(CloseConversationError::NotFound)?;
        let mut events = Events::new();
        let changed = match &cmd.close_reason {
            Some(reason) => Some(c.close_in_inbox(reason).map_err(|_| CloseConversationError::AlreadyClosed)?),
            None => c.reopen_in_inbox(),
        };
        let Some(e) = changed else {
            return Ok(c);
        };
        events.push(MessagingEvent::from(e));
        if cmd.close_reason.is_some()
            && let Some(mut thread) = uow.threads().lock(c.account_id(), c.wa_id()).await?
        {
            if let Some(e) = thread.closed_by_people(now) {
                events.push(TurnEvent::from(e));
            }
            uow.threads().save(&thread).await?;
        }
        uow.conversations().update_many(&[&c]).await?;
        uow.outbox().append(&events, now).await?;
        Ok(Conversation::restore(domain::messaging::ConversationSnapshot { version: c.snapshot().version + 1, ..c.snapshot().clone() }))
    }
}
