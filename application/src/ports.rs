//! Ports: what the use cases need from the outside world, as narrow traits.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::fmt;

use domain::account::WhatsAppAccount;
use domain::content::MessageContent;
use domain::conversation::{Conversation, ConversationStatus};
use domain::customer::Customer;
use domain::events::DomainEvent;
use domain::message::{Direction, Message, MessageStatus};
use domain::phone::{PhoneNumber, PhoneNumberId, WaId};
use domain::shop::Role;
use domain::{AccountId, ApiKeyId, ConversationId, CustomerId, MessageId, ShopId};

/// A storage failure. `Unavailable` is transient (the database is down or overloaded).
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("storage error: {0}")]
    Other(String),
}

pub type RepoResult<T> = Result<T, RepoError>;

/// A secret string: never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Encrypts secrets (access tokens) for storage at rest.
pub trait SecretCipher: Send + Sync {
    fn encrypt(&self, plaintext: &Secret) -> Result<String, String>;
    fn decrypt(&self, ciphertext: &str) -> Result<Secret, String>;
}

#[derive(Debug, Clone)]
pub struct Shop {
    pub id: ShopId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub shop_id: ShopId,
    pub name: String,
    pub role: Role,
    pub key_hash: String,
    pub key_prefix: String,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait ShopRepository: Send {
    async fn insert_shop(&mut self, shop: &Shop) -> RepoResult<()>;
    async fn shop_exists(&mut self, id: ShopId) -> RepoResult<bool>;
    async fn insert_api_key(&mut self, key: &ApiKeyRecord) -> RepoResult<()>;
}

#[async_trait]
pub trait AccountRepository: Send {
    /// `Conflict` if the phone number id is already connected.
    async fn insert_account(&mut self, account: &WhatsAppAccount, encrypted_token: &str) -> RepoResult<()>;
    async fn update_account(&mut self, account: &WhatsAppAccount, encrypted_token: Option<&str>) -> RepoResult<()>;
    async fn account(&mut self, shop: ShopId, id: AccountId) -> RepoResult<Option<WhatsAppAccount>>;
    /// Webhook routing: Meta's phone number ids are global, so this lookup is not shop-scoped.
    async fn account_by_phone_number_id(&mut self, id: &PhoneNumberId) -> RepoResult<Option<WhatsAppAccount>>;
    async fn account_by_display_number(&mut self, shop: ShopId, number: &PhoneNumber) -> RepoResult<Option<WhatsAppAccount>>;
    async fn encrypted_token(&mut self, id: AccountId) -> RepoResult<Option<String>>;
    /// Webhook routing for WABA-level fields (`entry.id`): every connected number of that WABA.
    async fn accounts_by_waba(&mut self, waba: &domain::phone::WabaId) -> RepoResult<Vec<WhatsAppAccount>>;
}

/// A template's status as Meta last reported it, per shop.
#[derive(Debug, Clone)]
pub struct TemplateStatusRecord {
    pub shop_id: ShopId,
    pub waba_id: String,
    pub meta_template_id: String,
    pub name: String,
    pub language: String,
    pub status: String,
    pub reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait TemplateRepository: Send {
    async fn template_status(&mut self, shop: ShopId, meta_template_id: &str) -> RepoResult<Option<TemplateStatusRecord>>;
    async fn save_template_status(&mut self, record: &TemplateStatusRecord) -> RepoResult<()>;
}

#[async_trait]
pub trait CustomerRepository: Send {
    async fn customer_by_wa_id(&mut self, shop: ShopId, wa_id: &WaId) -> RepoResult<Option<Customer>>;
    async fn save_customer(&mut self, customer: &Customer, is_new: bool) -> RepoResult<()>;
}

#[async_trait]
pub trait ConversationRepository: Send {
    async fn conversation(&mut self, shop: ShopId, id: ConversationId) -> RepoResult<Option<Conversation>>;
    /// The most recent conversation (any status) between this number and customer.
    async fn latest_conversation(&mut self, account: AccountId, wa_id: &WaId) -> RepoResult<Option<Conversation>>;
    async fn save_conversation(&mut self, conversation: &Conversation, is_new: bool) -> RepoResult<()>;
}

/// A stored status webhook for a wamid (kept for dedup and for statuses that arrive before
/// the send's own record).
#[derive(Debug, Clone)]
pub struct StoredStatus {
    pub status: MessageStatus,
    pub occurred_at: Option<DateTime<Utc>>,
    pub payload: Value,
}

#[async_trait]
pub trait MessageRepository: Send {
    /// Inserts unless a message with the same wamid exists; `false` means it was a duplicate.
    async fn insert_message(&mut self, message: &Message) -> RepoResult<bool>;
    async fn update_message(&mut self, message: &Message) -> RepoResult<()>;
    async fn message(&mut self, shop: ShopId, id: MessageId) -> RepoResult<Option<Message>>;
    async fn message_by_wamid(&mut self, wamid: &str) -> RepoResult<Option<Message>>;
    /// Records a status webhook; `false` if (wamid, status) was already recorded.
    async fn insert_status(&mut self, wamid: &str, status: &StoredStatus, received_at: DateTime<Utc>) -> RepoResult<bool>;
    async fn statuses_for(&mut self, wamid: &str) -> RepoResult<Vec<StoredStatus>>;
}

#[async_trait]
pub trait Outbox: Send {
    /// Writes integration events; they are relayed after the transaction commits.
    async fn append(&mut self, events: &[DomainEvent], recorded_at: DateTime<Utc>) -> RepoResult<()>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookState {
    Pending,
    Processed,
    Dead,
}

impl WebhookState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processed => "processed",
            Self::Dead => "dead",
        }
    }
}

