//! The inbox's write side, inside a unit of work.

use async_trait::async_trait;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::LockType;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use application::RepoResult;
use application::inbox::ports::InboxRepository;
use chrono::{DateTime, Utc};
use domain::inbox::stats::{Handling, HandlingEnd};
use domain::inbox::{Note, QuickReply, RoutingRule};
use domain::{ConversationId, CustomerId, DepartmentId, MemberId, QuickReplyId, RoutingRuleId, ShopId, ThreadId};

use super::entities::{
    conversation_notes as notes, conversation_tags as tags, member_handlings as mh, quick_replies, routing_rules as rules,
};
use crate::persistence::repo_err;
use crate::persistence::sql::Txn;

pub struct SeaInboxRepository {
    pub(crate) tx: Txn,
}

#[async_trait]
impl InboxRepository for SeaInboxRepository {
    async fn insert_note(&mut self, n: &Note) -> RepoResult<()> {
        let row = notes::ActiveModel {
            id: Set(n.id.as_uuid()),
            shop_id: Set(n.shop_id.as_uuid()),
            conversation_id: Set(n.conversation_id.as_uuid()),
            customer_id: Set(n.customer_id.as_uuid()),
            author: Set(n.author.clone()),
            member_id: Set(n.member_id.map(|m| m.as_uuid())),
            body: Set(n.body.clone()),
            created_at: Set(n.created_at),
        };
        row.insert(self.tx.as_ref()).await.map(|_| ()).map_err(repo_err)
    }

