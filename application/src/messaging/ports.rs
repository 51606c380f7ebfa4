//! Ports of the messaging context: its repositories, the durable outbound queue, the Cloud API's
//! messages, and its read side.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::delivery_policy::Decision;
use crate::shared::meta::{CloudApiError, SenderCredentials};
use crate::shared::repo::{Page, RepoResult};
use domain::accounts::WhatsAppAccount;
use domain::messaging::{
    Conversation, ConversationStatus, Direction, FirstAnswer, IdempotencyKey, IdempotencyRecord, Message, MessageContent, MessageStatus,
};
use domain::{AccountId, ConversationId, CustomerId, MessageId, ShopId, WaId};

// ---------------------------------------------------------------- write side (unit of work)

/// Conversations. `lock_*` loads lock the rows until commit.
#[async_trait]
pub trait ConversationRepository: Send {
    /// The active conversation of each `(number, customer)` key, locked.
    async fn lock_active(&mut self, keys: &[(AccountId, WaId)]) -> RepoResult<Vec<Conversation>>;
    /// The most recent conversation (any status) of a number and customer, not locked: when no
    /// conversation is active, its window facts still decide what may be sent.
    async fn latest(&mut self, account: AccountId, wa_id: &WaId) -> RepoResult<Option<Conversation>>;
    /// One of the shop's conversations, without locking.
    async fn find(&mut self, shop: ShopId, id: ConversationId) -> RepoResult<Option<Conversation>>;
    async fn lock_many(&mut self, ids: &[ConversationId]) -> RepoResult<Vec<Conversation>>;
    /// Active conversations whose latest customer message (or start) is at or before `before`,
    /// locked; rows another transaction holds are skipped (the next run sees them).
    async fn lock_stale_active(&mut self, before: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Conversation>>;
    /// Inserts; one that would be a second active conversation of the same number and customer
    /// (created by a concurrent transaction) is skipped. Returns the ids actually inserted.
    async fn insert_many(&mut self, conversations: &[Conversation]) -> RepoResult<Vec<ConversationId>>;
    /// Version-checked updates (`RepoError::Concurrency` if one changed since it was loaded).
    async fn update_many(&mut self, conversations: &[&Conversation]) -> RepoResult<()>;
    /// Add to conversations' unread counts (the customer's messages a batch stored).
    async fn add_unread(&mut self, counts: &[(ConversationId, u32)]) -> RepoResult<()>;
    /// Count a conversation's unread messages again (after a read).
    async fn recount_unread(&mut self, conversation: ConversationId) -> RepoResult<()>;
}

/// A status report as stored (kept for deduplication, and for a status that arrives before the
/// send's own record is visible).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusRecord {
    pub wamid: String,
    pub status: MessageStatus,
    pub occurred_at: Option<DateTime<Utc>>,
    pub payload: Value,
}

/// Messages and their status reports.
#[async_trait]
pub trait MessageRepository: Send {
    /// Which of these wamids are stored already.
    async fn existing_wamids(&mut self, wamids: &[String]) -> RepoResult<HashSet<String>>;
    /// Inserts; a message whose wamid is already stored is skipped. Returns the ids inserted.
    async fn insert_many(&mut self, messages: &[Message]) -> RepoResult<Vec<MessageId>>;
    async fn lock(&mut self, shop: ShopId, id: MessageId) -> RepoResult<Option<Message>>;
    /// Messages by id across shops (the dispatcher serves every shop), locked.
    async fn lock_many(&mut self, ids: &[MessageId]) -> RepoResult<Vec<Message>>;
    /// Messages by Meta's id (status webhooks name only the wamid), locked.
    async fn lock_by_wamids(&mut self, wamids: &[String]) -> RepoResult<Vec<Message>>;
    /// Version-checked updates (`RepoError::Concurrency` if one changed since it was loaded).
    async fn update_many(&mut self, messages: &[&Message]) -> RepoResult<()>;
    /// Mark read every message the customer sent in the conversation up to `through` (as Meta
    /// does: reading one reads the earlier ones): those with an earlier timestamp, and those of
    /// the same second stored before it (Meta's timestamps are whole seconds); how many changed.
    async fn mark_read_through(&mut self, conversation: ConversationId, through: &Message, now: DateTime<Utc>) -> RepoResult<u64>;
    /// Records status reports; returns the `(wamid, status)` pairs that were not recorded yet.
    async fn insert_statuses(&mut self, statuses: &[StatusRecord], received_at: DateTime<Utc>) -> RepoResult<Vec<(String, MessageStatus)>>;
    /// Every status recorded for these wamids.
    async fn statuses_for(&mut self, wamids: &[String]) -> RepoResult<Vec<StatusRecord>>;
    /// GDPR erasure of one customer's messaging data: their messages' contents, reply
    /// contexts, referrals and `userId` are removed, and their number becomes `pseudonym` in
    /// messages, conversations and the outbound queue. Returns how many messages were erased.
    async fn erase_customer(&mut self, shop: ShopId, customer: CustomerId, pseudonym: &WaId) -> RepoResult<u64>;
}