#[async_trait]
pub trait WebhookEventRepository: Send {
    async fn mark_webhook(
        &mut self,
        id: uuid::Uuid,
        state: WebhookState,
        fields: Option<&str>,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> RepoResult<()>;
}

/// One transaction. Dropping it without `commit` rolls back.
#[async_trait]
pub trait UnitOfWork:
    ShopRepository
    + AccountRepository
    + CustomerRepository
    + ConversationRepository
    + ConversationMaintenance
    + DeliveryRepository
    + TemplateRepository
    + MessageRepository
    + Outbox
    + WebhookEventRepository
    + Send
{
    async fn commit(self: Box<Self>) -> RepoResult<()>;
}

#[async_trait]
pub trait UnitOfWorkFactory: Send + Sync {
    async fn begin(&self) -> RepoResult<Box<dyn UnitOfWork>>;
}

/// A raw webhook delivery as stored.
#[derive(Debug, Clone)]
pub struct RawWebhookEvent {
    pub id: uuid::Uuid,
    pub received_at: DateTime<Utc>,
    pub body: String,
    pub attempts: i32,
}

/// The durable inbox of raw webhook deliveries (the hot path: one insert before the 200).
#[async_trait]
pub trait WebhookInbox: Send + Sync {
    async fn store(&self, body: String, received_at: DateTime<Utc>) -> RepoResult<uuid::Uuid>;
    /// Claim up to `limit` pending deliveries, oldest first, for `lease`; deliveries claimed by
    /// another live worker are skipped (so competing workers share the load).
    async fn claim(&self, holder: &str, now: DateTime<Utc>, lease: std::time::Duration, limit: u64) -> RepoResult<Vec<RawWebhookEvent>>;
    /// How many deliveries wait (for the backlog gauge).
    async fn pending_count(&self) -> RepoResult<u64>;
    async fn record_failure(&self, id: uuid::Uuid, note: &str, dead: bool) -> RepoResult<()>;
}

// ---- read side ----

#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub wa_id: Option<WaId>,
    pub user_id: Option<String>,
    pub conversation_id: Option<ConversationId>,
    pub account_id: Option<AccountId>,
    pub direction: Option<Direction>,
}

#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: u64,
    pub offset: u64,
}

#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub status: Option<ConversationStatus>,
    pub wa_id: Option<WaId>,
    pub account_id: Option<AccountId>,
}

#[derive(Debug, Clone)]
pub struct AuthenticatedKey {
    pub id: ApiKeyId,
    pub shop_id: ShopId,
    pub role: Role,
}

