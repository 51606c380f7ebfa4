//! CreateMember (`POST /api/v1/agents`): an admin adds a member to the team, checked whole (an
//! email already in the team is named); `agent.created`; audited.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::TeamUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::shared::problem::Problem;
use domain::team::{Member, MemberDraft};
use domain::{Events, ShopId};

#[derive(Debug, Validate)]
pub struct CreateMember {
    pub shop_id: ShopId,
    pub draft: MemberDraft,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateMemberError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the member is not valid")]
    Problems(Vec<Problem>),
    #[error("could not store the member")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CreateMemberError);

pub(crate) fn audited(shop_id: ShopId, action: &'static str, m: &Member) -> Audited {
    let s = m.snapshot();
    Audited {
        shop_id,
        action,
        subject_type: "agent",
        subject_id: Some(s.id.to_string()),
        details: json!({"name": s.name, "status": s.status.as_str(), "capacity": s.capacity, "skills": s.skills, "active": s.active}),
    }
}

pub(crate) fn email_taken() -> Vec<Problem> {
    vec![Problem::new("email", "is already a member of this shop's team")]
}

impl Command for CreateMember {
    type Output = Member;
    type Error = CreateMemberError;
    const NAME: &'static str = "CreateMember";

    fn audit(&self, m: &Member) -> Option<Audited> {
        Some(audited(self.shop_id, "agent.created", m))
    }
}

pub struct CreateMemberHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<CreateMember> for CreateMemberHandler {
    async fn handle(&self, cmd: &CreateMember, uow: &mut dyn UnitOfWork) -> Result<Member, CreateMemberError> {
        let now = self.clock.now();
        // Checked whole: a taken email is named beside whatever else is wrong.
        let email = cmd.draft.email.as_deref().map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty());
        let taken = match &email {
            Some(e) => uow.team().email_taken(cmd.shop_id, e, None).await?,
            None => false,
        };
        let (m, e) = match Member::create(cmd.shop_id, &cmd.draft, now) {
            Ok(_) if taken => return Err(CreateMemberError::Problems(email_taken())),
            Ok(created) => created,
            Err(mut problems) => {
                if taken {
                    problems.extend(email_taken());
                }
                return Err(CreateMemberError::Problems(problems));
            }
        };
        uow.team().insert_member(&m).await?;
        uow.outbox().append(&Events::from(domain::team::TeamEvent::from(e)), now).await?;
        Ok(m)
    }
}
