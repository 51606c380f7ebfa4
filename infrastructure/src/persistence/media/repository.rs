//! The media write side, inside a unit of work.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use application::RepoResult;
use application::media::ports::MediaRepository;
use domain::media::MediaFile;
use domain::{CustomerId, MediaId, ShopId};

use super::entities::media::{Column, Entity};
use super::entities::media_settings;
use super::mapping;
use crate::persistence::messaging::entities::messages;
use crate::persistence::repo_err;
use crate::persistence::sql::{Txn, chunks};

const COLUMNS: usize = 22;
const ROW_BYTES: usize = 400;

/// Every column but the id and the shop, for an upsert.
const CHANGING: [Column; 20] = [
    Column::AccountId,
    Column::Origin,
    Column::Kind,
    Column::MimeType,
    Column::Filename,
    Column::Size,
    Column::Sha256,
    Column::ExpectedSha256,
    Column::MetaMediaId,
    Column::MetaUploadedAt,
    Column::MessageId,
    Column::State,
    Column::Attempts,
    Column::NextAttemptAt,
    Column::ClaimedBy,
    Column::ClaimedUntil,
    Column::LastError,
    Column::CreatedAt,
    Column::StoredAt,
    Column::RemovedAt,
];

pub struct SeaMediaRepository {
    pub(crate) tx: Txn,
}

impl SeaMediaRepository {
    async fn write(&mut self, files: &[MediaFile], upsert: bool) -> RepoResult<()> {
        for chunk in chunks(files, COLUMNS, |_| ROW_BYTES) {
            let conflict = if upsert {
                OnConflict::column(Column::Id).update_columns(CHANGING).to_owned()
            } else {
                OnConflict::column(Column::Id).do_nothing().to_owned()
            };
            Entity::insert_many(chunk.iter().map(mapping::row))
                .on_conflict(conflict)
                .exec_without_returning(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
        }
        Ok(())
    }
}

#[async_trait]
impl MediaRepository for SeaMediaRepository {
    async fn insert_many(&mut self, files: &[MediaFile]) -> RepoResult<()> {
        self.write(files, false).await
    }

    async fn lock(&mut self, shop: ShopId, id: MediaId) -> RepoResult<Option<MediaFile>> {
        Entity::find_by_id(id.as_uuid())
            .filter(Column::ShopId.eq(shop.as_uuid()))
            .lock_exclusive()
            .one(self.tx.as_ref())
            .await
            .map_err(repo_err)?
            .map(mapping::file)
            .transpose()
    }

    async fn lock_many(&mut self, shop: ShopId, ids: &[MediaId]) -> RepoResult<Vec<MediaFile>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in chunks(ids, 1, |_| 40) {
            let rows = Entity::find()
                .filter(Column::ShopId.eq(shop.as_uuid()))
                .filter(Column::Id.is_in(chunk.iter().map(|i| i.as_uuid())))
                .lock_exclusive()
                .all(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
            for r in rows {
                out.push(mapping::file(r)?);
            }
        }
        Ok(out)
    }

    async fn lock_of_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<Vec<MediaFile>> {
        let theirs = Query::select()
            .column(messages::Column::Id)
            .from(messages::Entity)
            .and_where(Expr::col(messages::Column::ShopId).eq(shop.as_uuid()))
            .and_where(Expr::col(messages::Column::CustomerId).eq(customer.as_uuid()))
            .to_owned();
        Entity::find()
            .filter(Column::ShopId.eq(shop.as_uuid()))
            .filter(Column::State.is_in(["pending", "stored", "failed"]))
            .filter(Column::MessageId.in_subquery(theirs))
            .lock_exclusive()
            .all(self.tx.as_ref())
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(mapping::file)
            .collect()
    }

    async fn save(&mut self, file: &MediaFile) -> RepoResult<()> {
        self.write(std::slice::from_ref(file), true).await
    }

    async fn save_many(&mut self, files: &[MediaFile]) -> RepoResult<()> {
        self.write(files, true).await
    }

    async fn set_retention(&mut self, shop: ShopId, days: Option<u32>, now: DateTime<Utc>) -> RepoResult<()> {
        let row =
            media_settings::ActiveModel { shop_id: Set(shop.as_uuid()), retention_days: Set(days.map(|d| d as i32)), updated_at: Set(now) };
        media_settings::Entity::insert(row)
            .on_conflict(
                OnConflict::column(media_settings::Column::ShopId)
                    .update_columns([media_settings::Column::RetentionDays, media_settings::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(self.tx.as_ref())
            .await
            .map(|_| ())
            .map_err(repo_err)
    }
}
