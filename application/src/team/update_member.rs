//! UpdateMember (`PATCH /api/v1/agents/{id}`): an admin changes a member's name, email,
//! capacity or skills, or deactivates them (`active: false`: they keep their history and get no
//! new work) or activates them again; `agent.updated` when something changed; audited.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::create_member::{audited, email_taken};
use super::ports::TeamUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::shared::problem::Problem;
use domain::team::{Member, MemberDraft, MemberSnapshot, TeamEvent};
use domain::{Events, MemberId, ShopId};

#[derive(Debug, Validate)]
pub struct UpdateMember {
    pub shop_id: ShopId,
    pub id: MemberId,
    pub draft: MemberDraft,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateMemberError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such member")]
    NotFound,
    #[error("the member is not valid")]
    Problems(Vec<Problem>),
    #[error("could not store the member")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(UpdateMemberError);

impl Command for UpdateMember {
    type Output = Member;
    type Error = UpdateMemberError;
    const NAME: &'static str = "UpdateMember";

    fn audit(&self, m: &Member) -> Option<Audited> {
        Some(audited(self.shop_id, "agent.updated", m))
    }
}

pub struct UpdateMemberHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<UpdateMember> for UpdateMemberHandler {
    async fn handle(&self, cmd: &UpdateMember, uow: &mut dyn UnitOfWork) -> Result<Member, UpdateMemberError> {
        let now = self.clock.now();
        let mut m = uow.team().lock_member(cmd.shop_id, cmd.id).await?.ok_or(UpdateMemberError::NotFound)?;
        let mut events = Events::new();
        match m.update(&cmd.draft, now).map_err(UpdateMemberError::Problems)? {
            None => {}
            Some(e) => {
                if cmd.draft.email.is_some() && uow.team().email_taken(cmd.shop_id, &e.email, Some(cmd.id)).await? {
                    return Err(UpdateMemberError::Problems(email_taken()));
                }
                events.push(TeamEvent::from(e));
            }
        }
        if let Some(status) = cmd.draft.status.as_deref().and_then(domain::team::MemberStatus::parse)
            && let Some(e) = m.set_status(status, now)
        {
            events.push(TeamEvent::from(e));
        }
        if events.is_empty() {
            return Ok(m);
        }
        uow.team().update_member(&m).await?;
        uow.outbox().append(&events, now).await?;
        Ok(Member::restore(MemberSnapshot { version: m.snapshot().version + 1, ..m.snapshot().clone() }))
    }
}
