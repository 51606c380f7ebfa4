//! TransferToDepartment (`POST /api/v1/conversations/{id}/transfer` with `departmentId`): the
//! customer's thread goes to another department: it leaves its member (people keep it, nobody in
//! particular) and waits in the queue for that department's members, in the order the customer
//! started waiting; routing picks it up (`RouteThread`). Emits `conversation.assigned` (reason
//! `transferred`, with the department), and `conversation.owner.changed` when people had not
//! owned the thread; audited.
//!
//! Lock order (ADR 7): the conversation, then the thread, then the department.

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
use domain::inbox::{ConversationAssigned, InboxEvent};
use domain::turns::{Thread, TurnEvent};
use domain::{ConversationId, DepartmentId, Events, MemberId, ShopId};

#[derive(Debug, Validate)]
pub struct TransferToDepartment {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    pub department_id: DepartmentId,
}

#[derive(Debug, thiserror::Error)]
pub enum TransferToDepartmentError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such conversation")]
    NotFound,
    /// The department is not one of the shop's.
    #[error("no such department in this shop")]
    UnknownDepartment,
    #[error("could not transfer the conversation")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(TransferToDepartmentError);

/// The thread, waiting for the department, and the member it left.
#[derive(Debug, Clone, PartialEq)]
pub struct Transferred {
    pub thread: Thread,
    pub previous_member_id: Option<MemberId>,
}

impl Command for TransferToDepartment {
    type Output = Transferred;
    type Error = TransferToDepartmentError;
    const NAME: &'static str = "TransferToDepartment";

    fn audit(&self, t: &Transferred) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "conversation.transferred",
            subject_type: "conversation",
            subject_id: Some(self.conversation_id.to_string()),
            details: json!({"departmentId": self.department_id, "previousMemberId": t.previous_member_id}),
        })
    }
}

pub struct TransferToDepartmentHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<TransferToDepartment> for TransferToDepartmentHandler {
    async fn handle(&self, cmd: &TransferToDepartment, uow: &mut dyn UnitOfWork) -> Result<Transferred, TransferToDepartmentError> {
        let now = self.clock.now();
        let found = uow.conversations().find(cmd.shop_id, cmd.conversation_id).await?.ok_or(TransferToDepartmentError::NotFound)?;
        let mut conversation = uow.conversations().lock_many(&[found.id()]).await?.pop().ok_or(TransferToDepartmentError::NotFound)?;
        let (account, wa_id) = (conversation.account_id(), conversation.wa_id().clone());
        let mut thread = match uow.threads().lock(account, &wa_id).await? {
            Some(t) => t,
            None => Thread::new(cmd.shop_id, account, conversation.customer_id(), wa_id, conversation.id(), now),
        };
        uow.team().lock_department(cmd.shop_id, cmd.department_id).await?.ok_or(TransferToDepartmentError::UnknownDepartment)?;
        let previous = thread.owner_at(now).member();
        let settings = uow.shops().settings_of(&[cmd.shop_id]).await?.remove(&cmd.shop_id).unwrap_or_default();
        let mut events = Events::new();
        thread.route_to(Some(cmd.department_id), now);
        if let Some(e) = thread.hand_to_people(None, "transferred", settings.hand_back(), now) {
            events.push(TurnEvent::from(e));
        }
        let mut assigned = ConversationAssigned::of(&thread, None, previous, "transferred");
        assigned.department_id = Some(cmd.department_id);
        events.push(InboxEvent::from(assigned));
        if conversation.assign(None) {
            uow.conversations().update_many(&[&conversation]).await?;
        }
        uow.threads().save(&thread).await?;
        uow.outbox().append(&events, now).await?;
        Ok(Transferred { thread, previous_member_id: previous })
    }
}
