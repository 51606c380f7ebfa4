//! EnforceSla: a customer waits on an assignee past their department's SLA (`slaMinutes`, from
//! when they started waiting or when the member took the thread, whichever is later): the thread
//! leaves the member and goes back to the queue, keeping its place (the customer's waiting
//! time), for routing. Emits `conversation.owner.changed` and `conversation.assigned` (reason
//! `sla`). Run by the SLA job, once across replicas; each thread in its own transaction, which
//! checks the deadline again under the locks (ADR 7: the conversation, the thread, the department).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use validator::Validate;

use super::ports::InboxReads;
use crate::RequestContext;
use crate::messaging::ports::MessagingUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler, Pipeline};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::team::ports::TeamUnitOfWork;
use crate::tenancy::ports::TenancyUnitOfWork;
use crate::turns::ports::TurnsUnitOfWork;
use domain::inbox::{ConversationAssigned, InboxEvent};
use domain::turns::{Owner, TurnEvent};
use domain::{ConversationId, Events, MemberId, ShopId};

#[derive(Debug, Validate)]
pub struct ReassignOverdue {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
}

#[derive(Debug, thiserror::Error)]
pub enum ReassignOverdueError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not reassign the overdue thread")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ReassignOverdueError);

impl Command for ReassignOverdue {
    /// The member it was taken from; `None`: not overdue (any more).
    type Output = Option<MemberId>;
    type Error = ReassignOverdueError;
    const NAME: &'static str = "ReassignOverdue";
}

pub struct ReassignOverdueHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<ReassignOverdue> for ReassignOverdueHandler {
    async fn handle(&self, cmd: &ReassignOverdue, uow: &mut dyn UnitOfWork) -> Result<Option<MemberId>, ReassignOverdueError> {
        let now = self.clock.now();
        let Some(mut conversation) = uow.conversations().lock_many(&[cmd.conversation_id]).await?.pop() else { return Ok(None) };
        if conversation.shop_id() != cmd.shop_id {
            return Ok(None);
        }
        let Some(mut thread) = uow.threads().lock(conversation.account_id(), conversation.wa_id()).await? else { return Ok(None) };
        let s = thread.snapshot().clone();
        let (Owner::People { member: Some(member) }, Some(waiting), Some(department)) =
            (thread.owner_at(now), s.waiting_since, s.department_id)
        else {
            return Ok(None);
        };
        let Some(sla) = uow.team().lock_department(cmd.shop_id, department).await?.and_then(|d| d.snapshot().sla_minutes) else {
            return Ok(None);
        };
        let since = s.owner_since.map_or(waiting, |o| o.max(waiting));
        if now - since < Duration::minutes(i64::from(sla)) {
            return Ok(None);
        }
        let settings = uow.shops().settings_of(&[cmd.shop_id]).await?.remove(&cmd.shop_id).unwrap_or_default();
        let mut events = Events::new();
        if let Some(e) = thread.hand_to_people(None, "sla", settings.hand_back(), now) {
            events.push(TurnEvent::from(e));
        }
        let mut e = ConversationAssigned::of(&thread, None, Some(member), "sla");
        e.department_id = Some(department);
        events.push(InboxEvent::from(e));
        if conversation.assign(None) {
            uow.conversations().update_many(&[&conversation]).await?;
        }
        uow.threads().save(&thread).await?;
        uow.outbox().append(&events, now).await?;
        Ok(Some(member))
    }
}

/// The SLA job's pass: every overdue thread (at most `limit`) goes back to the queue.
pub struct EnforceSla {
    pub pipeline: Pipeline,
    pub reassign: ReassignOverdueHandler,
    pub reads: Arc<dyn InboxReads>,
    pub clock: Arc<dyn Clock>,
}

impl EnforceSla {
    pub async fn run(&self, ctx: &RequestContext, limit: u64) -> Result<u64, ReassignOverdueError> {
        let mut n = 0;
        for t in self.reads.overdue_threads(self.clock.now(), limit).await? {
            let s = t.snapshot();
            let cmd = ReassignOverdue { shop_id: s.shop_id, conversation_id: s.conversation_id };
            if self.pipeline.execute(ctx, &self.reassign, cmd).await?.is_some() {
                n += 1;
            }
        }
        Ok(n)
    }
}
