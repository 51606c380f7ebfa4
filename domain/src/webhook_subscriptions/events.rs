//! Events of the merchant webhooks context.

use serde::Serialize;

use crate::shared::events::EventPayload;
use crate::{ShopId, WebhookSubscriptionId};

/// `webhook_subscription.disabled`: too many failed attempts in a row; nothing more is
/// delivered until the merchant enables it again.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSubscriptionDisabled {
    pub shop_id: ShopId,
    pub subscription_id: WebhookSubscriptionId,
    pub url: String,
    pub reason: String,
    pub consecutive_failures: u32,
}

impl EventPayload for WebhookSubscriptionDisabled {
    const TYPE: &'static str = "webhook_subscription.disabled";
    fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    fn subject(&self) -> String {
        self.subscription_id.to_string()
    }
}

crate::context_events! {
    /// What happens to a merchant's webhook subscriptions.
    pub enum WebhookSubscriptionEvent { WebhookSubscriptionDisabled }
}
