//! The customers read side.

use async_trait::async_trait;

use application::RepoResult;
use application::customers::ports::CustomerReads;
use application::customers::ports::CustomerSort;
use application::shared::repo::Page;
use chrono::{DateTime, Utc};
use domain::customers::{ConsentEntry, ConsentSettings, Customer, FieldDefinition, Group, Segment};
use domain::{CustomerId, ShopId, WaId};

use super::entities::{consent_entries, consent_settings, segments};
use super::{mapping, queries};
use crate::persistence::Db;

pub struct SeaCustomerReads {
    db: Db,
}

impl SeaCustomerReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CustomerReads for SeaCustomerReads {
    async fn by_wa_id(&self, shop: ShopId, wa_id: &WaId) -> RepoResult<Option<Customer>> {
        queries::one(&self.db.conn, queries::by_keys(&[(shop, wa_id.clone())])).await
    }

    async fn by_user_id(&self, shop: ShopId, user_id: &str) -> RepoResult<Option<Customer>> {
        queries::one(&self.db.conn, queries::by_user_id(shop, user_id)).await
    }

    async fn by_id(&self, shop: ShopId, id: CustomerId) -> RepoResult<Option<Customer>> {
        queries::one(&self.db.conn, queries::by_id(shop, id)).await
    }

    async fn list(
        &self,
        shop: ShopId,
        audience: &Group,
        sort: CustomerSort,
        page: Page,
        now: DateTime<Utc>,
    ) -> RepoResult<(Vec<Customer>, u64)> {
        use sea_orm::{PaginatorTrait, QuerySelect};
        let q = queries::matching(shop, audience, now);
        let total = q.clone().count(&self.db.conn).await.map_err(crate::persistence::repo_err)?;
        let items = queries::all(&self.db.conn, queries::sorted(q, sort).limit(page.limit).offset(page.offset)).await?;
        Ok((items, total))
    }

    async fn consent_ledger(&self, shop: ShopId, customer: CustomerId, page: Page) -> RepoResult<(Vec<ConsentEntry>, u64)> {
        use consent_entries::Column as C;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
        let q = consent_entries::Entity::find().filter(C::ShopId.eq(shop.as_uuid())).filter(C::CustomerId.eq(customer.as_uuid()));
        let total = q.clone().count(&self.db.conn).await.map_err(crate::persistence::repo_err)?;
        let rows = q
            .order_by_desc(C::RecordedAt)
            .order_by_desc(C::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.conn)
            .await
            .map_err(crate::persistence::repo_err)?;
        Ok((rows.into_iter().map(mapping::entry).collect::<Result<_, _>>()?, total))
    }

    async fn consent_settings(&self, shop: ShopId) -> RepoResult<ConsentSettings> {
        use sea_orm::EntityTrait;
        match consent_settings::Entity::find_by_id(shop.as_uuid()).one(&self.db.conn).await.map_err(crate::persistence::repo_err)? {
            Some(m) => mapping::settings(m),
            None => Ok(ConsentSettings::default()),
        }
    }

    async fn field_definitions(&self, shop: ShopId) -> RepoResult<Vec<FieldDefinition>> {
        queries::definitions(&self.db.conn, shop).await
    }

    async fn count(&self, shop: ShopId, audience: &Group, now: DateTime<Utc>) -> RepoResult<u64> {
        use sea_orm::PaginatorTrait;
        queries::matching(shop, audience, now).count(&self.db.conn).await.map_err(crate::persistence::repo_err)
    }

    async fn segments(&self, shop: ShopId) -> RepoResult<Vec<Segment>> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        segments::Entity::find()
            .filter(segments::Column::ShopId.eq(shop.as_uuid()))
            .order_by_asc(segments::Column::CreatedAt)
            .order_by_asc(segments::Column::Id)
            .all(&self.db.conn)
            .await
            .map_err(crate::persistence::repo_err)
            .map(|rows| rows.into_iter().map(mapping::segment).collect())
    }

    async fn segment(&self, shop: ShopId, id: uuid::Uuid) -> RepoResult<Option<Segment>> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        segments::Entity::find()
            .filter(segments::Column::ShopId.eq(shop.as_uuid()))
            .filter(segments::Column::Id.eq(id))
            .one(&self.db.conn)
            .await
            .map_err(crate::persistence::repo_err)
            .map(|r| r.map(mapping::segment))
    }
}
