//! Queries of the messaging context that the write side (in a transaction, locking) and the
//! read side share.

use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, Select};

use application::RepoResult;
use application::messaging::ports::{Assignee, ConversationFilter, InboxFilter, InboxSort, MessageFilter, WindowFilter};
use domain::messaging::{Conversation, Message};
use domain::{AccountId, ConversationId, MessageId, ShopId, WaId};

use super::entities::{conversations, messages};
use super::mapping;
use crate::persistence::repo_err;
use crate::persistence::sql::{padded, pairs_in};
use crate::persistence::turns::entities::threads;

// ---- conversations

pub(crate) fn conversation(shop: ShopId, id: ConversationId) -> Select<conversations::Entity> {
    conversations::Entity::find_by_id(id.as_uuid()).filter(conversations::Column::ShopId.eq(shop.as_uuid()))
}

pub(crate) fn conversations_by_ids(ids: &[ConversationId]) -> Select<conversations::Entity> {
    conversations::Entity::find()
        .filter(conversations::Column::Id.is_in(padded(ids).into_iter().map(|i| i.as_uuid())))
        .order_by_asc(conversations::Column::Id)
}

pub(crate) fn active_by_keys(keys: &[(AccountId, WaId)]) -> Select<conversations::Entity> {
    let pairs = keys.iter().map(|(a, w)| (a.as_uuid().into(), w.as_str().to_owned().into()));
    conversations::Entity::find()
        .filter(conversations::Column::Status.eq("active"))
        .filter(pairs_in(conversations::Column::AccountId, conversations::Column::WaId, pairs))
        .order_by_asc(conversations::Column::Id)
}

/// The most recent conversation (any status) with a customer, on one number or any of the
/// shop's numbers.
pub(crate) fn latest(shop: Option<ShopId>, account: Option<AccountId>, wa_id: &WaId) -> Select<conversations::Entity> {
    let mut q = conversations::Entity::find().filter(conversations::Column::WaId.eq(wa_id.as_str()));
    if let Some(s) = shop {
        q = q.filter(conversations::Column::ShopId.eq(s.as_uuid()));
    }
    if let Some(a) = account {
        q = q.filter(conversations::Column::AccountId.eq(a.as_uuid()));
    }
    q.order_by_desc(conversations::Column::StartedAt).order_by_desc(conversations::Column::Id)
}

/// Active conversations whose latest customer message (or start, if none) is at or before
/// `before`.
pub(crate) fn stale_active(before: chrono::DateTime<chrono::Utc>) -> Select<conversations::Entity> {
    conversations::Entity::find()
        .filter(conversations::Column::Status.eq("active"))
        .filter(
            Condition::any()
                .add(conversations::Column::LastInboundAt.lt(before))
                .add(Condition::all().add(conversations::Column::LastInboundAt.is_null()).add(conversations::Column::StartedAt.lt(before))),
        )
        .order_by_asc(conversations::Column::LastMessageAt)
}

pub(crate) fn conversation_list(shop: ShopId, f: &ConversationFilter) -> Select<conversations::Entity> {
    let mut q = conversations::Entity::find().filter(conversations::Column::ShopId.eq(shop.as_uuid()));
    if let Some(s) = f.status {
        q = q.filter(conversations::Column::Status.eq(s.as_str()));
    }
    if let Some(w) = &f.wa_id {
        q = q.filter(conversations::Column::WaId.eq(w.as_str()));
    }
    if let Some(a) = f.account_id {
        q = q.filter(conversations::Column::AccountId.eq(a.as_uuid()));
    }
    inbox_filters(q, shop, &f.inbox)
}

/// The inbox's filters (docs/INBOX.md). The window is `last_inbound_at` + 24 h.
fn inbox_filters(mut q: Select<conversations::Entity>, shop: ShopId, f: &InboxFilter) -> Select<conversations::Entity> {
    use sea_orm::sea_query::Query;
    if let Some(s) = f.inbox_state {
        q = q.filter(conversations::Column::InboxState.eq(s.as_str()));
    }
    match f.assignee {
        Some(Assignee::Member(m)) => q = q.filter(conversations::Column::AssignedAgentId.eq(m.as_uuid())),
        Some(Assignee::Nobody) => q = q.filter(conversations::Column::AssignedAgentId.is_null()),
        None => {}
    }
    if let Some(d) = f.department {
        let latest = Query::select()
            .column(threads::Column::ConversationId)
            .from(threads::Entity)
            .and_where(threads::Column::DepartmentId.eq(d.as_uuid()))
            .to_owned();
        q = q.filter(conversations::Column::Id.in_subquery(latest));
    }
    match f.unread {
        Some(true) => q = q.filter(conversations::Column::UnreadCount.gt(0)),
        Some(false) => q = q.filter(conversations::Column::UnreadCount.eq(0)),
        None => {}
    }
    if let Some(t) = &f.tag {
        use crate::persistence::inbox::entities::conversation_tags as tags;
        let tagged = Query::select()
            .column(tags::Column::ConversationId)
            .from(tags::Entity)
            .and_where(tags::Column::ShopId.eq(shop.as_uuid()))
            .and_where(tags::Column::TagKey.eq(t.trim().to_lowercase()))
            .to_owned();
        q = q.filter(conversations::Column::Id.in_subquery(tagged));
    }
    if let Some(id) = f.only {
        q = q.filter(conversations::Column::Id.eq(id.as_uuid()));
    }
    if let Some(m) = f.visible_to {
        use crate::persistence::team::entities::department_members as dm;
        let departments =
            Query::select().column(dm::Column::DepartmentId).from(dm::Entity).and_where(dm::Column::MemberId.eq(m.as_uuid())).to_owned();
        let in_departments = Query::select()
            .column(threads::Column::ConversationId)
            .from(threads::Entity)
            .and_where(threads::Column::DepartmentId.in_subquery(departments))
            .to_owned();
        q = q.filter(
            Condition::any()
                .add(conversations::Column::AssignedAgentId.eq(m.as_uuid()))
                .add(conversations::Column::Id.in_subquery(in_departments)),
        );
    }
    let window = chrono::Duration::hours(24);
    match f.window {
        Some(WindowFilter::Open) => {
            q = q.filter(conversations::Column::Status.eq("active")).filter(conversations::Column::LastInboundAt.gt(f.now - window));
        }
        Some(WindowFilter::ClosingWithin(within)) => {
            q = q
                .filter(conversations::Column::Status.eq("active"))
                .filter(conversations::Column::LastInboundAt.gt(f.now - window))
                .filter(conversations::Column::LastInboundAt.lte(f.now - window + within));
        }
        None => {}
    }
    if let Some(t) = f.last_message_after {
        q = q.filter(conversations::Column::LastMessageAt.gte(t));
    }
    if let Some(t) = f.last_message_before {
        q = q.filter(conversations::Column::LastMessageAt.lt(t));
    }
    q
}