    async fn erase_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<u64> {
        let res = notes::Entity::delete_many()
            .filter(notes::Column::ShopId.eq(shop.as_uuid()))
            .filter(notes::Column::CustomerId.eq(customer.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(res.rows_affected)
    }

    async fn tags_of(&mut self, conversation: ConversationId) -> RepoResult<Vec<String>> {
        let rows = tags::Entity::find()
            .filter(tags::Column::ConversationId.eq(conversation.as_uuid()))
            .order_by_asc(tags::Column::Position)
            .all(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(|r| r.tag).collect())
    }

    async fn replace_tags(&mut self, shop: ShopId, conversation: ConversationId, customer: CustomerId, list: &[String]) -> RepoResult<()> {
        tags::Entity::delete_many()
            .filter(tags::Column::ConversationId.eq(conversation.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        if list.is_empty() {
            return Ok(());
        }
        let rows = list.iter().enumerate().map(|(i, t)| tags::ActiveModel {
            conversation_id: Set(conversation.as_uuid()),
            tag_key: Set(t.to_lowercase()),
            shop_id: Set(shop.as_uuid()),
            customer_id: Set(customer.as_uuid()),
            tag: Set(t.clone()),
            position: Set(i as i32),
        });
        tags::Entity::insert_many(rows).exec_without_returning(self.tx.as_ref()).await.map(|_| ()).map_err(repo_err)
    }

    async fn erase_tags_of(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<u64> {
        let res = tags::Entity::delete_many()
            .filter(tags::Column::ShopId.eq(shop.as_uuid()))
            .filter(tags::Column::CustomerId.eq(customer.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(res.rows_affected)
    }

    async fn insert_rule(&mut self, rule: &RoutingRule) -> RepoResult<()> {
        super::entities::rule_row(rule).insert(self.tx.as_ref()).await.map(|_| ()).map_err(repo_err)
    }

    async fn delete_rule(&mut self, shop: ShopId, id: RoutingRuleId) -> RepoResult<bool> {
        let res = rules::Entity::delete_many()
            .filter(rules::Column::ShopId.eq(shop.as_uuid()))
            .filter(rules::Column::Id.eq(id.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(res.rows_affected == 1)
    }

    async fn rules_of(&mut self, shop: ShopId) -> RepoResult<Vec<RoutingRule>> {
        let rows = super::entities::rules_in_order(shop).all(self.tx.as_ref()).await.map_err(repo_err)?;
        rows.into_iter().map(super::entities::rule).collect()
    }

    async fn insert_quick_reply(&mut self, q: &QuickReply) -> RepoResult<()> {
        super::entities::quick_reply_row(q).insert(self.tx.as_ref()).await.map(|_| ()).map_err(repo_err)
    }

    async fn lock_quick_reply(&mut self, shop: ShopId, id: QuickReplyId) -> RepoResult<Option<QuickReply>> {
        let row = quick_replies::Entity::find_by_id(id.as_uuid())
            .filter(quick_replies::Column::ShopId.eq(shop.as_uuid()))
            .lock(LockType::Update)
            .one(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        row.map(super::entities::quick_reply).transpose()
    }

    async fn update_quick_reply(&mut self, q: &QuickReply) -> RepoResult<()> {
        super::entities::quick_reply_row(q).update(self.tx.as_ref()).await.map(|_| ()).map_err(repo_err)
    }

    async fn delete_quick_reply(&mut self, shop: ShopId, id: QuickReplyId) -> RepoResult<bool> {
        let res = quick_replies::Entity::delete_many()
            .filter(quick_replies::Column::ShopId.eq(shop.as_uuid()))
            .filter(quick_replies::Column::Id.eq(id.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(res.rows_affected == 1)
    }

    async fn shortcut_taken(
        &mut self,
        shop: ShopId,
        member: Option<MemberId>,
        shortcut: &str,
        except: Option<QuickReplyId>,
    ) -> RepoResult<bool> {
        let mut q = quick_replies::Entity::find()
            .filter(quick_replies::Column::ShopId.eq(shop.as_uuid()))
            .filter(quick_replies::Column::OwnerKey.eq(super::entities::owner_key(member)))
            .filter(quick_replies::Column::Shortcut.eq(shortcut));
        if let Some(e) = except {
            q = q.filter(quick_replies::Column::Id.ne(e.as_uuid()));
        }
        Ok(q.one(self.tx.as_ref()).await.map_err(repo_err)?.is_some())
    }

    async fn handling_recorded(&mut self, id: uuid::Uuid) -> RepoResult<bool> {
        Ok(mh::Entity::find_by_id(id).one(self.tx.as_ref()).await.map_err(repo_err)?.is_some())
    }

    async fn end_handling(&mut self, conversation: ConversationId, at: DateTime<Utc>, end: HandlingEnd) -> RepoResult<()> {
        mh::Entity::update_many()
            .col_expr(mh::Column::EndedAt, sea_orm::sea_query::Expr::value(at))
            .col_expr(mh::Column::EndReason, sea_orm::sea_query::Expr::value(end.as_str()))
            .filter(mh::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(mh::Column::EndedAt.is_null())
            .filter(mh::Column::AssignedAt.lte(at))
            .exec(self.tx.as_ref())
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    async fn start_handling(&mut self, id: uuid::Uuid, shop: ShopId, h: &Handling) -> RepoResult<()> {
        let row = mh::ActiveModel {
            id: Set(id),
            shop_id: Set(shop.as_uuid()),
            conversation_id: Set(h.conversation_id.as_uuid()),
            member_id: Set(h.member_id.as_uuid()),
            department_id: Set(h.department_id.map(|d| d.as_uuid())),
            assigned_at: Set(h.assigned_at),
            first_response_at: Set(h.first_response_at),
            ended_at: Set(h.ended_at),
            end_reason: Set(h.end.map(|e| e.as_str().to_owned())),
        };
        mh::Entity::insert(row)
            .on_conflict(sea_orm::sea_query::OnConflict::column(mh::Column::Id).do_nothing().to_owned())
            .exec_without_returning(self.tx.as_ref())
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    async fn first_response(&mut self, conversation: ConversationId, member: MemberId, at: DateTime<Utc>) -> RepoResult<()> {
        mh::Entity::update_many()
            .col_expr(mh::Column::FirstResponseAt, sea_orm::sea_query::Expr::value(at))
            .filter(mh::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(mh::Column::MemberId.eq(member.as_uuid()))
            .filter(mh::Column::EndedAt.is_null())
            .filter(mh::Column::FirstResponseAt.is_null())
            .filter(mh::Column::AssignedAt.lte(at))
            .exec(self.tx.as_ref())
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    async fn thread_department(&mut self, thread: ThreadId) -> RepoResult<Option<DepartmentId>> {
        use crate::persistence::turns::entities::threads;
        let row = threads::Entity::find_by_id(thread.as_uuid()).one(self.tx.as_ref()).await.map_err(repo_err)?;
        Ok(row.and_then(|t| t.department_id).map(Into::into))
    }
}
