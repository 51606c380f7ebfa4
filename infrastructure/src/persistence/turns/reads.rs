//! The turns context's read side.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use application::RepoResult;
use application::turns::ports::{TurnLog, TurnReads};
use domain::turns::{AutomatedResponse, Thread};
use domain::{AutomatedResponseId, ConversationId, CustomerId, ShopId};

use super::entities::{automated_responses, threads, turn_messages, turns};
use super::mapping;
use crate::persistence::messaging::entities::conversations;
use crate::persistence::{Db, repo_err};

pub struct SeaTurnReads {
    db: Db,
}

impl SeaTurnReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    async fn logs(&self, rows: Vec<turns::Model>) -> RepoResult<Vec<TurnLog>> {
        let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
        let mut wamids: std::collections::HashMap<uuid::Uuid, Vec<(DateTime<Utc>, String)>> = std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            let ms = turn_messages::Entity::find()
                .filter(turn_messages::Column::TurnId.is_in(chunk.to_vec()))
                .all(&self.db.conn)
                .await
                .map_err(repo_err)?;
            for m in ms {
                wamids.entry(m.turn_id).or_default().push((m.received_at, m.wamid));
            }
        }
        rows.into_iter()
            .map(|r| {
                let mut w = wamids.remove(&r.id).unwrap_or_default();
                w.sort();
                Ok(TurnLog { turn: mapping::turn(r)?, wamids: w.into_iter().map(|(_, w)| w).collect() })
            })
            .collect()
    }
}

#[async_trait]
impl TurnReads for SeaTurnReads {
    async fn turns_of(&self, shop: ShopId, conversation: ConversationId, limit: u64) -> RepoResult<Option<Vec<TurnLog>>> {
        let Some(c) = conversations::Entity::find_by_id(conversation.as_uuid())
            .filter(conversations::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
        else {
            return Ok(None);
        };
        let rows = turns::Entity::find()
            .filter(turns::Column::ShopId.eq(shop.as_uuid()))
            .filter(turns::Column::AccountId.eq(c.account_id))
            .filter(turns::Column::WaId.eq(c.wa_id))
            .order_by_desc(turns::Column::CreatedAt)
            .order_by_desc(turns::Column::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        self.logs(rows).await.map(Some)
    }

    async fn waiting(&self, shop: ShopId, before: DateTime<Utc>, limit: u64) -> RepoResult<(Vec<Thread>, u64)> {
        let q =
            threads::Entity::find().filter(threads::Column::ShopId.eq(shop.as_uuid())).filter(threads::Column::WaitingSince.lte(before));
        let total = q.clone().count(&self.db.conn).await.map_err(repo_err)?;
        let rows = q
            .order_by_asc(threads::Column::WaitingSince)
            .order_by_asc(threads::Column::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok((rows.into_iter().map(mapping::thread).collect::<RepoResult<_>>()?, total))
    }

    async fn count_waiting(&self, before: DateTime<Utc>) -> RepoResult<u64> {
        threads::Entity::find().filter(threads::Column::WaitingSince.lte(before)).count(&self.db.conn).await.map_err(repo_err)
    }

    async fn responses(&self, shop: ShopId) -> RepoResult<Vec<AutomatedResponse>> {
        let rows = automated_responses::Entity::find()
            .filter(automated_responses::Column::ShopId.eq(shop.as_uuid()))
            .order_by_asc(automated_responses::Column::CreatedAt)
            .order_by_asc(automated_responses::Column::Id)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        rows.into_iter().map(mapping::response).collect()
    }

    async fn response(&self, shop: ShopId, id: AutomatedResponseId) -> RepoResult<Option<AutomatedResponse>> {
        automated_responses::Entity::find_by_id(id.as_uuid())
            .filter(automated_responses::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(mapping::response)
            .transpose()
    }

    async fn of_customer(&self, shop: ShopId, customer: CustomerId) -> RepoResult<(Vec<Thread>, Vec<TurnLog>)> {
        let threads = threads::Entity::find()
            .filter(threads::Column::ShopId.eq(shop.as_uuid()))
            .filter(threads::Column::CustomerId.eq(customer.as_uuid()))
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        let rows = turns::Entity::find()
            .filter(turns::Column::ShopId.eq(shop.as_uuid()))
            .filter(turns::Column::CustomerId.eq(customer.as_uuid()))
            .order_by_asc(turns::Column::CreatedAt)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok((threads.into_iter().map(mapping::thread).collect::<RepoResult<_>>()?, self.logs(rows).await?))
    }
}
