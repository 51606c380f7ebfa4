//! DeleteRoutingRule (`DELETE /api/v1/routing/rules/{id}`): threads already routed keep their
//! department; audited.

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::InboxUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::{RoutingRuleId, ShopId};

#[derive(Debug, Validate)]
pub struct DeleteRoutingRule {
    pub shop_id: ShopId,
    pub rule_id: RoutingRuleId,
}

#[derive(Debug, thiserror::Error)]
pub enum DeleteRoutingRuleError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such routing rule")]
    NotFound,
    #[error("could not delete the routing rule")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(DeleteRoutingRuleError);

impl Command for DeleteRoutingRule {
    type Output = ();
    type Error = DeleteRoutingRuleError;
    const NAME: &'static str = "DeleteRoutingRule";

    fn audit(&self, _: &()) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "routing_rule.deleted",
            subject_type: "routing_rule",
            subject_id: Some(self.rule_id.to_string()),
            details: json!({}),
        })
    }
}

pub struct DeleteRoutingRuleHandler;

#[async_trait]
impl CommandHandler<DeleteRoutingRule> for DeleteRoutingRuleHandler {
    async fn handle(&self, cmd: &DeleteRoutingRule, uow: &mut dyn UnitOfWork) -> Result<(), DeleteRoutingRuleError> {
        if uow.inbox().delete_rule(cmd.shop_id, cmd.rule_id).await? { Ok(()) } else { Err(DeleteRoutingRuleError::NotFound) }
    }
}
