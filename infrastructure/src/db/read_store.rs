//! The read side: every query is scoped by shop, paginated where it lists.

use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use application::ports::*;
use domain::account::WhatsAppAccount;
use domain::conversation::Conversation;
use domain::customer::Customer;
use domain::message::Message;
use domain::phone::{PhoneNumber, WaId};
use domain::{AccountId, ConversationId, CustomerId, MessageId, ShopId};

use super::entities::*;
use super::{Db, mapping, repo_err};

#[derive(Clone)]
pub struct SeaReadStore {
    db: Db,
}

impl SeaReadStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn message_query(shop: ShopId, f: &MessageFilter) -> Select<messages::Entity> {
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

#[async_trait]
impl ReadStore for SeaReadStore {
    async fn api_key_by_hash(&self, hash: &str) -> RepoResult<Option<AuthenticatedKey>> {
        let row = api_keys::Entity::find()
            .filter(api_keys::Column::KeyHash.eq(hash))
            .filter(api_keys::Column::RevokedAt.is_null())
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?;
        row.map(|r| {
            let rec = mapping::api_key(r)?;
            Ok(AuthenticatedKey { id: rec.id, shop_id: rec.shop_id, role: rec.role })
        })
        .transpose()
    }

    async fn shop(&self, id: ShopId) -> RepoResult<Option<Shop>> {
        Ok(shops::Entity::find_by_id(id.as_uuid()).one(&self.db.conn).await.map_err(repo_err)?.map(|m| Shop {
            id: m.id.into(),
            name: m.name,
            created_at: m.created_at,
        }))
    }

    async fn list_api_keys(&self, shop: ShopId) -> RepoResult<Vec<ApiKeyRecord>> {
        api_keys::Entity::find()
            .filter(api_keys::Column::ShopId.eq(shop.as_uuid()))
            .filter(api_keys::Column::RevokedAt.is_null())
            .order_by_asc(api_keys::Column::CreatedAt)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(mapping::api_key)
            .collect()
    }

    async fn accounts(&self, shop: ShopId) -> RepoResult<Vec<WhatsAppAccount>> {
        whatsapp_accounts::Entity::find()
            .filter(whatsapp_accounts::Column::ShopId.eq(shop.as_uuid()))
            .order_by_asc(whatsapp_accounts::Column::ConnectedAt)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(mapping::account)
            .collect()
    }

    async fn account(&self, shop: ShopId, id: AccountId) -> RepoResult<Option<WhatsAppAccount>> {
        whatsapp_accounts::Entity::find_by_id(id.as_uuid())
            .filter(whatsapp_accounts::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(mapping::account)
            .transpose()
    }

    async fn account_by_display_number(&self, shop: ShopId, number: &PhoneNumber) -> RepoResult<Option<WhatsAppAccount>> {
        whatsapp_accounts::Entity::find()
            .filter(whatsapp_accounts::Column::ShopId.eq(shop.as_uuid()))
            .filter(whatsapp_accounts::Column::DisplayPhoneNumber.eq(number.as_str()))
            .filter(whatsapp_accounts::Column::Status.ne("disconnected"))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(mapping::account)
            .transpose()
    }

    async fn messages(&self, shop: ShopId, filter: &MessageFilter, page: Page) -> RepoResult<(Vec<Message>, u64)> {
        let total = message_query(shop, filter).count(&self.db.conn).await.map_err(repo_err)?;
        let rows = message_query(shop, filter)
            .order_by_desc(messages::Column::Timestamp)
            .order_by_desc(messages::Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        let messages = rows.into_iter().map(mapping::message).collect::<Result<_, _>>()?;
        Ok((messages, total))
    }

    async fn message(&self, shop: ShopId, id: MessageId) -> RepoResult<Option<Message>> {
        messages::Entity::find_by_id(id.as_uuid())
            .filter(messages::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(mapping::message)
            .transpose()
    }

    async fn conversations(&self, shop: ShopId, filter: &ConversationFilter, page: Page) -> RepoResult<(Vec<Conversation>, u64)> {
        let build = || {
            let mut q = conversations::Entity::find().filter(conversations::Column::ShopId.eq(shop.as_uuid()));
            if let Some(s) = filter.status {
                q = q.filter(conversations::Column::Status.eq(s.as_str()));
            }
            if let Some(w) = &filter.wa_id {
                q = q.filter(conversations::Column::WaId.eq(w.as_str()));
            }
            if let Some(a) = filter.account_id {
                q = q.filter(conversations::Column::AccountId.eq(a.as_uuid()));
            }
            q
        };
        let total = build().count(&self.db.conn).await.map_err(repo_err)?;
        let rows = build()
            .order_by_desc(conversations::Column::LastMessageAt)
            .order_by_desc(conversations::Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok((rows.into_iter().map(mapping::conversation).collect::<Result<_, _>>()?, total))
    }

    async fn conversation(&self, shop: ShopId, id: ConversationId) -> RepoResult<Option<Conversation>> {
        conversations::Entity::find_by_id(id.as_uuid())
            .filter(conversations::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(mapping::conversation)
            .transpose()
    }

    async fn latest_conversation(&self, shop: ShopId, account: Option<AccountId>, wa_id: &WaId) -> RepoResult<Option<Conversation>> {
        let mut q = conversations::Entity::find()
            .filter(conversations::Column::ShopId.eq(shop.as_uuid()))
            .filter(conversations::Column::WaId.eq(wa_id.as_str()));
        if let Some(a) = account {
            q = q.filter(conversations::Column::AccountId.eq(a.as_uuid()));
        }
        q.order_by_desc(conversations::Column::StartedAt)
            .order_by_desc(conversations::Column::Id)
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(mapping::conversation)
            .transpose()
    }

    async fn customer_by_wa_id(&self, shop: ShopId, wa_id: &WaId) -> RepoResult<Option<Customer>> {
        customers::Entity::find()
            .filter(customers::Column::ShopId.eq(shop.as_uuid()))
            .filter(customers::Column::WaId.eq(wa_id.as_str()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(mapping::customer)
            .transpose()
    }

    async fn customer_by_user_id(&self, shop: ShopId, user_id: &str) -> RepoResult<Option<Customer>> {
        customers::Entity::find()
            .filter(customers::Column::ShopId.eq(shop.as_uuid()))
            .filter(customers::Column::UserId.eq(user_id))
            .order_by_desc(customers::Column::UpdatedAt)
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(mapping::customer)
            .transpose()
    }

    async fn customer(&self, shop: ShopId, id: CustomerId) -> RepoResult<Option<Customer>> {
        customers::Entity::find_by_id(id.as_uuid())
            .filter(customers::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(mapping::customer)
            .transpose()
    }

    async fn encrypted_token(&self, account: AccountId) -> RepoResult<Option<String>> {
        Ok(whatsapp_accounts::Entity::find_by_id(account.as_uuid())
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(|m| m.access_token_encrypted))
    }

    async fn count_stuck_messages(&self, before: chrono::DateTime<chrono::Utc>) -> RepoResult<u64> {
        messages::Entity::find()
            .filter(messages::Column::Direction.eq("outbound"))
            .filter(messages::Column::Status.is_in(["queued", "sent"]))
            .filter(messages::Column::UpdatedAt.lt(before))
            .count(&self.db.conn)
            .await
            .map_err(repo_err)
    }

    async fn ping(&self) -> RepoResult<()> {
        self.db.ping().await.map_err(repo_err)
    }
}
