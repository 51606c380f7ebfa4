//! ListWebhookSubscriptions, GetWebhookSubscription and ListHookDeliveries: the shop's
//! subscriptions (never their secrets) and each one's delivery log, the newest first.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{HookDelivery, HookReads};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::webhook_subscriptions::WebhookSubscription;
use domain::{ShopId, WebhookSubscriptionId};

#[derive(Debug, thiserror::Error)]
pub enum ListWebhookSubscriptionsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such webhook subscription")]
    NotFound,
    #[error("could not read the webhook subscriptions")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListWebhookSubscriptionsError);

#[derive(Debug, Validate)]
pub struct ListWebhookSubscriptions {
    pub shop_id: ShopId,
}

impl Query for ListWebhookSubscriptions {
    type Output = Vec<WebhookSubscription>;
    type Error = ListWebhookSubscriptionsError;
    const NAME: &'static str = "ListWebhookSubscriptions";
}

#[derive(Debug, Validate)]
pub struct GetWebhookSubscription {
    pub shop_id: ShopId,
    pub id: WebhookSubscriptionId,
}

impl Query for GetWebhookSubscription {
    type Output = WebhookSubscription;
    type Error = ListWebhookSubscriptionsError;
    const NAME: &'static str = "GetWebhookSubscription";
}

#[derive(Debug, Validate)]
pub struct ListHookDeliveries {
    pub shop_id: ShopId,
    pub id: WebhookSubscriptionId,
    #[validate(range(min = 1, max = 200))]
    pub limit: u64,
    #[validate(range(max = 1_000_000))]
    pub offset: u64,
}

impl Query for ListHookDeliveries {
    type Output = (Vec<HookDelivery>, u64);
    type Error = ListWebhookSubscriptionsError;
    const NAME: &'static str = "ListHookDeliveries";
}

pub struct WebhookSubscriptionQueries {
    pub reads: Arc<dyn HookReads>,
}

#[async_trait]
impl QueryHandler<ListWebhookSubscriptions> for WebhookSubscriptionQueries {
    async fn handle(&self, q: &ListWebhookSubscriptions) -> Result<Vec<WebhookSubscription>, ListWebhookSubscriptionsError> {
        Ok(self.reads.subscriptions(q.shop_id).await?)
    }
}

#[async_trait]
impl QueryHandler<GetWebhookSubscription> for WebhookSubscriptionQueries {
    async fn handle(&self, q: &GetWebhookSubscription) -> Result<WebhookSubscription, ListWebhookSubscriptionsError> {
        self.reads.subscription(q.shop_id, q.id).await?.ok_or(ListWebhookSubscriptionsError::NotFound)
    }
}

#[async_trait]
impl QueryHandler<ListHookDeliveries> for WebhookSubscriptionQueries {
    async fn handle(&self, q: &ListHookDeliveries) -> Result<(Vec<HookDelivery>, u64), ListWebhookSubscriptionsError> {
        if self.reads.subscription(q.shop_id, q.id).await?.is_none() {
            return Err(ListWebhookSubscriptionsError::NotFound);
        }
        Ok(self.reads.deliveries(q.shop_id, q.id, q.limit, q.offset).await?)
    }
}
