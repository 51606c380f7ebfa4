//! The templates write side, inside a unit of work.

use async_trait::async_trait;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use application::RepoResult;
use application::templates::ports::TemplateRepository;
use domain::ShopId;
use domain::templates::{ReviewStatus, Template, TemplateCategory, TemplateStatus, TemplateStatusSnapshot};

use super::entities::template_categories as categories;
use super::entities::template_status_history as hist;
use super::entities::templates::{ActiveModel, Column, Entity};
use super::mapping;
use crate::persistence::repo_err;
use crate::persistence::sql::{Txn, chunks};

pub struct SeaTemplateRepository {
    pub(crate) tx: Txn,
}

/// A shop's template by Meta's id.
fn by_meta_id(shop: ShopId, meta_template_id: &str) -> sea_orm::Select<Entity> {
    Entity::find().filter(Column::ShopId.eq(shop.as_uuid())).filter(Column::MetaTemplateId.eq(meta_template_id))
}

#[async_trait]
impl TemplateRepository for SeaTemplateRepository {
    async fn lock_status(&mut self, shop: ShopId, meta_template_id: &str) -> RepoResult<Option<TemplateStatus>> {
        let row = by_meta_id(shop, meta_template_id).lock_exclusive().one(self.tx.as_ref()).await.map_err(repo_err)?;
        Ok(row.map(|m| {
            TemplateStatus::restore(TemplateStatusSnapshot {
                shop_id: m.shop_id.into(),
                waba_id: m.waba_id,
                meta_template_id: m.meta_template_id,
                name: m.name,
                language: m.language,
                status: ReviewStatus::parse(&m.status),
                reason: m.reason,
                updated_at: m.updated_at,
                status_at: m.status_at,
            })
        }))
    }

