//! RecordHandlings: the agent statistics' projection (docs/INBOX.md). Fed by the `agent-stats`
//! consumer from the outbox, in `seq` order: an assignment ends the conversation's open handling
//! and starts the new member's; a member's reply marks their first response; closing the
//! conversation ends its handling as resolved. At least once: a redelivered assignment is
//! recognised by its event id, and ends and first replies only touch handlings that started
//! before them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use validator::Validate;

use super::ports::InboxUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::inbox::stats::{Handling, HandlingEnd};
use domain::{ConversationId, DepartmentId, MemberId, ShopId, ThreadId};

/// What an event says about handlings.
#[derive(Debug, Clone, PartialEq)]
pub enum HandlingChange {
    /// `conversation.assigned`: the previous member's handling ends; the new member's starts.
    Assigned {
        event_id: uuid::Uuid,
        shop_id: ShopId,
        conversation_id: ConversationId,
        thread_id: ThreadId,
        member_id: Option<MemberId>,
        department_id: Option<DepartmentId>,
        /// `sla` when the SLA took the thread back.
        reason: String,
        at: DateTime<Utc>,
    },
    /// `message.sent` by a member.
    Replied { conversation_id: ConversationId, member_id: MemberId, at: DateTime<Utc> },
    /// `conversation.inbox_state.changed` to `closed`.
    Closed { conversation_id: ConversationId, at: DateTime<Utc> },
}

#[derive(Debug, Validate)]
pub struct RecordHandlings {
    /// In the outbox's order.
    pub changes: Vec<HandlingChange>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordHandlingsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not record the handlings")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RecordHandlingsError);

impl Command for RecordHandlings {
    type Output = ();
    type Error = RecordHandlingsError;
    const NAME: &'static str = "RecordHandlings";
}

pub struct RecordHandlingsHandler;

#[async_trait]
impl CommandHandler<RecordHandlings> for RecordHandlingsHandler {
    async fn handle(&self, cmd: &RecordHandlings, uow: &mut dyn UnitOfWork) -> Result<(), RecordHandlingsError> {
        for change in &cmd.changes {
            match change {
                HandlingChange::Assigned { event_id, shop_id, conversation_id, thread_id, member_id, department_id, reason, at } => {
                    if uow.inbox().handling_recorded(*event_id).await? {
                        continue;
                    }
                    let end = if reason == "sla" { HandlingEnd::Sla } else { HandlingEnd::Reassigned };
                    uow.inbox().end_handling(*conversation_id, *at, end).await?;
                    let Some(member_id) = member_id else { continue };
                    let department_id = match department_id {
                        Some(d) => Some(*d),
                        None => uow.inbox().thread_department(*thread_id).await?,
                    };
                    let h = Handling {
                        conversation_id: *conversation_id,
                        member_id: *member_id,
                        department_id,
                        assigned_at: *at,
                        first_response_at: None,
                        ended_at: None,
                        end: None,
                    };
                    uow.inbox().start_handling(*event_id, *shop_id, &h).await?;
                }
                HandlingChange::Replied { conversation_id, member_id, at } => {
                    uow.inbox().first_response(*conversation_id, *member_id, *at).await?;
                }
                HandlingChange::Closed { conversation_id, at } => {
                    uow.inbox().end_handling(*conversation_id, *at, HandlingEnd::Closed).await?;
                }
            }
        }
        Ok(())
    }
}
