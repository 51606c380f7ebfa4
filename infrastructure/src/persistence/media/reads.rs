//! Media reads, outside a transaction. Every read is by shop.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use application::RepoResult;
use application::media::ports::MediaReads;
use domain::media::MediaFile;
use domain::{CustomerId, MediaId, ShopId};

use super::entities::media::{Column, Entity};
use super::entities::media_settings;
use super::mapping;
use crate::persistence::messaging::entities::messages;
use crate::persistence::{Db, repo_err};

#[derive(Clone)]
pub struct SeaMediaReads {
    db: Db,
}

impl SeaMediaReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl MediaReads for SeaMediaReads {
    async fn by_id(&self, shop: ShopId, id: MediaId) -> RepoResult<Option<MediaFile>> {
        Entity::find_by_id(id.as_uuid())
            .filter(Column::ShopId.eq(shop.as_uuid()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(mapping::file)
            .transpose()
    }

    async fn of_customer(&self, shop: ShopId, customer: CustomerId) -> RepoResult<Vec<MediaFile>> {
        let theirs = Query::select()
            .column(messages::Column::Id)
            .from(messages::Entity)
            .and_where(messages::Column::ShopId.eq(shop.as_uuid()))
            .and_where(messages::Column::CustomerId.eq(customer.as_uuid()))
            .to_owned();
        Entity::find()
            .filter(Column::ShopId.eq(shop.as_uuid()))
            .filter(Column::MessageId.in_subquery(theirs))
            .order_by_asc(Column::CreatedAt)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(mapping::file)
            .collect()
    }

    async fn retention(&self, shop: ShopId) -> RepoResult<Option<u32>> {
        Ok(media_settings::Entity::find_by_id(shop.as_uuid())
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .and_then(|s| s.retention_days)
            .map(|d| d.max(0) as u32))
    }

    async fn retention_policies(&self) -> RepoResult<Vec<(ShopId, u32)>> {
        let rows: Vec<(uuid::Uuid, i32)> = media_settings::Entity::find()
            .select_only()
            .column(media_settings::Column::ShopId)
            .column(media_settings::Column::RetentionDays)
            .filter(media_settings::Column::RetentionDays.is_not_null())
            .order_by_asc(media_settings::Column::ShopId)
            .into_tuple()
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(|(s, d)| (ShopId::from(s), d.max(0) as u32)).collect())
    }

    async fn older_than(&self, shop: ShopId, before: DateTime<Utc>, limit: u64) -> RepoResult<Vec<MediaFile>> {
        Entity::find()
            .filter(Column::ShopId.eq(shop.as_uuid()))
            .filter(Column::CreatedAt.lt(before))
            .filter(Column::State.is_in(["stored", "failed"]))
            .order_by_asc(Column::CreatedAt)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(mapping::file)
            .collect()
    }

    async fn pending_count(&self) -> RepoResult<u64> {
        Entity::find().filter(Column::State.eq("pending")).count(&self.db.conn).await.map_err(repo_err)
    }
}
