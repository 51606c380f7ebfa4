//! DeleteWebhookSubscription: the subscription and its delivery log go; audited.

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::WebhookSubscriptionsUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::{ShopId, WebhookSubscriptionId};

#[derive(Debug, Validate)]
pub struct DeleteWebhookSubscription {
    pub shop_id: ShopId,
    pub id: WebhookSubscriptionId,
}

#[derive(Debug, thiserror::Error)]
pub enum DeleteWebhookSubscriptionError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such webhook subscription")]
    NotFound,
    #[error("could not delete the subscription")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(DeleteWebhookSubscriptionError);

impl Command for DeleteWebhookSubscription {
    type Output = ();
    type Error = DeleteWebhookSubscriptionError;
    const NAME: &'static str = "DeleteWebhookSubscription";

    fn audit(&self, _: &()) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "webhook_subscription.deleted",
            subject_type: "webhook_subscription",
            subject_id: Some(self.id.to_string()),
            details: json!({}),
        })
    }
}

pub struct DeleteWebhookSubscriptionHandler;

#[async_trait]
impl CommandHandler<DeleteWebhookSubscription> for DeleteWebhookSubscriptionHandler {
    async fn handle(&self, cmd: &DeleteWebhookSubscription, uow: &mut dyn UnitOfWork) -> Result<(), DeleteWebhookSubscriptionError> {
        if uow.webhook_subscriptions().delete(cmd.shop_id, cmd.id).await? { Ok(()) } else { Err(DeleteWebhookSubscriptionError::NotFound) }
    }
}
