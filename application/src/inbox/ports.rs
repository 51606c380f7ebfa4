//! Ports of the inbox context.

use async_trait::async_trait;

use crate::shared::repo::RepoResult;
use chrono::{DateTime, Utc};
use domain::inbox::stats::{Handling, HandlingEnd};
use domain::inbox::{Note, QuickReply, RoutingRule};
use domain::turns::Thread;
use domain::{ConversationId, CustomerId, DepartmentId, MemberId, QuickReplyId, RoutingRuleId, ShopId, ThreadId};

/// The inbox's write side, inside a unit of work.
#[async_trait]
pub trait InboxRepository: Send {
    async fn insert_note(&mut self, note: &Note) -> RepoResult<()>;
    /// Every note about the customer goes (erasure).
    async fn erase_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<u64>;
    /// A conversation's tags, in their order.
    async fn tags_of(&mut self, conversation: ConversationId) -> RepoResult<Vec<String>>;
    /// Replace a conversation's tags.
    async fn replace_tags(&mut self, shop: ShopId, conversation: ConversationId, customer: CustomerId, tags: &[String]) -> RepoResult<()>;
    /// Every tag on the customer's conversations goes (erasure).
    async fn erase_tags_of(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<u64>;
    async fn insert_rule(&mut self, rule: &RoutingRule) -> RepoResult<()>;
    /// `false`: the shop has no such rule.
    async fn delete_rule(&mut self, shop: ShopId, id: RoutingRuleId) -> RepoResult<bool>;
    /// The shop's routing rules (routing tries them by priority).
    async fn rules_of(&mut self, shop: ShopId) -> RepoResult<Vec<RoutingRule>>;
    async fn insert_quick_reply(&mut self, q: &QuickReply) -> RepoResult<()>;
    async fn lock_quick_reply(&mut self, shop: ShopId, id: QuickReplyId) -> RepoResult<Option<QuickReply>>;
    async fn update_quick_reply(&mut self, q: &QuickReply) -> RepoResult<()>;
    /// `false`: the shop has no such quick reply.
    async fn delete_quick_reply(&mut self, shop: ShopId, id: QuickReplyId) -> RepoResult<bool>;
    /// Whether another quick reply of the same owner (the shop's shared ones, or one member's)
    /// has this shortcut.
    async fn shortcut_taken(
        &mut self,
        shop: ShopId,
        member: Option<MemberId>,
        shortcut: &str,
        except: Option<QuickReplyId>,
    ) -> RepoResult<bool>;
    /// Whether the handling this assignment event started is recorded (a redelivery).
    async fn handling_recorded(&mut self, id: uuid::Uuid) -> RepoResult<bool>;
    /// End the conversation's open handling, if it started at or before `at`.
    async fn end_handling(&mut self, conversation: ConversationId, at: DateTime<Utc>, end: HandlingEnd) -> RepoResult<()>;
    /// Record a handling that starts (`id`: its assignment event).
    async fn start_handling(&mut self, id: uuid::Uuid, shop: ShopId, handling: &Handling) -> RepoResult<()>;
    /// The member's first reply in their open handling of the conversation (kept if one is).
    async fn first_response(&mut self, conversation: ConversationId, member: MemberId, at: DateTime<Utc>) -> RepoResult<()>;
    /// The department a thread is in now.
    async fn thread_department(&mut self, thread: ThreadId) -> RepoResult<Option<DepartmentId>>;
}

#[async_trait]
pub trait InboxReads: Send + Sync {
    /// A conversation's notes, oldest first, at most `limit`; `None`: no such conversation in the
    /// shop.
    async fn notes(&self, shop: ShopId, conversation: ConversationId, limit: u64) -> RepoResult<Option<Vec<Note>>>;
    /// The threads people own and assigned to this member now (whose time has not run out), the
    /// longest held first; `None`: no such member in the shop.
    async fn threads_of_member(&self, shop: ShopId, member: MemberId, now: DateTime<Utc>) -> RepoResult<Option<Vec<Thread>>>;
    /// The queue: threads people own, nobody in particular, whose customer waits, in the order
    /// they started waiting (one shop, or every shop), at most `limit`.
    async fn waiting_threads(&self, shop: Option<ShopId>, now: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Thread>>;
    /// Threads assigned to a member in a department with an SLA, whose customer has waited past
    /// it (counted from when they started waiting or the member took the thread, whichever is
    /// later), at most `limit`, the most overdue first.
    async fn overdue_threads(&self, now: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Thread>>;
    /// A conversation's tags; `None`: no such conversation in the shop.
    async fn tags(&self, shop: ShopId, conversation: ConversationId) -> RepoResult<Option<Vec<String>>>;
    /// The tags of each of a customer's conversations that has some (export).
    async fn tags_of_customer(&self, shop: ShopId, customer: CustomerId) -> RepoResult<Vec<(ConversationId, Vec<String>)>>;
    /// The shop's routing rules, in the order routing tries them (priority, then oldest).
    async fn rules(&self, shop: ShopId) -> RepoResult<Vec<RoutingRule>>;
    /// Every note about a customer, oldest first (export).
    async fn notes_of_customer(&self, shop: ShopId, customer: CustomerId) -> RepoResult<Vec<Note>>;
    /// The shop's shared quick replies and the member's own, by shortcut; `prefix`: only those
    /// whose shortcut starts with it (lowercase).
    async fn quick_replies(&self, shop: ShopId, member: Option<MemberId>, prefix: Option<&str>) -> RepoResult<Vec<QuickReply>>;
    async fn quick_reply(&self, shop: ShopId, id: QuickReplyId) -> RepoResult<Option<QuickReply>>;
    /// The shop's handlings (of one member, or all) that started in `[from, to)` or are open now.
    async fn handlings(&self, shop: ShopId, member: Option<MemberId>, from: DateTime<Utc>, to: DateTime<Utc>) -> RepoResult<Vec<Handling>>;
}

/// The context inside a unit of work. (`use` this trait to call `uow.inbox()`.)
pub trait InboxUnitOfWork {
    fn inbox(&mut self) -> &mut dyn InboxRepository;
}

impl InboxUnitOfWork for dyn crate::shared::unit_of_work::UnitOfWork + '_ {
    fn inbox(&mut self) -> &mut dyn InboxRepository {
        crate::shared::unit_of_work::repository::<dyn InboxRepository>(self)
    }
}

/// How far one pass of the search's backfill went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BackfillStep {
    /// Messages and customers looked at.
    pub scanned: u64,
    /// Documents written (those already indexed are left alone).
    pub indexed: u64,
    /// Nothing stored before the search existed is left to index.
    pub done: bool,
}

/// The search's backfill: messages and customers stored before the search existed get their
/// documents, a batch at a time, from a kept cursor; what is indexed already stays as it is,
/// and an erased customer's data is never indexed again.
#[async_trait]
pub trait SearchBackfill: Send + Sync {
    async fn backfill(&self, batch: u64) -> RepoResult<BackfillStep>;
}
