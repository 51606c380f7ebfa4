//! AssignConversation (`POST /api/v1/conversations/{id}/assign` and `…/unassign`): people take a
//! customer's thread and give it to a member of the team, or take it from them (it stays with
//! people, nobody in particular). People owning the thread silences the automated responders
//! (ADR 15) for the shop's hand-back time. Emits `conversation.assigned` and, when the owner
//! changed, `conversation.owner.changed`; audited.
//!
//! Capacity is enforced in the write: the member's row is locked before their load is counted,
//! so two assignments to one member queue and the second sees the first. Lock order (ADR 7):
//! the conversation, then the thread, then the member.

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
use crate::team::ports::TeamUnitOfWork;
use crate::tenancy::ports::TenancyUnitOfWork;
use crate::turns::ports::TurnsUnitOfWork;
use domain::inbox::{AssignRefusal, ConversationAssigned, InboxEvent, check_assignee};
use domain::turns::{Owner, Thread, TurnEvent};
use domain::{ConversationId, Events, MemberId, ShopId};

#[derive(Debug, Validate)]
pub struct AssignConversation {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    /// `None`: unassign (people keep the thread, nobody in particular).
    pub member_id: Option<MemberId>,
    /// A transfer from one member to another (`…/transfer`): reason `transferred`.
    pub transfer: bool,
}

impl AssignConversation {
    fn reason(&self) -> &'static str {
        match (self.transfer, self.member_id) {
            (true, _) => "transferred",
            (false, Some(_)) => "assigned",
            (false, None) => "unassigned",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AssignConversationError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such conversation")]
    NotFound,
    /// The member named cannot take it (not the shop's, deactivated, at capacity).
    #[error("the member {0}")]
    Refused(AssignRefusal),
    #[error("could not assign the conversation")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(AssignConversationError);

/// Who holds the thread now.
#[derive(Debug, Clone, PartialEq)]
pub struct Assigned {
    pub thread: Thread,
    pub member_id: Option<MemberId>,
    pub previous_member_id: Option<MemberId>,
    /// Whether anything changed (assigning to the current assignee changes nothing).
    pub changed: bool,
}

impl Command for AssignConversation {
    type Output = Assigned;
    type Error = AssignConversationError;
    const NAME: &'static str = "AssignConversation";

    fn audit(&self, a: &Assigned) -> Option<Audited> {
        a.changed.then(|| Audited {
            shop_id: self.shop_id,
            action: match self.reason() {
                "transferred" => "conversation.transferred",
                "assigned" => "conversation.assigned",
                _ => "conversation.unassigned",
            },
            subject_type: "conversation",
            subject_id: Some(self.conversation_id.to_string()),
            details: json!({"memberId": a.member_id, "previousMemberId": a.previous_member_id}),
        })
    }
}

pub struct AssignConversationHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<AssignConversation> for AssignConversationHandler {
    async fn handle(&self, cmd: &AssignConversation, uow: &mut dyn UnitOfWork) -> Result<Assigned, AssignConversationError> {
        let now = self.clock.now();
        let found = uow.conversations().find(cmd.shop_id, cmd.conversation_id).await?.ok_or(AssignConversationError::NotFound)?;
        let mut conversation = uow.conversations().lock_many(&[found.id()]).await?.pop().ok_or(AssignConversationError::NotFound)?;
        let (account, wa_id) = (conversation.account_id(), conversation.wa_id().clone());
        let mut thread = match uow.threads().lock(account, &wa_id).await? {
            Some(t) => t,
            // A conversation from before threads (or only outbound so far): its thread starts now.
            None => Thread::new(cmd.shop_id, account, conversation.customer_id(), wa_id, conversation.id(), now),
        };
        let previous = thread.owner_at(now).member();
        if let Some(member) = cmd.member_id {
            let m = uow.team().lock_member(cmd.shop_id, member).await?;
            let load = match &m {
                Some(_) if previous == Some(member) => 0,
                Some(_) => uow.team().load_of(cmd.shop_id, member, now).await?,
                None => 0,
            };
            check_assignee(m.as_ref(), load).map_err(AssignConversationError::Refused)?;
        }
        let settings = uow.shops().settings_of(&[cmd.shop_id]).await?.remove(&cmd.shop_id).unwrap_or_default();
        let reason = cmd.reason();
        let mut events = Events::new();
        let was_people = matches!(thread.owner_at(now), Owner::People { .. });
        if let Some(e) = thread.hand_to_people(cmd.member_id, reason, settings.hand_back(), now) {
            events.push(TurnEvent::from(e));
        }
        let changed = previous != cmd.member_id || !was_people;
        if changed {
            events.push(InboxEvent::from(ConversationAssigned::of(&thread, cmd.member_id, previous, reason)));
        }
        if conversation.assign(cmd.member_id) {
            uow.conversations().update_many(&[&conversation]).await?;
        }
        uow.threads().save(&thread).await?;
        uow.outbox().append(&events, now).await?;
        Ok(Assigned { thread, member_id: cmd.member_id, previous_member_id: previous, changed })
    }
}