/// One queued outbound message (the durable queue row).
#[derive(Debug, Clone, PartialEq)]
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

/// The durable outbound queue, inside a unit of work.
#[async_trait]
pub trait DeliveryRepository: Send {
    async fn enqueue(&mut self, delivery: &Delivery) -> RepoResult<()>;
    async fn get_many(&mut self, messages: &[MessageId]) -> RepoResult<Vec<Delivery>>;
    /// Back to `pending`, due at `next_attempt_at`.
    async fn reschedule(&mut self, delivery: &Delivery, last_error: Option<&str>) -> RepoResult<()>;
    /// The messages reached a final state: their queue rows go.
    async fn finish_many(&mut self, messages: &[MessageId]) -> RepoResult<()>;
}

/// Sends' idempotency keys, inside a unit of work: a key is remembered in the transaction that
/// queues its message, so a retry after any crash finds either both or neither.
#[async_trait]
pub trait IdempotencyRepository: Send {
    /// Remember `record`, unless its key is remembered already: then that record is returned
    /// and nothing is written. A concurrent transaction holding the same key is waited for.
    async fn claim(&mut self, record: &IdempotencyRecord) -> RepoResult<Option<IdempotencyRecord>>;
    /// Put `record` in the place of `expired` (the same shop and key); `Concurrency` when
    /// another request renewed it first.
    async fn renew(&mut self, expired: &IdempotencyRecord, record: &IdempotencyRecord) -> RepoResult<()>;
    /// The message the key's request queued.
    async fn attach(&mut self, shop: ShopId, key: &IdempotencyKey, message: MessageId) -> RepoResult<()>;
    /// What the caller was answered the first time (kept once: a later answer changes nothing).
    async fn answer(&mut self, shop: ShopId, key: &IdempotencyKey, answer: &FirstAnswer) -> RepoResult<()>;
    /// Forget keys remembered before `before` (at most `limit`); returns how many.
    async fn prune(&mut self, before: DateTime<Utc>, limit: u64) -> RepoResult<u64>;
}

// ---------------------------------------------------------------- the dispatcher's queue

/// The dispatcher's side of the durable outbound queue (outside any unit of work). A claim is a
/// conditional update, so two replicas never take the same message.
#[async_trait]
pub trait OutboundQueue: Send + Sync {
    /// Accounts with at least one due message.
    async fn due_accounts(&self, now: DateTime<Utc>, limit: u64) -> RepoResult<Vec<AccountId>>;
    /// Accounts (with their encrypted tokens) by id.
    async fn accounts(&self, ids: &[AccountId]) -> RepoResult<Vec<(WhatsAppAccount, String)>>;
    /// Due messages of one account, most urgent first.
    async fn candidates(&self, account: AccountId, now: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Delivery>>;
    /// Claim these for sending (`pending` → `sending`, written before Meta is called); returns
    /// the ids this holder got.
    async fn mark_sending(&self, ids: &[MessageId], holder: &str, now: DateTime<Utc>) -> RepoResult<Vec<MessageId>>;
    /// Not now: due again at `at` (the pair rate for that recipient).
    async fn defer(&self, id: MessageId, at: DateTime<Utc>) -> RepoResult<()>;
    /// Messages to send, by id.
    async fn messages(&self, ids: &[MessageId]) -> RepoResult<Vec<Message>>;
    /// Rows claimed before `before` and still `sending`: their process died mid-call.
    async fn stale_sending(&self, before: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Delivery>>;
    /// How many messages wait (for the backlog gauge).
    async fn pending_count(&self) -> RepoResult<u64>;
}

// ---------------------------------------------------------------- the Cloud API

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    pub wamid: String,
}

/// Meta's WhatsApp Cloud API, as the use cases need it.
#[async_trait]
pub trait CloudApi: Send + Sync {
    async fn send_message(
        &self,
        creds: &SenderCredentials,
        to: &WaId,
        content: &MessageContent,
        reply_to: Option<&str>,
        // Echoed by Meta in this message's status webhooks (`biz_opaque_callback_data`): our
        // message id, so that a send whose answer was lost can still be linked.
        callback_data: Option<&str>,
    ) -> Result<SendReceipt, CloudApiError>;

