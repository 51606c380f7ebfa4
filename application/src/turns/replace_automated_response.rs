//! ReplaceAutomatedResponse (`PUT`): an admin replaces what a rule says (its statistics stay);
//! checked whole; audited.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::create_automated_response::{audited, second_active};
use super::ports::TurnsUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::shared::problem::Problem;
use domain::turns::{AutomatedResponse, ResponseDraft};
use domain::{AutomatedResponseId, ShopId};

#[derive(Debug, Validate)]
pub struct ReplaceAutomatedResponse {
    pub shop_id: ShopId,
    pub id: AutomatedResponseId,
    pub draft: ResponseDraft,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplaceAutomatedResponseError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such automated response")]
    NotFound,
    #[error("the automated response is not valid")]
    Problems(Vec<Problem>),
    #[error("the shop already has an active {0} message")]
    OneActive(&'static str),
    #[error("could not store the automated response")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ReplaceAutomatedResponseError);

impl Command for ReplaceAutomatedResponse {
    type Output = AutomatedResponse;
    type Error = ReplaceAutomatedResponseError;
    const NAME: &'static str = "ReplaceAutomatedResponse";

    fn audit(&self, r: &AutomatedResponse) -> Option<Audited> {
        Some(audited(self.shop_id, "automated_response.updated", r))
    }
}

pub struct ReplaceAutomatedResponseHandler {
    pub clock: Arc<dyn Clock>,
    /// Forgotten for the shop, so the change answers the next turn.
    pub rules: Arc<super::rule_cache::RuleCache>,
}

#[async_trait]
impl CommandHandler<ReplaceAutomatedResponse> for ReplaceAutomatedResponseHandler {
    async fn handle(
        &self,
        cmd: &ReplaceAutomatedResponse,
        uow: &mut dyn UnitOfWork,
    ) -> Result<AutomatedResponse, ReplaceAutomatedResponseError> {
        let mut rule = uow.automated_responses().lock(cmd.shop_id, cmd.id).await?.ok_or(ReplaceAutomatedResponseError::NotFound)?;
        rule.replace(&cmd.draft, self.clock.now()).map_err(ReplaceAutomatedResponseError::Problems)?;
        if let Some(kind) = second_active(uow, &rule).await? {
            return Err(ReplaceAutomatedResponseError::OneActive(kind));
        }
        uow.automated_responses().update(&rule).await?;
        self.rules.forget(cmd.shop_id);
        Ok(AutomatedResponse::restore(domain::turns::AutomatedResponseSnapshot {
            version: rule.snapshot().version + 1,
            ..rule.snapshot().clone()
        }))
    }
}
