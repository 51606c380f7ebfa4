//! SetPending (`POST /api/v1/conversations/{id}/pending`): people set a conversation aside,
//! waiting on someone else (another team, a supplier), with a reason. The window (`status`), the
//! owner and the assignee are untouched: the member still holds it. Setting aside a pending
//! conversation is a conflict; the customer writing again, or reopening, makes it `open`.
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
use domain::messaging::{Conversation, MessagingEvent};
use domain::{ConversationId, Events, ShopId};

#[derive(Debug, Validate)]
pub struct SetPending {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SetPendingError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such conversation")]
    NotFound,
    #[error("the conversation is already pending")]
    AlreadyPending,
    #[error("could not change the conversation")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(SetPendingError);

impl Command for SetPending {
    type Output = Conversation;
    type Error = SetPendingError;
    const NAME: &'static str = "SetPending";

    fn audit(&self, c: &Conversation) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "conversation.pending",
            subject_type: "conversation",
            subject_id: Some(c.id().to_string()),
            details: json!({"reason": self.reason}),
        })
    }
}

pub struct SetPendingHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<SetPending> for SetPendingHandler {
    async fn handle(&self, cmd: &SetPending, uow: &mut dyn UnitOfWork) -> Result<Conversation, SetPendingError> {
        let now = self.clock.now();
        let mut c = uow.conversations().lock_many(&[cmd.conversation_id]).await?.pop().ok_or(SetPendingError::NotFound)?;
        if c.shop_id() != cmd.shop_id {
            return Err(SetPendingError::NotFound);
        }
        let e = c.set_pending(&cmd.reason).map_err(|_| SetPendingError::AlreadyPending)?;
        let mut events = Events::new();
        events.push(MessagingEvent::from(e));
        uow.conversations().update_many(&[&c]).await?;
        uow.outbox().append(&events, now).await?;
        Ok(Conversation::restore(domain::messaging::ConversationSnapshot { version: c.snapshot().version + 1, ..c.snapshot().clone() }))
    }
}
