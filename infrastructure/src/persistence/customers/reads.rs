//! The customers read side.

use async_trait::async_trait;

use application::RepoResult;
use application::customers::ports::CustomerReads;
use application::customers::ports::CustomerSort;
use application::shared::repo::Page;
use chrono::{DateTime, Utc};
use domain::customers::{ConsentEntry, ConsentSettings, Customer, FieldDefinition, Group, Segment};
use domain::{CustomerId, ShopId, WaId};

use super::audience::Intersections;
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

    /// A read-only transaction in which Postgres plans each audience query for its own values,
    /// and for indexes in memory.
    ///
    /// - A prepared statement otherwise switches to a generic plan after five runs, and a generic
    ///   plan guesses a filter's size: a two-field count went from 20 ms to 200 ms on the sixth
    ///   run. Planning costs well under a millisecond; a wrong plan costs hundreds.
    /// - `random_page_cost` 1.1 (the server's default, 4, prices a disk seek): the search tables
    ///   and their indexes are small and hot, and at 4 the planner read all 100,000 customers
    ///   (50 ms) rather than fetch the 2,000 that matched by key (5 ms). docs/adr/0008.
    async fn custom_plans(&self) -> RepoResult<sea_orm::DatabaseTransaction> {
        use sea_orm::{ConnectionTrait, TransactionTrait};
        let tx = self.db.conn.begin().await.map_err(crate::persistence::repo_err)?;
        if self.db.backend() == sea_orm::DbBackend::Postgres {
            tx.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL random_page_cost = 1.1")
                .await
                .map_err(crate::persistence::repo_err)?;
        }
        Ok(tx)
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
        use sea_orm::QuerySelect;
        // The page and the total at once, on two connections: the answer waits for the slower.
        let q = queries::matching(shop, audience, now, Intersections::SemiJoin);
        let page_query = queries::sorted(q, sort).limit(page.limit).offset(page.offset);
        let items = async {
            let tx = self.custom_plans().await?;
            let items = queries::all(&tx, page_query).await?;
            tx.commit().await.map_err(crate::persistence::repo_err)?;
            Ok(items)
        };
        let (items, total) = tokio::try_join!(items, self.count(shop, audience, now))?;
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
        let tx = self.custom_plans().await?;
        // A count visits every member: an intersection is looked up by key (Postgres).
        let how = match self.db.backend() {
            sea_orm::DbBackend::Postgres => Intersections::KeyLookup,
            _ => Intersections::SemiJoin,
        };
        let n = queries::matching(shop, audience, now, how).count(&tx).await.map_err(crate::persistence::repo_err)?;
        tx.commit().await.map_err(crate::persistence::repo_err)?;
        Ok(n)
    }

    async fn settle_after_bulk_write(&self) -> RepoResult<()> {
        use sea_orm::ConnectionTrait;
        // VACUUM runs outside a transaction, on a pooled connection of its own.
        let sql = match self.db.backend() {
            sea_orm::DbBackend::Postgres => "VACUUM (ANALYZE) customers, customer_tags, customer_field_values",
            _ => "ANALYZE",
        };
        let _writer = self.db.write_guard().await;
        self.db.conn.execute_unprepared(sql).await.map(|_| ()).map_err(crate::persistence::repo_err)
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