#[async_trait]
pub trait ReadStore: Send + Sync {
    async fn api_key_by_hash(&self, hash: &str) -> RepoResult<Option<AuthenticatedKey>>;
    async fn shop(&self, id: ShopId) -> RepoResult<Option<Shop>>;
    async fn list_api_keys(&self, shop: ShopId) -> RepoResult<Vec<ApiKeyRecord>>;
    async fn accounts(&self, shop: ShopId) -> RepoResult<Vec<WhatsAppAccount>>;
    async fn account(&self, shop: ShopId, id: AccountId) -> RepoResult<Option<WhatsAppAccount>>;
    async fn account_by_display_number(&self, shop: ShopId, number: &PhoneNumber) -> RepoResult<Option<WhatsAppAccount>>;
    async fn messages(&self, shop: ShopId, filter: &MessageFilter, page: Page) -> RepoResult<(Vec<Message>, u64)>;
    async fn message(&self, shop: ShopId, id: MessageId) -> RepoResult<Option<Message>>;
    async fn conversations(&self, shop: ShopId, filter: &ConversationFilter, page: Page) -> RepoResult<(Vec<Conversation>, u64)>;
    async fn conversation(&self, shop: ShopId, id: ConversationId) -> RepoResult<Option<Conversation>>;
    /// Latest conversation with this customer, on one number or any of the shop's numbers.
    async fn latest_conversation(&self, shop: ShopId, account: Option<AccountId>, wa_id: &WaId) -> RepoResult<Option<Conversation>>;
    async fn customer_by_wa_id(&self, shop: ShopId, wa_id: &WaId) -> RepoResult<Option<Customer>>;
    async fn customer_by_user_id(&self, shop: ShopId, user_id: &str) -> RepoResult<Option<Customer>>;
    async fn customer(&self, shop: ShopId, id: CustomerId) -> RepoResult<Option<Customer>>;
    async fn encrypted_token(&self, account: AccountId) -> RepoResult<Option<String>>;
    /// Operations (all shops): outbound messages still `queued`/`sent` since before `before`.
    async fn count_stuck_messages(&self, before: DateTime<Utc>) -> RepoResult<u64>;
    async fn ping(&self) -> RepoResult<()>;
}

// ---- the Cloud API ----

#[derive(Debug, Clone)]
pub struct SenderCredentials {
    pub phone_number_id: PhoneNumberId,
    pub access_token: Secret,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    pub wamid: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CloudApiErrorKind {
    /// Meta answered with an error.
    Meta,
    /// Timed out or the connection broke after the request may have reached Meta: the outcome
    /// is unknown, so it is never retried blindly.
    OutcomeUnknown,
    /// Could not connect: Meta never saw the request.
    Unreachable,
    /// The circuit breaker is open for this number.
    CircuitOpen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudApiError {
    pub kind: CloudApiErrorKind,
    pub http_status: Option<u16>,
    /// Meta's error code (e.g. 131047).
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    pub title: String,
    pub details: Option<String>,
    pub fbtrace_id: Option<String>,
    pub attempts: u32,
}

impl fmt::Display for CloudApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(c) => write!(f, "({c}) {}", self.title),
            None => f.write_str(&self.title),
        }
    }
}

#[async_trait]
pub trait CloudApi: Send + Sync {
    async fn send_message(
        &self,
        creds: &SenderCredentials,
        to: &WaId,
        content: &MessageContent,
        reply_to: Option<&str>,
    ) -> Result<SendReceipt, CloudApiError>;

    /// Marks an inbound message read; with `typing`, also shows the typing indicator.
    async fn mark_read(&self, creds: &SenderCredentials, wamid: &str, typing: bool) -> Result<(), CloudApiError>;
}

#[async_trait]
pub trait ConversationMaintenance: Send {
    /// Active conversations whose latest customer message (or start) is older than `before`:
    /// the candidates for expiry.
    async fn stale_active_conversations(&mut self, before: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Conversation>>;
}

/// One queued outbound message (the durable queue row).
#[derive(Debug, Clone)]
pub struct Delivery {
    pub message_id: MessageId,
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub wa_id: WaId,
    pub priority: i32,
    pub attempts: i32,
    pub pair_retries: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait DeliveryRepository: Send {
    async fn enqueue_delivery(&mut self, delivery: &Delivery) -> RepoResult<()>;
    async fn delivery(&mut self, message: MessageId) -> RepoResult<Option<Delivery>>;
    /// Back to `pending`, due at `next_attempt_at`.
    async fn reschedule_delivery(&mut self, delivery: &Delivery, last_error: Option<&str>) -> RepoResult<()>;
    /// The message reached a final state: the queue row goes.
    async fn finish_delivery(&mut self, message: MessageId) -> RepoResult<()>;
}

/// Shared rate limits (GCRA): in-process, or in Redis so every replica shares them.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Take up to `want` tokens from `key` at `per_second` with `burst`; returns how many were
    /// taken and, when fewer than wanted, how long until the next one is free.
    async fn take(&self, key: &str, per_second: f64, burst: f64, want: u32) -> Result<(u32, std::time::Duration), String>;

    /// One token from each key (same rate and burst), in one round trip where the store allows.
    async fn take_each(&self, keys: &[String], per_second: f64, burst: f64) -> Result<Vec<(bool, std::time::Duration)>, String> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let (n, wait) = self.take(k, per_second, burst, 1).await?;
            out.push((n == 1, wait));
        }
        Ok(out)
    }
}
