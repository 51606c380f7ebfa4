//! SetMemberStatus (`PUT /api/v1/agents/{id}/status`): available, away or offline; only
//! available members receive work. `agent.status.changed` when it changed; audited.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::create_member::audited;
use super::ports::TeamUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::team::{Member, MemberSnapshot, MemberStatus, TeamEvent};
use domain::{Events, MemberId, ShopId};

#[derive(Debug, Validate)]
pub struct SetMemberStatus {
    pub shop_id: ShopId,
    pub id: MemberId,
    pub status: MemberStatus,
}

#[derive(Debug, thiserror::Error)]
pub enum SetMemberStatusError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such member")]
    NotFound,
    #[error("could not store the member")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(SetMemberStatusError);

impl Command for SetMemberStatus {
    type Output = Member;
    type Error = SetMemberStatusError;
    const NAME: &'static str = "SetMemberStatus";

    fn audit(&self, m: &Member) -> Option<Audited> {
        Some(audited(self.shop_id, "agent.status.changed", m))
    }
}

pub struct SetMemberStatusHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<SetMemberStatus> for SetMemberStatusHandler {
    async fn handle(&self, cmd: &SetMemberStatus, uow: &mut dyn UnitOfWork) -> Result<Member, SetMemberStatusError> {
        let now = self.clock.now();
        let mut m = uow.team().lock_member(cmd.shop_id, cmd.id).await?.ok_or(SetMemberStatusError::NotFound)?;
        let Some(e) = m.set_status(cmd.status, now) else {
            return Ok(m);
        };
        uow.team().update_member(&m).await?;
        uow.outbox().append(&Events::from(TeamEvent::from(e)), now).await?;
        Ok(Member::restore(MemberSnapshot { version: m.snapshot().version + 1, ..m.snapshot().clone() }))
    }
}
