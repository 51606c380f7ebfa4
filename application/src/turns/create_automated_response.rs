//! CreateAutomatedResponse: an admin adds an answer by keyword, the greeting or the away
//! message; checked whole (every problem named); at most one active greeting and one active
//! away message per shop; audited.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::TurnsUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::ShopId;
use domain::shared::problem::Problem;
use domain::turns::{AutomatedResponse, ResponseDraft, Trigger};

#[derive(Debug, Validate)]
pub struct CreateAutomatedResponse {
    pub shop_id: ShopId,
    pub draft: ResponseDraft,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAutomatedResponseError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the automated response is not valid")]
    Problems(Vec<Problem>),
    /// Another active rule has this trigger (greeting, away): one at a time.
    #[error("the shop already has an active {0} message")]
    OneActive(&'static str),
    #[error("could not store the automated response")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CreateAutomatedResponseError);

impl Command for CreateAutomatedResponse {
    type Output = AutomatedResponse;
    type Error = CreateAutomatedResponseError;
    const NAME: &'static str = "CreateAutomatedResponse";

    fn audit(&self, r: &AutomatedResponse) -> Option<Audited> {
        Some(audited(self.shop_id, "automated_response.created", r))
    }
}

pub(crate) fn audited(shop_id: ShopId, action: &'static str, r: &AutomatedResponse) -> Audited {
    let s = r.snapshot();
    Audited {
        shop_id,
        action,
        subject_type: "automated_response",
        subject_id: Some(s.id.to_string()),
        details: json!({"name": s.name, "trigger": s.trigger.kind(), "active": s.active, "priority": s.priority}),
    }
}

/// The trigger kind another active rule already holds, if `rule` would be a second one.
pub(crate) async fn second_active(uow: &mut dyn UnitOfWork, rule: &AutomatedResponse) -> Result<Option<&'static str>, RepoError> {
    if !rule.is_active() || matches!(rule.trigger(), Trigger::Keywords(_)) {
        return Ok(None);
    }
    let kind = rule.trigger().kind();
    let others = uow.automated_responses().of_shop(rule.snapshot().shop_id).await?;
    Ok(others.iter().any(|o| o.id() != rule.id() && o.is_active() && o.trigger().kind() == kind).then_some(kind))
}

pub struct CreateAutomatedResponseHandler {
    pub clock: Arc<dyn Clock>,
    /// Forgotten for the shop, so the change answers the next turn.
    pub rules: Arc<super::rule_cache::RuleCache>,
}

#[async_trait]
impl CommandHandler<CreateAutomatedResponse> for CreateAutomatedResponseHandler {
    async fn handle(
        &self,
        cmd: &CreateAutomatedResponse,
        uow: &mut dyn UnitOfWork,
    ) -> Result<AutomatedResponse, CreateAutomatedResponseError> {
        let rule = AutomatedResponse::create(cmd.shop_id, &cmd.draft, self.clock.now()).map_err(CreateAutomatedResponseError::Problems)?;
        if let Some(kind) = second_active(uow, &rule).await? {
            return Err(CreateAutomatedResponseError::OneActive(kind));
        }
        uow.automated_responses().insert(&rule).await?;
        self.rules.forget(cmd.shop_id);
        Ok(rule)
    }
}