    async fn save_status(&mut self, r: &TemplateStatus) -> RepoResult<()> {
        let r = r.snapshot();
        let row = ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            shop_id: Set(r.shop_id.as_uuid()),
            waba_id: Set(r.waba_id.clone()),
            meta_template_id: Set(r.meta_template_id.clone()),
            name: Set(r.name.clone()),
            language: Set(r.language.clone()),
            status: Set(r.status.as_str().to_owned()),
            reason: Set(r.reason.clone()),
            updated_at: Set(r.updated_at),
            category: NotSet,
            parameter_format: NotSet,
            components: NotSet,
            account_id: NotSet,
            created_at: NotSet,
            quality: NotSet,
            status_at: Set(r.status_at),
        };
        history(self.tx.as_ref(), r.shop_id, &r.meta_template_id, r.status.as_str(), r.reason.as_deref(), r.updated_at).await?;
        Entity::insert(row)
            .on_conflict(
                OnConflict::columns([Column::ShopId, Column::MetaTemplateId])
                    .update_columns([Column::Name, Column::Language, Column::Status, Column::Reason, Column::UpdatedAt, Column::StatusAt])
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

    async fn lock(&mut self, shop: ShopId, meta_template_id: &str) -> RepoResult<Option<Template>> {
        Ok(by_meta_id(shop, meta_template_id).lock_exclusive().one(self.tx.as_ref()).await.map_err(repo_err)?.map(mapping::template))
    }

    async fn by_name(&mut self, shop: ShopId, name: &str, language: &str) -> RepoResult<Vec<Template>> {
        Ok(Entity::find()
            .filter(Column::ShopId.eq(shop.as_uuid()))
            .filter(Column::Name.eq(name))
            .filter(Column::Language.eq(language))
            .all(self.tx.as_ref())
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(mapping::template)
            .collect())
    }

    async fn lock_many(&mut self, shop: ShopId, meta_template_ids: &[String]) -> RepoResult<Vec<Template>> {
        let mut out = Vec::with_capacity(meta_template_ids.len());
        for chunk in chunks(meta_template_ids, 1, |id| 24 + id.len()) {
            let rows = Entity::find()
                .filter(Column::ShopId.eq(shop.as_uuid()))
                .filter(Column::MetaTemplateId.is_in(chunk.iter().cloned()))
                .order_by_asc(Column::Id)
                .lock_exclusive()
                .all(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
            out.extend(rows.into_iter().map(mapping::template));
        }
        Ok(out)
    }

    async fn save_many(&mut self, templates: &[(Template, bool)]) -> RepoResult<()> {
        let changed: Vec<&Template> = templates.iter().filter(|(_, c)| *c).map(|(t, _)| t).collect();
        for chunk in chunks(&changed, 6, |t| 120 + t.meta_template_id().len() + t.reason().map_or(0, str::len)) {
            let rows = chunk.iter().map(|t| hist::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                shop_id: Set(t.shop_id().as_uuid()),
                meta_template_id: Set(t.meta_template_id().to_owned()),
                status: Set(t.status().as_str().to_owned()),
                reason: Set(t.reason().map(str::to_owned)),
                at: Set(t.updated_at()),
            });
            hist::Entity::insert_many(rows).exec_without_returning(self.tx.as_ref()).await.map_err(repo_err)?;
        }
        // Two upserts: a changed status also moves `status_at` (it happened now, by our clock).
        for status_changed in [true, false] {
            let part: Vec<&Template> = templates.iter().filter(|(_, c)| *c == status_changed).map(|(t, _)| t).collect();
            let update = updated_columns(status_changed);
            for chunk in chunks(&part, 16, |t| 600 + t.definition().map_or(0, |d| crate::persistence::sql::json_len(&d.components))) {
                let rows = chunk.iter().map(|t| {
                    let mut row = mapping::row(t);
                    row.components = Set(t.definition().map(|d| d.components.clone()));
                    row.status_at = if status_changed { Set(Some(t.updated_at())) } else { NotSet };
                    row
                });
                Entity::insert_many(rows)
                    .on_conflict(OnConflict::columns([Column::ShopId, Column::MetaTemplateId]).update_columns(update.clone()).to_owned())
                    .exec_without_returning(self.tx.as_ref())
                    .await
                    .map_err(repo_err)?;
            }
        }
        Ok(())
    }

    async fn any_on_waba(&mut self, shop: ShopId, waba_id: &str) -> RepoResult<bool> {
        let found = Entity::find()
            .filter(Column::ShopId.eq(shop.as_uuid()))
            .filter(Column::WabaId.eq(waba_id))
            .limit(1)
            .one(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(found.is_some())
    }

    async fn delete(&mut self, shop: ShopId, id: uuid::Uuid) -> RepoResult<bool> {
        let Some(t) = Entity::find()
            .filter(Column::ShopId.eq(shop.as_uuid()))
            .filter(Column::Id.eq(id))
            .one(self.tx.as_ref())
            .await
            .map_err(repo_err)?
        else {
            return Ok(false);
        };
        hist::Entity::delete_many()
            .filter(hist::Column::ShopId.eq(shop.as_uuid()))
            .filter(hist::Column::MetaTemplateId.eq(t.meta_template_id.as_str()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Entity::delete_by_id(t.id).exec(self.tx.as_ref()).await.map_err(repo_err)?;
        Ok(true)
    }
}

/// What an upsert of a template replaces: everything but its ids; `status_at` only when the
/// status moved.
fn updated_columns(status_moved: bool) -> Vec<Column> {
    let mut update = vec![
        Column::WabaId,
        Column::Name,
        Column::Language,
        Column::Status,
        Column::Reason,
        Column::UpdatedAt,
        Column::Category,
        Column::AccountId,
        Column::CreatedAt,
        Column::Quality,
        Column::Components,
        Column::ParameterFormat,
    ];
    if status_moved {
        update.push(Column::StatusAt);
    }
    update
}

/// One status in a template's history.
async fn history<C: sea_orm::ConnectionTrait>(
    db: &C,
    shop: ShopId,
    meta_template_id: &str,
    status: &str,
    reason: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> RepoResult<()> {
    hist::Entity::insert(hist::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        shop_id: Set(shop.as_uuid()),
        meta_template_id: Set(meta_template_id.to_owned()),
        status: Set(status.to_owned()),
        reason: Set(reason.map(str::to_owned)),
        at: Set(at),
    })
    .exec_without_returning(db)
    .await
    .map(|_| ())
    .map_err(repo_err)
}
