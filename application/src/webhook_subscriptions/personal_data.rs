//! The merchant webhooks' share of a customer's personal data: the deliveries (copies of events
//! about the customer, kept as the delivery log) are erased with them. They are not exported:
//! they are the service's own notifications, not what it knows about the customer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::ports::WebhookSubscriptionsUnitOfWork;
use crate::shared::personal_data::{DataSubject, Erased, PersonalData};
use crate::shared::repo::RepoResult;
use crate::shared::unit_of_work::UnitOfWork;

pub struct HookDeliveries;

#[async_trait]
impl PersonalData for HookDeliveries {
    fn context(&self) -> &'static str {
        "webhook_subscriptions"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["webhook_deliveries"]
    }

    async fn erase(&self, uow: &mut dyn UnitOfWork, subject: &DataSubject, _now: DateTime<Utc>) -> RepoResult<Erased> {
        let n = uow.webhook_subscriptions().erase_customer(subject.shop_id, subject.customer_id).await?;
        Ok(Erased { counts: vec![("webhook deliveries", n)], ..Erased::default() })
    }
}
