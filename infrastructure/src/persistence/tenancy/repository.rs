//! The tenancy write side, inside a unit of work.

use async_trait::async_trait;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};

use application::RepoResult;
use application::tenancy::ports::{ApiKeyRecord, Shop, ShopRepository};
use domain::{MemberId, ShopId};

use super::entities::{api_keys, shops};
use crate::persistence::repo_err;
use crate::persistence::sql::Txn;

pub struct SeaShopRepository {
    pub(crate) tx: Txn,
}

#[async_trait]
impl ShopRepository for SeaShopRepository {
    async fn insert_shop(&mut self, shop: &Shop) -> RepoResult<()> {
        shops::ActiveModel { id: Set(shop.id.as_uuid()), name: Set(shop.name.clone()), created_at: Set(shop.created_at) }
            .insert(self.tx.as_ref())
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    async fn save_settings(
        &mut self,
        shop: ShopId,
        settings: &domain::tenancy::ShopSettings,
        now: chrono::DateTime<chrono::Utc>,
    ) -> RepoResult<()> {
        use super::entities::shop_settings::{Column as C, Entity};
        Entity::insert(super::mapping::settings_row(shop, settings, now))
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(C::ShopId)
                    .update_columns([C::TimeZone, C::BusinessHours, C::ClosedDates, C::TurnQuietMs, C::HandBackHours, C::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(self.tx.as_ref())
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    async fn settings_of(&mut self, shops: &[ShopId]) -> RepoResult<std::collections::HashMap<ShopId, domain::tenancy::ShopSettings>> {
        use super::entities::shop_settings::{Column as C, Entity};
        if shops.is_empty() {
            return Ok(Default::default());
        }
        let ids: Vec<uuid::Uuid> = shops.iter().map(|s| s.as_uuid()).collect();
        let rows = Entity::find().filter(C::ShopId.is_in(ids)).all(self.tx.as_ref()).await.map_err(repo_err)?;
        rows.into_iter().map(|m| Ok((ShopId::from(m.shop_id), super::mapping::settings(m)?.0))).collect()
    }

    async fn shop_exists(&mut self, id: ShopId) -> RepoResult<bool> {
        Ok(shops::Entity::find_by_id(id.as_uuid()).one(self.tx.as_ref()).await.map_err(repo_err)?.is_some())
    }

    async fn member_active(&mut self, shop: ShopId, member: MemberId) -> RepoResult<Option<bool>> {
        use crate::persistence::team::entities::team_members;
        let m = team_members::Entity::find_by_id(member.as_uuid())
            .filter(team_members::Column::ShopId.eq(shop.as_uuid()))
            .one(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(m.map(|m| m.active))
    }

    async fn insert_api_key(&mut self, key: &ApiKeyRecord) -> RepoResult<()> {
        api_keys::ActiveModel {
            id: Set(key.id.as_uuid()),
            shop_id: Set(key.shop_id.as_uuid()),
            name: Set(key.name.clone()),
            role: Set(key.role.as_str().to_owned()),
            key_hash: Set(key.key_hash.clone()),
            key_prefix: Set(key.key_prefix.clone()),
            created_at: Set(key.created_at),
            revoked_at: Set(None),
            member_id: Set(key.member_id.map(|m| m.as_uuid())),
        }
        .insert(self.tx.as_ref())
        .await
        .map(|_| ())
        .map_err(repo_err)
    }
}
