//! The merchant webhooks' read side.

use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use application::RepoResult;
use application::webhook_subscriptions::ports::{HookDelivery, HookReads};
use domain::webhook_subscriptions::WebhookSubscription;
use domain::{ShopId, WebhookSubscriptionId};

use super::entities::{webhook_deliveries as deliveries, webhook_subscriptions as subs};
use super::mapping;
use crate::persistence::{Db, repo_err};

pub struct SeaHookReads {
    db: Db,
}

impl SeaHookReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl HookReads for SeaHookReads {
    async fn subscriptions(&self, shop: ShopId) -> RepoResult<Vec<WebhookSubscription>> {
        let rows = subs::Entity::find()
            .filter(subs::Column::ShopId.eq(shop.as_uuid()))
            .order_by_asc(subs::Column::CreatedAt)
            .order_by_asc(subs::Column::Id)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        rows.into_iter().map(mapping::subscription).collect()
    }

    async fn subscription(&self, shop: ShopId, id: WebhookSubscriptionId) -> RepoResult<Option<WebhookSubscription>> {
        subs::Entity::find_by_id(id.as_uuid())
            .filter(subs::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(mapping::subscription)
            .transpose()
    }

    async fn by_ids(&self, ids: &[WebhookSubscriptionId]) -> RepoResult<Vec<WebhookSubscription>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = subs::Entity::find()
            .filter(subs::Column::Id.is_in(ids.iter().map(|i| i.as_uuid())))
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        rows.into_iter().map(mapping::subscription).collect()
    }

    async fn deliveries(&self, shop: ShopId, id: WebhookSubscriptionId, limit: u64, offset: u64) -> RepoResult<(Vec<HookDelivery>, u64)> {
        let q = deliveries::Entity::find()
            .filter(deliveries::Column::ShopId.eq(shop.as_uuid()))
            .filter(deliveries::Column::SubscriptionId.eq(id.as_uuid()));
        let total = q.clone().count(&self.db.conn).await.map_err(repo_err)?;
        let rows = q
            .order_by_desc(deliveries::Column::CreatedAt)
            .order_by_desc(deliveries::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok((rows.into_iter().map(mapping::delivery).collect::<RepoResult<_>>()?, total))
    }
}
