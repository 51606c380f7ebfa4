//! Ports of the merchant webhooks context.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::shared::ports::Secret;
use crate::shared::repo::RepoResult;
use domain::webhook_subscriptions::{DeliveryState, WebhookSubscription};
use domain::{CustomerId, ShopId, WebhookSubscriptionId};

/// One event on its way to one subscription (the delivery log's row).
#[derive(Debug, Clone, PartialEq)]
pub struct HookDelivery {
    /// The `webhook-id` (`msg_<id>`), the same on every attempt.
    pub id: uuid::Uuid,
    pub subscription_id: WebhookSubscriptionId,
    pub shop_id: ShopId,
    /// The customer the event is about, if any (erased with them).
    pub customer_id: Option<CustomerId>,
    pub event_id: uuid::Uuid,
    pub event_type: String,
    /// The CloudEvents envelope, as delivered.
    pub payload: Value,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    /// The receiver's last HTTP status, or none (no answer).
    pub last_status: Option<u16>,
    /// Why the last attempt failed (a closed set: `status`, `timeout`, `connect`, `refused_address`, …).
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub delivery_id: uuid::Uuid,
    pub subscription_id: WebhookSubscriptionId,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// Why it failed, when it did (`None` with a 2xx status: delivered).
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

impl Attempt {
    pub fn delivered(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Subscriptions and their deliveries' write side, inside a unit of work.
#[async_trait]
pub trait SubscriptionRepository: Send {
    async fn insert(&mut self, s: &WebhookSubscription) -> RepoResult<()>;
    async fn lock(&mut self, shop: ShopId, id: WebhookSubscriptionId) -> RepoResult<Option<WebhookSubscription>>;
    /// Several, locked in id order.
    async fn lock_many(&mut self, ids: &[WebhookSubscriptionId]) -> RepoResult<Vec<WebhookSubscription>>;
    async fn update(&mut self, s: &WebhookSubscription) -> RepoResult<()>;
    /// The subscription and its delivery log.
    async fn delete(&mut self, shop: ShopId, id: WebhookSubscriptionId) -> RepoResult<bool>;
    /// The active subscriptions of these shops.
    async fn active_of(&mut self, shops: &[ShopId]) -> RepoResult<Vec<WebhookSubscription>>;
    /// Queue deliveries; one per subscription and event however often it is offered.
    async fn insert_deliveries(&mut self, deliveries: &[HookDelivery]) -> RepoResult<u64>;
    /// The deliveries attempted, as they are now.
    async fn lock_deliveries(&mut self, ids: &[uuid::Uuid]) -> RepoResult<Vec<HookDelivery>>;
    async fn save_deliveries(&mut self, deliveries: &[HookDelivery]) -> RepoResult<()>;
    async fn erase_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<u64>;
    /// Delivered and dead deliveries recorded before `before` are forgotten, at most `limit`.
    async fn prune(&mut self, before: DateTime<Utc>, limit: u64) -> RepoResult<u64>;
}

/// The delivery worker's queue: due pending deliveries claimed like the media queue.
#[async_trait]
pub trait HookQueue: Send + Sync {
    async fn claim(&self, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>, limit: u64) -> RepoResult<Vec<HookDelivery>>;
}

#[async_trait]
pub trait HookReads: Send + Sync {
    async fn subscriptions(&self, shop: ShopId) -> RepoResult<Vec<WebhookSubscription>>;
    async fn subscription(&self, shop: ShopId, id: WebhookSubscriptionId) -> RepoResult<Option<WebhookSubscription>>;
    async fn by_ids(&self, ids: &[WebhookSubscriptionId]) -> RepoResult<Vec<WebhookSubscription>>;
    /// A subscription's deliveries, the newest first.
    async fn deliveries(&self, shop: ShopId, id: WebhookSubscriptionId, limit: u64, offset: u64) -> RepoResult<(Vec<HookDelivery>, u64)>;
}

/// Why a send got no 2xx.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookSendError {
    #[error("the receiver answered {0}")]
    Status(u16),
    #[error("the receiver did not answer in time")]
    Timeout,
    /// The host resolved to an address a webhook may not reach (checked at connect time).
    #[error("the host resolves to a forbidden address")]
    RefusedAddress,
    #[error("could not connect to the receiver")]
    Connect,
}

impl HookSendError {
    /// As the delivery log keeps it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Status(_) => "status",
            Self::Timeout => "timeout",
            Self::RefusedAddress => "refused_address",
            Self::Connect => "connect",
        }
    }
}

/// Posts one signed delivery (Standard Webhooks 1.0: `webhook-id`, `webhook-timestamp`,
/// `webhook-signature` with one `v1,` signature per secret).
#[async_trait]
pub trait HookSender: Send + Sync {
    async fn send(&self, url: &str, id: &str, timestamp: i64, body: &[u8], secrets: &[Secret]) -> Result<u16, HookSendError>;
}

/// The context inside a unit of work. (`use` this trait to call `uow.webhook_subscriptions()`.)
pub trait WebhookSubscriptionsUnitOfWork {
    fn webhook_subscriptions(&mut self) -> &mut dyn SubscriptionRepository;
}

impl WebhookSubscriptionsUnitOfWork for dyn crate::shared::unit_of_work::UnitOfWork + '_ {
    fn webhook_subscriptions(&mut self) -> &mut dyn SubscriptionRepository {
        crate::shared::unit_of_work::repository::<dyn SubscriptionRepository>(self)
    }
}

/// Every event type a subscription may name (docs/EVENTS.md; a test keeps them equal).
pub const EVENT_TYPES: &[&str] = &[
    "message.received",
    "message.sent",
    "message.status.updated",
    "message.recovered",
    "customer.updated",
    "conversation.started",
    "conversation.closed",
    "customer.created",
    "customer.opt_in.changed",
    "customer.erased",
    "account.connected",
    "account.status.changed",
    "account.quality.updated",
    "template.status.updated",
    "template.created",
    "template.quality.updated",
    "media.stored",
    "media.failed",
    "conversation.owner.changed",
    "conversation.handed_off",
    "webhook_subscription.disabled",
    "agent.created",
    "agent.updated",
    "agent.status.changed",
    "conversation.assigned",
    "conversation.note.added",
    "conversation.tags.changed",
    "conversation.inbox_state.changed",
];

/// A new signing secret: `whsec_` and 32 random bytes (two v4 UUIDs, 244 random bits), base64.
pub fn mint_secret() -> Secret {
    use base64::Engine;
    let mut bytes = uuid::Uuid::new_v4().as_bytes().to_vec();
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    Secret::new(format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}