/// The list's order: most recently active first, or the customer waiting longest for people
/// first (their thread's `waiting_since`; conversations nobody waits on come after).
pub(crate) fn conversation_order(q: Select<conversations::Entity>, sort: InboxSort) -> Select<conversations::Entity> {
    let q = match sort {
        InboxSort::LastMessage => q,
        InboxSort::LongestWaiting => {
            // One look-up per row (threads by conversation_id), nobody waiting last.
            let waiting = "(SELECT t.waiting_since FROM threads t WHERE t.conversation_id = conversations.id)";
            q.order_by_with_nulls(Expr::cust(waiting), Order::Asc, sea_orm::sea_query::NullOrdering::Last)
        }
    };
    q.order_by_desc(conversations::Column::LastMessageAt).order_by_desc(conversations::Column::Id)
}

pub(crate) async fn one_conversation<C: ConnectionTrait>(db: &C, q: Select<conversations::Entity>) -> RepoResult<Option<Conversation>> {
    q.one(db).await.map_err(repo_err)?.map(mapping::conversation).transpose()
}

pub(crate) async fn all_conversations<C: ConnectionTrait>(db: &C, q: Select<conversations::Entity>) -> RepoResult<Vec<Conversation>> {
    q.all(db).await.map_err(repo_err)?.into_iter().map(mapping::conversation).collect()
}

// ---- messages

pub(crate) fn message(shop: ShopId, id: MessageId) -> Select<messages::Entity> {
    messages::Entity::find_by_id(id.as_uuid()).filter(messages::Column::ShopId.eq(shop.as_uuid()))
}

pub(crate) fn messages_by_ids(ids: &[MessageId]) -> Select<messages::Entity> {
    messages::Entity::find()
        .filter(messages::Column::Id.is_in(padded(ids).into_iter().map(|i| i.as_uuid())))
        .order_by_asc(messages::Column::Id)
}

pub(crate) fn messages_by_wamids(wamids: &[String]) -> Select<messages::Entity> {
    messages::Entity::find().filter(messages::Column::Wamid.is_in(padded(wamids))).order_by_asc(messages::Column::Id)
}

pub(crate) fn message_list(shop: ShopId, f: &MessageFilter) -> Select<messages::Entity> {
    let mut q = messages::Entity::find().filter(messages::Column::ShopId.eq(shop.as_uuid()));
    if let Some(w) = &f.wa_id {
        q = q.filter(messages::Column::WaId.eq(w.as_str()));
    }
    if let Some(u) = &f.user_id {
        q = q.filter(messages::Column::UserId.eq(u.as_str()));
    }
    if let Some(c) = f.conversation_id {
        q = q.filter(messages::Column::ConversationId.eq(c.as_uuid()));
    }
    if let Some(a) = f.account_id {
        q = q.filter(messages::Column::AccountId.eq(a.as_uuid()));
    }
    if let Some(d) = f.direction {
        q = q.filter(messages::Column::Direction.eq(d.as_str()));
    }
    q
}

/// Outbound messages without a final status since before `before` (all shops).
pub(crate) fn stuck(before: chrono::DateTime<chrono::Utc>) -> Select<messages::Entity> {
    messages::Entity::find()
        .filter(messages::Column::Direction.eq("outbound"))
        .filter(Expr::col(messages::Column::Status).is_in(["queued", "sent"]))
        .filter(messages::Column::UpdatedAt.lt(before))
}

pub(crate) async fn one_message<C: ConnectionTrait>(db: &C, q: Select<messages::Entity>) -> RepoResult<Option<Message>> {
    q.one(db).await.map_err(repo_err)?.map(mapping::message).transpose()
}

pub(crate) async fn all_messages<C: ConnectionTrait>(db: &C, q: Select<messages::Entity>) -> RepoResult<Vec<Message>> {
    q.all(db).await.map_err(repo_err)?.into_iter().map(mapping::message).collect()
}
