//! RouteThread: a thread that needs a person (people own it, nobody in particular, and the
//! customer waits) goes to a member of its department by the department's policy, or of the
//! whole team (`capacity_aware`) when it has no department. A thread not routed yet gets its
//! department from the first routing rule that matches (`/api/v1/routing/rules`). Nobody fits (all away, at capacity,
//! outside working hours, or a `manual` department): it stays in the queue, in the order it
//! started waiting. Emits `conversation.owner.changed` and `conversation.assigned` (reason
//! `routed`).
//!
//! Enforced in the write (ADR 7's lock order): the conversation, then the thread (still waiting?),
//! then the department, then its members in id order; their loads are counted under those locks,
//! so two routers, or a router and a hand-picked assignment, never put a member above capacity.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::InboxUnitOfWork;
use crate::customers::ports::CustomerReads;
use crate::messaging::ports::MessagingUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::team::ports::TeamUnitOfWork;
use crate::tenancy::ports::TenancyUnitOfWork;
use crate::turns::ports::TurnsUnitOfWork;
use domain::inbox::{Candidate, ConversationAssigned, InboxEvent, Need, choose, first_match};
use domain::team::RoutingPolicy;
use domain::turns::{Thread, TurnEvent};
use domain::{ConversationId, Events, MemberId, ShopId};

#[derive(Debug, Validate)]
pub struct RouteThread {
    pub shop_id: ShopId,
    /// The thread, by its latest conversation (as the queue lists it).
    pub conversation_id: ConversationId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routed {
    /// Given to this member.
    To(MemberId),
    /// Nobody fits now: it waits in the queue.
    Waiting,
    /// It no longer needs a person (answered, assigned, handed back, or gone).
    NotWaiting,
}

#[derive(Debug, thiserror::Error)]
pub enum RouteThreadError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not route the thread")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RouteThreadError);

impl Command for RouteThread {
    type Output = Routed;
    type Error = RouteThreadError;
    const NAME: &'static str = "RouteThread";
}

pub struct RouteThreadHandler {
    pub clock: Arc<dyn Clock>,
    /// The customer's tags and language, for `skills` (read outside the locks: customers come
    /// before conversations in the lock order).
    pub customers: Arc<dyn CustomerReads>,
}

#[async_trait]
impl CommandHandler<RouteThread> for RouteThreadHandler {
    async fn handle(&self, cmd: &RouteThread, uow: &mut dyn UnitOfWork) -> Result<Routed, RouteThreadError> {
        let now = self.clock.now();
        let Some(mut conversation) = uow.conversations().lock_many(&[cmd.conversation_id]).await?.pop() else {
            return Ok(Routed::NotWaiting);
        };
        if conversation.shop_id() != cmd.shop_id {
            return Ok(Routed::NotWaiting);
        }
        let Some(mut thread) = uow.threads().lock(conversation.account_id(), conversation.wa_id()).await? else {
            return Ok(Routed::NotWaiting);
        };
        if !thread.needs_a_person(now) || thread.waiting_since().is_none() {
            return Ok(Routed::NotWaiting);
        }
        let settings = uow.shops().settings_of(&[cmd.shop_id]).await?.remove(&cmd.shop_id).unwrap_or_default();
        let unrouted = thread.snapshot().department_id.is_none();
        if unrouted {
            // Not routed yet: the first routing rule that matches names its department.
            let rules = uow.inbox().rules_of(cmd.shop_id).await?;
            if !rules.is_empty() {
                let (tags, language) = self.customer(&thread).await?;
                let to = first_match(&rules, &tags, language.as_deref(), thread.snapshot().account_id);
                thread.route_to(to, now);
            }
        }
        let department = match thread.snapshot().department_id {
            Some(d) => uow.team().lock_department(cmd.shop_id, d).await?,
            None => None,
        };
        let (policy, ids) = match &department {
            Some(d) if !d.is_open(&settings, now) => {
                return waits(uow, &thread, unrouted && thread.snapshot().department_id.is_some()).await;
            }
            Some(d) => (d.snapshot().routing_policy, Some(d.snapshot().member_ids.clone())),
            None if !settings.is_open(now) => return waits(uow, &thread, unrouted && thread.snapshot().department_id.is_some()).await,
            None => (RoutingPolicy::CapacityAware, None),
        };
        if policy == RoutingPolicy::Manual {
            return waits(uow, &thread, unrouted && thread.snapshot().department_id.is_some()).await;
        }
        let mut team = uow.team().lock_team(cmd.shop_id, ids.as_deref()).await?;
        let loads = uow.team().loads_of(cmd.shop_id, &team.iter().map(|m| m.id()).collect::<Vec<_>>(), now).await?;
        // In the department's order (ties go to the first named); the whole team by id.
        if let Some(order) = &ids {
            team.sort_by_key(|m| order.iter().position(|id| *id == m.id()));
        }
        let candidates: Vec<Candidate> = team.iter().map(|m| Candidate::of(m, loads.get(&m.id()).copied().unwrap_or(0))).collect();
        let need = self.need(policy, &thread, now).await?;
        let Some(chosen) = choose(policy, &candidates, &need) else {
            return waits(uow, &thread, unrouted && thread.snapshot().department_id.is_some()).await;
        };
        let mut events = Events::new();
        if let Some(e) = thread.hand_to_people(Some(chosen), "routed", settings.hand_back(), now) {
            events.push(TurnEvent::from(e));
        }
        events.push(InboxEvent::from(ConversationAssigned::of(&thread, Some(chosen), None, "routed")));
        if conversation.assign(Some(chosen)) {
            uow.conversations().update_many(&[&conversation]).await?;
        }
        if let Some(m) = team.iter_mut().find(|m| m.id() == chosen) {
            m.routed(now);
            uow.team().update_member(m).await?;
        }
        uow.threads().save(&thread).await?;
        uow.outbox().append(&events, now).await?;
        Ok(Routed::To(chosen))
    }
}

/// Nobody takes it now: it keeps its place (and the department a rule just gave it).
async fn waits(uow: &mut dyn UnitOfWork, thread: &Thread, ruled: bool) -> Result<Routed, RouteThreadError> {
    if ruled {
        uow.threads().save(thread).await?;
    }
    Ok(Routed::Waiting)
}

impl RouteThreadHandler {
    async fn need(&self, policy: RoutingPolicy, thread: &Thread, now: chrono::DateTime<chrono::Utc>) -> Result<Need, RepoError> {
        let waited = thread.waiting_since().map_or(chrono::Duration::zero(), |w| now - w);
        if policy != RoutingPolicy::Skills {
            return Ok(Need { waited, ..Default::default() });
        }
        let (tags, language) = self.customer(thread).await?;
        Ok(Need { tags, language, waited })
    }

    /// The customer's tags and language.
    async fn customer(&self, thread: &Thread) -> Result<(Vec<String>, Option<String>), RepoError> {
        let s = thread.snapshot();
        let c = self.customers.by_id(s.shop_id, s.customer_id).await?;
        Ok(c.map(|c| (c.snapshot().tags.clone(), c.snapshot().language.clone())).unwrap_or_default())
    }
}
