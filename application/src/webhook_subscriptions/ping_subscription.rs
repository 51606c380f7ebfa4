//! PingWebhookSubscription: a test delivery (`whatsapp.webhook_subscription.ping`, signed like
//! every other) sent now, whatever the subscription's state, and kept in its delivery log. Its
//! outcome does not count toward disabling the subscription.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::deliver_hooks::message_id;
use super::ports::{HookDelivery, HookReads, HookSendError, HookSender, WebhookSubscriptionsUnitOfWork};
use crate::RequestContext;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler, Pipeline};
use crate::shared::ports::{Clock, SecretCipher};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::webhook_subscriptions::DeliveryState;
use domain::{ShopId, WebhookSubscriptionId};

#[derive(Debug, thiserror::Error)]
pub enum PingWebhookSubscriptionError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such webhook subscription")]
    NotFound,
    #[error("the secret could not be decrypted")]
    Cipher(String),
    #[error("could not record the ping")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(PingWebhookSubscriptionError);

/// Keep a ping in the delivery log.
#[derive(Debug, Validate)]
pub struct RecordPing {
    pub delivery: HookDelivery,
}

impl Command for RecordPing {
    type Output = ();
    type Error = PingWebhookSubscriptionError;
    const NAME: &'static str = "RecordPing";
}

pub struct RecordPingHandler;

#[async_trait]
impl CommandHandler<RecordPing> for RecordPingHandler {
    async fn handle(&self, cmd: &RecordPing, uow: &mut dyn UnitOfWork) -> Result<(), PingWebhookSubscriptionError> {
        uow.webhook_subscriptions().insert_deliveries(std::slice::from_ref(&cmd.delivery)).await?;
        Ok(())
    }
}

pub struct PingWebhookSubscriptionService {
    pub pipeline: Pipeline,
    pub reads: Arc<dyn HookReads>,
    pub sender: Arc<dyn HookSender>,
    pub cipher: Arc<dyn SecretCipher>,
    pub clock: Arc<dyn Clock>,
    pub record: RecordPingHandler,
}

impl PingWebhookSubscriptionService {
    /// Send a ping now; the delivery as the log keeps it.
    pub async fn run(
        &self,
        ctx: &RequestContext,
        shop: ShopId,
        id: WebhookSubscriptionId,
    ) -> Result<HookDelivery, PingWebhookSubscriptionError> {
        let s = self.reads.subscription(shop, id).await?.ok_or(PingWebhookSubscriptionError::NotFound)?;
        let now = self.clock.now();
        let event_id = uuid::Uuid::now_v7();
        let payload = json!({
            "specversion": "1.0",
            "id": event_id,
            "source": format!("/shops/{shop}"),
            "type": "whatsapp.webhook_subscription.ping",
            "time": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "subject": id.to_string(),
            "dataschemaversion": 1,
            "datacontenttype": "application/json",
            "data": {"shopId": shop, "subscriptionId": id},
        });
        let mut d = HookDelivery {
            id: uuid::Uuid::now_v7(),
            subscription_id: id,
            shop_id: shop,
            customer_id: None,
            event_id,
            event_type: "webhook_subscription.ping".into(),
            payload,
            state: DeliveryState::Pending,
            attempts: 1,
            next_attempt_at: now,
            last_status: None,
            last_error: None,
            last_attempt_at: Some(now),
            delivered_at: None,
            created_at: now,
        };
        let secrets: Vec<_> = s
            .signing_secrets(now)
            .into_iter()
            .map(|e| self.cipher.decrypt(e))
            .collect::<Result<_, _>>()
            .map_err(|e| PingWebhookSubscriptionError::Cipher(e.0))?;
        let body = serde_json::to_vec(&d.payload).unwrap_or_default();
        match self.sender.send(s.snapshot().url.as_str(), &message_id(&d), now.timestamp(), &body, &secrets).await {
            Ok(code) => {
                d.last_status = Some(code);
                d.state = DeliveryState::Delivered;
                d.delivered_at = Some(self.clock.now());
            }
            Err(e) => {
                d.last_status = match e {
                    HookSendError::Status(code) => Some(code),
                    _ => None,
                };
                d.last_error = Some(e.code().to_owned());
                d.state = DeliveryState::Dead;
            }
        }
        self.pipeline.execute(ctx, &self.record, RecordPing { delivery: d.clone() }).await?;
        Ok(d)
    }
}
