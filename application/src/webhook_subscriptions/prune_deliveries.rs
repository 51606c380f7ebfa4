//! PruneHookDeliveries (`webhook-deliveries` job, hourly): delivered and dead deliveries older
//! than 7 days leave the delivery log, 5,000 per transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use validator::Validate;

use super::ports::WebhookSubscriptionsUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;

/// How long the delivery log keeps a settled delivery.
pub fn log_retention() -> chrono::Duration {
    chrono::Duration::days(7)
}

#[derive(Debug, Validate)]
pub struct PruneHookDeliveries {
    pub now: DateTime<Utc>,
    #[validate(range(min = 1, max = 100_000))]
    pub limit: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PruneHookDeliveriesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not prune the webhook deliveries")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(PruneHookDeliveriesError);

impl Command for PruneHookDeliveries {
    type Output = u64;
    type Error = PruneHookDeliveriesError;
    const NAME: &'static str = "PruneHookDeliveries";
}

pub struct PruneHookDeliveriesHandler;

#[async_trait]
impl CommandHandler<PruneHookDeliveries> for PruneHookDeliveriesHandler {
    async fn handle(&self, cmd: &PruneHookDeliveries, uow: &mut dyn UnitOfWork) -> Result<u64, PruneHookDeliveriesError> {
        Ok(uow.webhook_subscriptions().prune(cmd.now - log_retention(), cmd.limit).await?)
    }
}
