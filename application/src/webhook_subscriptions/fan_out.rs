//! FanOutEvents and the `merchant-webhooks` consumer: every event of the outbox (a durable
//! subscription, ADR 14) becomes one delivery per active subscription of its shop that wants its
//! type, queued in one transaction. The consumer sees an event at least once; a delivery is
//! unique per subscription and event, so a second pass queues nothing more.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{HookDelivery, WebhookSubscriptionsUnitOfWork};
use crate::RequestContext;
use crate::shared::error::Invalid;
use crate::shared::outbox::OutboxRecord;
use crate::shared::pipeline::{Command, CommandHandler, Pipeline};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::subscription::EventConsumer;
use crate::shared::unit_of_work::UnitOfWork;
use domain::webhook_subscriptions::DeliveryState;
use domain::{CustomerId, ShopId};

#[derive(Validate)]
pub struct FanOutEvents {
    pub events: Vec<OutboxRecord>,
}

impl std::fmt::Debug for FanOutEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FanOutEvents").field("events", &self.events.len()).finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FanOutEventsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not queue the webhook deliveries")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(FanOutEventsError);

impl Command for FanOutEvents {
    /// Deliveries queued.
    type Output = u64;
    type Error = FanOutEventsError;
    const NAME: &'static str = "FanOutEvents";
}

pub struct FanOutEventsHandler {
    pub clock: Arc<dyn Clock>,
}

fn shop_of(e: &OutboxRecord) -> Option<ShopId> {
    let source = e.envelope["source"].as_str()?;
    uuid::Uuid::parse_str(source.strip_prefix("/shops/")?).ok().map(ShopId::from)
}

#[async_trait]
impl CommandHandler<FanOutEvents> for FanOutEventsHandler {
    async fn handle(&self, cmd: &FanOutEvents, uow: &mut dyn UnitOfWork) -> Result<u64, FanOutEventsError> {
        let now = self.clock.now();
        let mut shops: Vec<ShopId> = cmd.events.iter().filter_map(shop_of).collect();
        shops.sort();
        shops.dedup();
        if shops.is_empty() {
            return Ok(0);
        }
        let subscriptions = uow.webhook_subscriptions().active_of(&shops).await?;
        if subscriptions.is_empty() {
            return Ok(0);
        }
        let mut deliveries = Vec::new();
        for e in &cmd.events {
            let Some(shop) = shop_of(e) else { continue };
            let customer = e.envelope["data"]["customerId"].as_str().and_then(|c| uuid::Uuid::parse_str(c).ok()).map(CustomerId::from);
            for s in subscriptions.iter().filter(|s| s.snapshot().shop_id == shop && s.wants(&e.event_type)) {
                deliveries.push(HookDelivery {
                    id: uuid::Uuid::now_v7(),
                    subscription_id: s.id(),
                    shop_id: shop,
                    customer_id: customer,
                    event_id: e.event_id,
                    event_type: e.event_type.clone(),
                    payload: e.envelope.clone(),
                    state: DeliveryState::Pending,
                    attempts: 0,
                    next_attempt_at: now,
                    last_status: None,
                    last_error: None,
                    last_attempt_at: None,
                    delivered_at: None,
                    created_at: now,
                });
            }
        }
        if deliveries.is_empty() {
            return Ok(0);
        }
        Ok(uow.webhook_subscriptions().insert_deliveries(&deliveries).await?)
    }
}

/// The outbox consumer that feeds merchant webhooks; it wakes the delivery worker.
pub struct MerchantWebhooks {
    pub pipeline: Pipeline,
    pub handler: FanOutEventsHandler,
    pub wake: Arc<tokio::sync::Notify>,
}

#[async_trait]
impl EventConsumer for MerchantWebhooks {
    fn name(&self) -> &'static str {
        "merchant-webhooks"
    }

    fn wants(&self, _event_type: &str) -> bool {
        true
    }

    async fn handle(&self, events: &[OutboxRecord]) -> Result<(), String> {
        let n = self
            .pipeline
            .execute(&RequestContext::system("merchant-webhooks"), &self.handler, FanOutEvents { events: events.to_vec() })
            .await
            .map_err(|e| crate::Chain(&e).to_string())?;
        if n > 0 {
            self.wake.notify_one();
        }
        Ok(())
    }
}
