//! The inbox's write side, inside a unit of work.

use async_trait::async_trait;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use application::RepoResult;
use application::inbox::ports::InboxRepository;
use domain::inbox::{Note, RoutingRule};
use domain::{ConversationId, CustomerId, RoutingRuleId, ShopId};

use super::entities::{conversation_notes as notes, conversation_tags as tags, routing_rules as rules};
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
}