    /// Marks an inbound message read; with `typing`, also shows the typing indicator.
    async fn mark_read(&self, creds: &SenderCredentials, wamid: &str, typing: bool) -> Result<(), CloudApiError>;
}

// ---------------------------------------------------------------- a send's outcome

/// Where a message ended up after an outcome.
#[derive(Debug, Clone)]
pub enum Settled {
    Sent(Message),
    Failed {
        message: Message,
        error: CloudApiError,
        decision: Decision,
    },
    Rescheduled {
        message_id: MessageId,
        decision: Decision,
    },
    /// No queue row any more (already settled, e.g. by crash recovery).
    Gone(MessageId),
}

/// Where a request that queued a send waits for its outcome: the dispatcher, on whichever task
/// records it, settles the waiter.
#[async_trait]
pub trait SendOutcomes: Send + Sync {
    /// Register interest in a message's outcome (and wake the dispatcher): the receiver gets it
    /// once the message is sent, failed or rescheduled.
    async fn watch(&self, id: MessageId) -> tokio::sync::oneshot::Receiver<Settled>;
    /// No longer interested (the request stopped waiting).
    async fn forget(&self, id: MessageId);
}

// ---------------------------------------------------------------- read side

#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub wa_id: Option<WaId>,
    pub user_id: Option<String>,
    pub conversation_id: Option<ConversationId>,
    pub account_id: Option<AccountId>,
    pub direction: Option<Direction>,
}

#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub status: Option<ConversationStatus>,
    pub wa_id: Option<WaId>,
    pub account_id: Option<AccountId>,
    /// The inbox's filters (docs/INBOX.md).
    pub inbox: InboxFilter,
}

/// The inbox list's filters and order. Window filters are relative to `now`.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub inbox_state: Option<domain::messaging::InboxState>,
    pub assignee: Option<Assignee>,
    /// The thread's department (the conversation is its thread's latest).
    pub department: Option<domain::DepartmentId>,
    /// One of its tags (case-insensitive).
    pub tag: Option<String>,
    /// `true`: with messages nobody read; `false`: with none.
    pub unread: Option<bool>,
    /// Full-text search: a message's text or caption, or the customer's name, has every word
    /// (folded; each word matches the start of one).
    pub search: Option<String>,
    /// Only what this member may see (a key bound to them): the conversations assigned to them,
    /// and those whose thread is in one of their departments.
    pub visible_to: Option<domain::MemberId>,
    /// This conversation only.
    pub only: Option<ConversationId>,
    pub window: Option<WindowFilter>,
    pub last_message_after: Option<DateTime<Utc>>,
    pub last_message_before: Option<DateTime<Utc>>,
    pub sort: InboxSort,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    Member(domain::MemberId),
    Nobody,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFilter {
    /// The 24-hour window is open: free-form messages may go out.
    Open,
    /// Open, and ends within this long.
    ClosingWithin(chrono::Duration),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InboxSort {
    /// The most recently active first.
    #[default]
    LastMessage,
    /// The customer waiting longest for people first; those not waiting after, most recent first.
    LongestWaiting,
}

#[async_trait]
pub trait MessagingReads: Send + Sync {
    /// Newest first, and how many match in all.
    async fn messages(&self, shop: ShopId, filter: &MessageFilter, page: Page) -> RepoResult<(Vec<Message>, u64)>;
    async fn message(&self, shop: ShopId, id: MessageId) -> RepoResult<Option<Message>>;
    /// Most recently active first, and how many match in all.
    async fn conversations(&self, shop: ShopId, filter: &ConversationFilter, page: Page) -> RepoResult<(Vec<Conversation>, u64)>;
    async fn conversation(&self, shop: ShopId, id: ConversationId) -> RepoResult<Option<Conversation>>;
    /// The latest conversation with this customer, on one number or any of the shop's numbers.
    async fn latest_conversation(&self, shop: ShopId, account: Option<AccountId>, wa_id: &WaId) -> RepoResult<Option<Conversation>>;
    /// Operations (all shops): outbound messages still `queued` or `sent` since before `before`.
    async fn count_stuck_messages(&self, before: DateTime<Utc>) -> RepoResult<u64>;
    /// A send's idempotency key, as remembered (read before work outside the transaction).
    async fn idempotency_key(&self, shop: ShopId, key: &IdempotencyKey) -> RepoResult<Option<IdempotencyRecord>>;
}

/// Conversations, messages and the outbound queue inside a unit of work. (`use` this trait to call `uow.conversations()`.)
pub trait MessagingUnitOfWork {
    fn conversations(&mut self) -> &mut dyn ConversationRepository;
    fn messages(&mut self) -> &mut dyn MessageRepository;
    fn deliveries(&mut self) -> &mut dyn DeliveryRepository;
    fn idempotency(&mut self) -> &mut dyn IdempotencyRepository;
}

impl MessagingUnitOfWork for dyn crate::shared::unit_of_work::UnitOfWork + '_ {
    fn conversations(&mut self) -> &mut dyn ConversationRepository {
        crate::shared::unit_of_work::repository::<dyn ConversationRepository>(self)
    }
    fn messages(&mut self) -> &mut dyn MessageRepository {
        crate::shared::unit_of_work::repository::<dyn MessageRepository>(self)
    }
    fn deliveries(&mut self) -> &mut dyn DeliveryRepository {
        crate::shared::unit_of_work::repository::<dyn DeliveryRepository>(self)
    }
    fn idempotency(&mut self) -> &mut dyn IdempotencyRepository {
        crate::shared::unit_of_work::repository::<dyn IdempotencyRepository>(self)
    }
}
