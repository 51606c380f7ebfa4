//! The merchant webhooks' write side, inside a unit of work.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockType, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use application::webhook_subscriptions::ports::{HookDelivery, SubscriptionRepository};
use application::{RepoError, RepoResult};
use domain::webhook_subscriptions::WebhookSubscription;
use domain::{CustomerId, ShopId, WebhookSubscriptionId};

use super::entities::{webhook_deliveries as deliveries, webhook_subscriptions as subs};
use super::mapping;
use crate::persistence::repo_err;
use crate::persistence::sql::{Txn, chunks, json_len};

pub struct SeaSubscriptionRepository {
    pub(crate) tx: Txn,
}

#[async_trait]
impl SubscriptionRepository for SeaSubscriptionRepository {
    async fn insert(&mut self, s: &WebhookSubscription) -> RepoResult<()> {
        mapping::subscription_row(s, 1).insert(self.tx.as_ref()).await.map(|_| ()).map_err(repo_err)
    }

    async fn lock(&mut self, shop: ShopId, id: WebhookSubscriptionId) -> RepoResult<Option<WebhookSubscription>> {
        let q = subs::Entity::find_by_id(id.as_uuid()).filter(subs::Column::ShopId.eq(shop.as_uuid())).lock(LockType::Update);
        q.one(self.tx.as_ref()).await.map_err(repo_err)?.map(mapping::subscription).transpose()
    }

    async fn lock_many(&mut self, ids: &[WebhookSubscriptionId]) -> RepoResult<Vec<WebhookSubscription>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = subs::Entity::find()
            .filter(subs::Column::Id.is_in(ids.iter().map(|i| i.as_uuid())))
            .order_by_asc(subs::Column::Id)
            .lock(LockType::Update)
            .all(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        rows.into_iter().map(mapping::subscription).collect()
    }

    async fn update(&mut self, s: &WebhookSubscription) -> RepoResult<()> {
        let loaded = s.snapshot().version;
        let mut row = mapping::subscription_row(s, loaded + 1);
        row.id = sea_orm::ActiveValue::NotSet;
        let res = subs::Entity::update_many()
            .set(row)
            .filter(subs::Column::Id.eq(s.id().as_uuid()))
            .filter(subs::Column::Version.eq(loaded))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        if res.rows_affected != 1 {
            return Err(RepoError::Concurrency(format!("webhook subscription {} changed since it was read", s.id()).into()));
        }
        Ok(())
    }

    async fn delete(&mut self, shop: ShopId, id: WebhookSubscriptionId) -> RepoResult<bool> {
        let res = subs::Entity::delete_many()
            .filter(subs::Column::Id.eq(id.as_uuid()))
            .filter(subs::Column::ShopId.eq(shop.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        if res.rows_affected == 1 {
            deliveries::Entity::delete_many()
                .filter(deliveries::Column::SubscriptionId.eq(id.as_uuid()))
                .exec(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
        }
        Ok(res.rows_affected == 1)
    }

    async fn active_of(&mut self, shops: &[ShopId]) -> RepoResult<Vec<WebhookSubscription>> {
        let rows = subs::Entity::find()
            .filter(subs::Column::ShopId.is_in(shops.iter().map(|s| s.as_uuid())))
            .filter(subs::Column::Status.eq("active"))
            .all(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        rows.into_iter().map(mapping::subscription).collect()
    }

    async fn insert_deliveries(&mut self, list: &[HookDelivery]) -> RepoResult<u64> {
        let mut n = 0;
        for chunk in chunks(list, 17, |d| json_len(&d.payload) + 200) {
            let rows: Vec<_> = chunk.iter().map(mapping::delivery_row).collect();
            let res = deliveries::Entity::insert_many(rows)
                .on_conflict(OnConflict::columns([deliveries::Column::SubscriptionId, deliveries::Column::EventId]).do_nothing().to_owned())
                .exec_without_returning(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
            n += res;
        }
        Ok(n)
    }

    async fn lock_deliveries(&mut self, ids: &[uuid::Uuid]) -> RepoResult<Vec<HookDelivery>> {
        let mut out = Vec::new();
        let mut ids = ids.to_vec();
        ids.sort();
        for chunk in ids.chunks(500) {
            let rows = deliveries::Entity::find()
                .filter(deliveries::Column::Id.is_in(chunk.to_vec()))
                .order_by_asc(deliveries::Column::Id)
                .lock(LockType::Update)
                .all(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
            for r in rows {
                out.push(mapping::delivery(r)?);
            }
        }
        Ok(out)
    }

    async fn save_deliveries(&mut self, list: &[HookDelivery]) -> RepoResult<()> {
        for d in list {
            deliveries::Entity::update_many()
                .col_expr(deliveries::Column::State, Expr::value(d.state.as_str()))
                .col_expr(deliveries::Column::Attempts, Expr::value(d.attempts as i32))
                .col_expr(deliveries::Column::NextAttemptAt, Expr::value(d.next_attempt_at))
                .col_expr(deliveries::Column::LastStatus, Expr::value(d.last_status.map(i32::from)))
                .col_expr(deliveries::Column::LastError, Expr::value(d.last_error.clone()))
                .col_expr(deliveries::Column::LastAttemptAt, Expr::value(d.last_attempt_at))
                .col_expr(deliveries::Column::DeliveredAt, Expr::value(d.delivered_at))
                .col_expr(deliveries::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
                .filter(deliveries::Column::Id.eq(d.id))
                .exec(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
        }
        Ok(())
    }

    async fn erase_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<u64> {
        let res = deliveries::Entity::delete_many()
            .filter(deliveries::Column::ShopId.eq(shop.as_uuid()))
            .filter(deliveries::Column::CustomerId.eq(customer.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(res.rows_affected)
    }

    async fn prune(&mut self, before: DateTime<Utc>, limit: u64) -> RepoResult<u64> {
        let ids: Vec<uuid::Uuid> = deliveries::Entity::find()
            .select_only()
            .column(deliveries::Column::Id)
            .filter(deliveries::Column::State.is_in(["delivered", "dead"]))
            .filter(deliveries::Column::CreatedAt.lt(before))
            .limit(limit)
            .into_tuple()
            .all(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        let mut n = 0;
        for chunk in ids.chunks(1000) {
            n += deliveries::Entity::delete_many()
                .filter(deliveries::Column::Id.is_in(chunk.to_vec()))
                .exec(self.tx.as_ref())
                .await
                .map_err(repo_err)?
                .rows_affected;
        }
        Ok(n)
    }
}
