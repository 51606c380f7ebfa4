//! DeleteAutomatedResponse: an admin removes a rule; audited.

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::TurnsUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::{AutomatedResponseId, ShopId};

#[derive(Debug, Validate)]
pub struct DeleteAutomatedResponse {
    pub shop_id: ShopId,
    pub id: AutomatedResponseId,
}

#[derive(Debug, thiserror::Error)]
pub enum DeleteAutomatedResponseError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such automated response")]
    NotFound,
    #[error("could not delete the automated response")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(DeleteAutomatedResponseError);

impl Command for DeleteAutomatedResponse {
    type Output = ();
    type Error = DeleteAutomatedResponseError;
    const NAME: &'static str = "DeleteAutomatedResponse";

    fn audit(&self, _: &()) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "automated_response.deleted",
            subject_type: "automated_response",
            subject_id: Some(self.id.to_string()),
            details: json!({}),
        })
    }
}

pub struct DeleteAutomatedResponseHandler {
    /// Forgotten for the shop, so the change answers the next turn.
    pub rules: std::sync::Arc<super::rule_cache::RuleCache>,
}

#[async_trait]
impl CommandHandler<DeleteAutomatedResponse> for DeleteAutomatedResponseHandler {
    async fn handle(&self, cmd: &DeleteAutomatedResponse, uow: &mut dyn UnitOfWork) -> Result<(), DeleteAutomatedResponseError> {
        if uow.automated_responses().delete(cmd.shop_id, cmd.id).await? {
            self.rules.forget(cmd.shop_id);
            Ok(())
        } else {
            Err(DeleteAutomatedResponseError::NotFound)
        }
    }
}
