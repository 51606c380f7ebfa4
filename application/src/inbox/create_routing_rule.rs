//! CreateRoutingRule (`POST /api/v1/routing/rules`): a rule naming the department that threads
//! of matching customers go to when they need a person; checked whole; audited.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::InboxUnitOfWork;
use crate::accounts::ports::AccountsUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::team::ports::TeamUnitOfWork;
use domain::ShopId;
use domain::inbox::{RoutingRule, RoutingRuleDraft};
use domain::shared::problem::Problem;

#[derive(Debug, Validate)]
pub struct CreateRoutingRule {
    pub shop_id: ShopId,
    pub draft: RoutingRuleDraft,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateRoutingRuleError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Each problem names its field (the department and the number must be the shop's).
    #[error("the routing rule is not valid")]
    Problems(Vec<Problem>),
    #[error("could not store the routing rule")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CreateRoutingRuleError);

impl Command for CreateRoutingRule {
    type Output = RoutingRule;
    type Error = CreateRoutingRuleError;
    const NAME: &'static str = "CreateRoutingRule";

    fn audit(&self, r: &RoutingRule) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "routing_rule.created",
            subject_type: "routing_rule",
            subject_id: Some(r.id.to_string()),
            details: json!({"name": r.name, "priority": r.priority, "departmentId": r.department_id}),
        })
    }
}

pub struct CreateRoutingRuleHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<CreateRoutingRule> for CreateRoutingRuleHandler {
    async fn handle(&self, cmd: &CreateRoutingRule, uow: &mut dyn UnitOfWork) -> Result<RoutingRule, CreateRoutingRuleError> {
        let mut problems = match RoutingRule::create(cmd.shop_id, &cmd.draft, self.clock.now()) {
            Ok(_) => Vec::new(),
            Err(p) => p,
        };
        if uow.team().lock_department(cmd.shop_id, cmd.draft.department_id).await?.is_none() {
            problems.push(Problem::new("departmentId", "no such department in this shop"));
        }
        if let Some(a) = cmd.draft.account_id
            && uow.accounts().find(cmd.shop_id, a).await?.is_none()
        {
            problems.push(Problem::new("accountId", "no such WhatsApp number in this shop"));
        }
        if !problems.is_empty() {
            return Err(CreateRoutingRuleError::Problems(problems));
        }
        let rule = RoutingRule::create(cmd.shop_id, &cmd.draft, self.clock.now()).map_err(CreateRoutingRuleError::Problems)?;
        uow.inbox().insert_rule(&rule).await?;
        Ok(rule)
    }
}
