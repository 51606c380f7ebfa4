//! AddNote (`POST /api/v1/conversations/{id}/notes`): people write an internal note on a
//! conversation, never sent to the customer, with its author (the request's actor);
//! `conversation.note.added`; the note is personal data about the customer (exported, erased).

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::InboxUnitOfWork;
use crate::messaging::ports::MessagingUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::inbox::{InboxEvent, Note};
use domain::shared::problem::Problem;
use domain::{ConversationId, Events, MemberId, ShopId};

#[derive(Debug, Validate)]
pub struct AddNote {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    /// The actor, as the audit log names it (`api-key:<id>`).
    pub author: String,
    /// The member the author's key acts for, if bound.
    pub member_id: Option<MemberId>,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AddNoteError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such conversation")]
    NotFound,
    #[error("the note is not valid")]
    Problem(Problem),
    #[error("could not store the note")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(AddNoteError);

impl Command for AddNote {
    type Output = Note;
    type Error = AddNoteError;
    const NAME: &'static str = "AddNote";
}

pub struct AddNoteHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<AddNote> for AddNoteHandler {
    async fn handle(&self, cmd: &AddNote, uow: &mut dyn UnitOfWork) -> Result<Note, AddNoteError> {
        let now = self.clock.now();
        let c = uow.conversations().find(cmd.shop_id, cmd.conversation_id).await?.ok_or(AddNoteError::NotFound)?;
        let (note, e) =
            Note::write(cmd.shop_id, c.id(), c.customer_id(), &cmd.author, cmd.member_id, &cmd.body, now).map_err(AddNoteError::Problem)?;
        uow.inbox().insert_note(&note).await?;
        uow.outbox().append(&Events::from(InboxEvent::from(e)), now).await?;
        Ok(note)
    }
}
