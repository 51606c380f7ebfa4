//! The tenancy read side.

use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use application::RepoResult;
use application::tenancy::ports::{ApiKeyRecord, AuthenticatedKey, Shop, TenancyReads};
use domain::ShopId;

use super::entities::{api_keys, shops};
use super::mapping;
use crate::persistence::{Db, repo_err};

pub struct SeaTenancyReads {
    db: Db,
}

impl SeaTenancyReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl TenancyReads for SeaTenancyReads {
    async fn api_key_by_hash(&self, hash: &str) -> RepoResult<Option<AuthenticatedKey>> {
        let row = api_keys::Entity::find()
            .filter(api_keys::Column::KeyHash.eq(hash))
            .filter(api_keys::Column::RevokedAt.is_null())
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?;
        row.map(|r| {
            let rec = mapping::api_key(r)?;
            Ok(AuthenticatedKey { id: rec.id, shop_id: rec.shop_id, role: rec.role, member_id: rec.member_id })
        })
        .transpose()
    }

    async fn settings(&self, shop: ShopId) -> RepoResult<Option<(domain::tenancy::ShopSettings, chrono::DateTime<chrono::Utc>)>> {
        let row = super::entities::shop_settings::Entity::find_by_id(shop.as_uuid()).one(&self.db.conn).await.map_err(repo_err)?;
        row.map(mapping::settings).transpose()
    }

    async fn shop(&self, id: ShopId) -> RepoResult<Option<Shop>> {
        Ok(shops::Entity::find_by_id(id.as_uuid()).one(&self.db.conn).await.map_err(repo_err)?.map(mapping::shop))
    }

    async fn api_keys(&self, shop: ShopId) -> RepoResult<Vec<ApiKeyRecord>> {
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
}
