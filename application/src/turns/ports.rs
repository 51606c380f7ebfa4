//! Ports of the turns context.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::shared::repo::RepoResult;
use domain::turns::{AutomatedResponse, Thread, Turn};
use domain::{AccountId, AutomatedResponseId, ConversationId, CustomerId, MessageId, ShopId, TurnId, WaId};

/// A customer's message that was just stored (not a redelivery): it opens or extends its
/// thread's turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub customer_id: CustomerId,
    pub wa_id: WaId,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub wamid: String,
    /// The customer's first message ever.
    pub first_contact: bool,
    /// An opt-out or opt-in keyword (the consent feature answers it).
    pub keyword: bool,
}

/// What opening a turn writes for one thread: the turn's fields as of this batch.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnOpening {
    /// The id of the turn if it is new (an open turn of the thread keeps its own).
    pub id: TurnId,
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub customer_id: CustomerId,
    pub wa_id: WaId,
    pub conversation_id: ConversationId,
    pub at: DateTime<Utc>,
    /// Due if nothing more comes: now plus the shop's quiet time (a turn already open keeps its
    /// cap: first message plus 10 s).
    pub due_at: DateTime<Utc>,
    pub cap_at: DateTime<Utc>,
    pub messages: u32,
    pub first_contact: bool,
    pub keyword: bool,
    /// The batch's messages of the thread: (message, wamid).
    pub wamids: Vec<(MessageId, String)>,
}

/// The turns' write side, inside a unit of work.
#[async_trait]
pub trait TurnRepository: Send {
    /// Open a turn per thread, or extend the thread's open one (later due, never past its cap;
    /// the flags or-ed; the count added), and record its messages. Set-based.
    async fn open(&mut self, openings: &[TurnOpening]) -> RepoResult<()>;
    /// A turn, locked for its answer.
    async fn lock(&mut self, shop: ShopId, id: TurnId) -> RepoResult<Option<Turn>>;
    /// Record a turn's outcome.
    async fn save(&mut self, turn: &Turn) -> RepoResult<()>;
    /// The texts of a turn's messages (its text messages' bodies, in Meta's order).
    async fn texts(&mut self, id: TurnId) -> RepoResult<Vec<String>>;
    /// Erasure: a customer's turns and their messages' records go.
    async fn erase_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<u64>;
}

/// Threads' write side.
#[async_trait]
pub trait ThreadRepository: Send {
    async fn lock(&mut self, account: AccountId, wa_id: &WaId) -> RepoResult<Option<Thread>>;
    /// Several threads, locked in key order.
    async fn lock_many(&mut self, keys: &[(AccountId, WaId)]) -> RepoResult<Vec<Thread>>;
    /// Insert a new thread (version 0) or update a known one (checked against its version).
    async fn save(&mut self, thread: &Thread) -> RepoResult<()>;
    /// Threads whose owner's time ran out, locked (rows another transaction holds are skipped).
    async fn lock_expired(&mut self, now: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Thread>>;
    async fn erase_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<u64>;
}

/// Automated responses' write side.
#[async_trait]
pub trait AutomatedResponseRepository: Send {
    async fn insert(&mut self, rule: &AutomatedResponse) -> RepoResult<()>;
    async fn lock(&mut self, shop: ShopId, id: AutomatedResponseId) -> RepoResult<Option<AutomatedResponse>>;
    async fn update(&mut self, rule: &AutomatedResponse) -> RepoResult<()>;
    async fn delete(&mut self, shop: ShopId, id: AutomatedResponseId) -> RepoResult<bool>;
    /// The shop's rules, the oldest first.
    async fn of_shop(&mut self, shop: ShopId) -> RepoResult<Vec<AutomatedResponse>>;
    /// Count a match (statistics: how often, and when last).
    async fn record_match(&mut self, shop: ShopId, id: AutomatedResponseId, now: DateTime<Utc>) -> RepoResult<()>;
}

/// The turn worker's queue: due turns claimed like the media queue.
#[async_trait]
pub trait TurnQueue: Send + Sync {
    /// Take up to `limit` due turns (open and due, or claimed by a holder whose claim ran out)
    /// for `holder` until `until`.
    async fn claim(&self, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Turn>>;
}

/// A turn as its log shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnLog {
    pub turn: Turn,
    pub wamids: Vec<String>,
}

/// The read side.
#[async_trait]
pub trait TurnReads: Send + Sync {
    /// The turns of a conversation's thread, the newest first.
    async fn turns_of(&self, shop: ShopId, conversation: ConversationId, limit: u64) -> RepoResult<Option<Vec<TurnLog>>>;
    /// The shop's threads waiting for people since before `before`, the longest waiting first.
    async fn waiting(&self, shop: ShopId, before: DateTime<Utc>, limit: u64) -> RepoResult<(Vec<Thread>, u64)>;
    /// Threads of every shop waiting since before `before`.
    async fn count_waiting(&self, before: DateTime<Utc>) -> RepoResult<u64>;
    /// The shop's automated responses, the oldest first.
    async fn responses(&self, shop: ShopId) -> RepoResult<Vec<AutomatedResponse>>;
    async fn response(&self, shop: ShopId, id: AutomatedResponseId) -> RepoResult<Option<AutomatedResponse>>;
    /// A customer's threads and turns (the export).
    async fn of_customer(&self, shop: ShopId, customer: CustomerId) -> RepoResult<(Vec<Thread>, Vec<TurnLog>)>;
}

/// The turns context inside a unit of work. (`use` this trait to call `uow.turns()`.)
pub trait TurnsUnitOfWork {
    fn turns(&mut self) -> &mut dyn TurnRepository;
    fn threads(&mut self) -> &mut dyn ThreadRepository;
    fn automated_responses(&mut self) -> &mut dyn AutomatedResponseRepository;
}

impl TurnsUnitOfWork for dyn crate::shared::unit_of_work::UnitOfWork + '_ {
    fn turns(&mut self) -> &mut dyn TurnRepository {
        crate::shared::unit_of_work::repository::<dyn TurnRepository>(self)
    }
    fn threads(&mut self) -> &mut dyn ThreadRepository {
        crate::shared::unit_of_work::repository::<dyn ThreadRepository>(self)
    }
    fn automated_responses(&mut self) -> &mut dyn AutomatedResponseRepository {
        crate::shared::unit_of_work::repository::<dyn AutomatedResponseRepository>(self)
    }
}

/// The shops' quiet times, for the turns a batch opens.
pub type QuietTimes = HashMap<ShopId, u32>;
