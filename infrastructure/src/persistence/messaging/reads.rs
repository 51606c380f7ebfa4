//! The messaging read side: every query is scoped by shop, paginated where it lists.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect, TransactionTrait};

use application::messaging::ports::{ConversationFilter, MessageFilter, MessagingReads};
use application::{Page, RepoResult};
use domain::messaging::{Conversation, Message};
use domain::{AccountId, ConversationId, MessageId, ShopId, WaId};

use super::entities::messages;
use super::queries;
use crate::persistence::{Db, repo_err};

pub struct SeaMessagingReads {
    db: Db,
}

impl SeaMessagingReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl MessagingReads for SeaMessagingReads {
    async fn idempotency_key(
        &self,
        shop: ShopId,
        key: &domain::messaging::IdempotencyKey,
    ) -> RepoResult<Option<domain::messaging::IdempotencyRecord>> {
        use sea_orm::EntityTrait;
        let row = super::entities::idempotency_keys::Entity::find_by_id((shop.as_uuid(), key.as_str().to_owned()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?;
        row.map(super::repository::idempotency_record).transpose()
    }

    async fn messages(&self, shop: ShopId, filter: &MessageFilter, page: Page) -> RepoResult<(Vec<Message>, u64)> {
        let total = queries::message_list(shop, filter).count(&self.db.conn).await.map_err(repo_err)?;
        let q = queries::message_list(shop, filter)
            .order_by_desc(messages::Column::Timestamp)
            .order_by_desc(messages::Column::Id)
            .limit(page.limit)
            .offset(page.offset);
        Ok((queries::all_messages(&self.db.conn, q).await?, total))
    }

    async fn message(&self, shop: ShopId, id: MessageId) -> RepoResult<Option<Message>> {
        queries::one_message(&self.db.conn, queries::message(shop, id)).await
    }

    async fn conversations(&self, shop: ShopId, filter: &ConversationFilter, page: Page) -> RepoResult<(Vec<Conversation>, u64)> {
        let mut list = queries::conversation_list(shop, filter);
        let Some(q) = &filter.inbox.search else {
            let total = list.clone().count(&self.db.conn).await.map_err(repo_err)?;
            let q = queries::conversation_order(list, filter.inbox.sort).limit(page.limit).offset(page.offset);
            return Ok((queries::all_conversations(&self.db.conn, q).await?, total));
        };
        let words = crate::persistence::inbox::search::words(q);
        list = crate::persistence::inbox::search::matching(list, self.db.backend(), shop, &words);
        // A search's statements have a timeout (Postgres; SQLite has none to set).
        let txn = self.db.conn.begin().await.map_err(repo_err)?;
        crate::persistence::inbox::search::limit_time(&txn).await?;
        let total = list.clone().count(&txn).await.map_err(repo_err)?;
        let q = queries::conversation_order(list, filter.inbox.sort).limit(page.limit).offset(page.offset);
        let rows = queries::all_conversations(&txn, q).await?;
        txn.commit().await.map_err(repo_err)?;
        Ok((rows, total))
    }

    async fn conversation(&self, shop: ShopId, id: ConversationId) -> RepoResult<Option<Conversation>> {
        queries::one_conversation(&self.db.conn, queries::conversation(shop, id)).await
    }

    async fn latest_conversation(&self, shop: ShopId, account: Option<AccountId>, wa_id: &WaId) -> RepoResult<Option<Conversation>> {
        queries::one_conversation(&self.db.conn, queries::latest(Some(shop), account, wa_id)).await
    }

    async fn count_stuck_messages(&self, before: DateTime<Utc>) -> RepoResult<u64> {
        queries::stuck(before).count(&self.db.conn).await.map_err(repo_err)
    }
}
