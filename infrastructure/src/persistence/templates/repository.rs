//! The templates write side, inside a unit of work.

use async_trait::async_trait;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use application::RepoResult;
use application::templates::ports::TemplateRepository;
use domain::ShopId;
use domain::templates::{TemplateCategory, TemplateStatus};

use super::entities::template_categories as categories;
use super::entities::templates::{ActiveModel, Column, Entity};
use crate::persistence::repo_err;
use crate::persistence::sql::Txn;

pub struct SeaTemplateRepository {
    pub(crate) tx: Txn,
}

#[async_trait]
impl TemplateRepository for SeaTemplateRepository {
    async fn lock_status(&mut self, shop: ShopId, meta_template_id: &str) -> RepoResult<Option<TemplateStatus>> {
        Ok(Entity::find()
            .filter(Column::ShopId.eq(shop.as_uuid()))
            .filter(Column::MetaTemplateId.eq(meta_template_id))
            .lock_exclusive()
            .one(self.tx.as_ref())
            .await
            .map_err(repo_err)?
            .map(|m| TemplateStatus {
                shop_id: m.shop_id.into(),
                waba_id: m.waba_id,
                meta_template_id: m.meta_template_id,
                name: m.name,
                language: m.language,
                status: m.status,
                reason: m.reason,
                updated_at: m.updated_at,
            }))
    }

    async fn save_status(&mut self, r: &TemplateStatus) -> RepoResult<()> {
        let row = ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            shop_id: Set(r.shop_id.as_uuid()),
            waba_id: Set(r.waba_id.clone()),
            meta_template_id: Set(r.meta_template_id.clone()),
            name: Set(r.name.clone()),
            language: Set(r.language.clone()),
            status: Set(r.status.clone()),
            reason: Set(r.reason.clone()),
            updated_at: Set(r.updated_at),
        };
        Entity::insert(row)
            .on_conflict(
                OnConflict::columns([Column::ShopId, Column::MetaTemplateId])
                    .update_columns([Column::Name, Column::Language, Column::Status, Column::Reason, Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(self.tx.as_ref())
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    async fn category_of(&mut self, shop: ShopId, name: &str, language: &str) -> RepoResult<Option<TemplateCategory>> {
        Ok(categories::Entity::find_by_id((shop.as_uuid(), name.to_owned(), language.to_owned()))
            .one(self.tx.as_ref())
            .await
            .map_err(repo_err)?
            .and_then(|m| TemplateCategory::parse(&m.category)))
    }

    async fn save_category(&mut self, shop: ShopId, name: &str, language: &str, category: TemplateCategory) -> RepoResult<bool> {
        if self.category_of(shop, name, language).await? == Some(category) {
            return Ok(false);
        }
        let row = categories::ActiveModel {
            shop_id: Set(shop.as_uuid()),
            name: Set(name.to_owned()),
            language: Set(language.to_owned()),
            category: Set(category.as_str().to_owned()),
        };
        categories::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([categories::Column::ShopId, categories::Column::Name, categories::Column::Language])
                    .update_column(categories::Column::Category)
                    .to_owned(),
            )
            .exec_without_returning(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(true)
    }
}
