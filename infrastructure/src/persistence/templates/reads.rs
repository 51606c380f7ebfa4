//! The templates read side.

use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use application::RepoResult;
use application::shared::repo::Page;
use application::templates::ports::{StatusChange, TemplateReads};
use domain::ShopId;
use domain::templates::Template;

use super::entities::template_status_history as hist;
use super::entities::templates::{Column, Entity};
use super::mapping;
use crate::persistence::{Db, repo_err};

pub struct SeaTemplateReads {
    db: Db,
}

impl SeaTemplateReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl TemplateReads for SeaTemplateReads {
    async fn list(&self, shop: ShopId, status: Option<&str>, name: Option<&str>, page: Page) -> RepoResult<(Vec<Template>, u64)> {
        let mut q = Entity::find().filter(Column::ShopId.eq(shop.as_uuid()));
        if let Some(s) = status {
            q = q.filter(Column::Status.eq(s));
        }
        if let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) {
            q = q.filter(Column::Name.contains(n.to_lowercase()));
        }
        let total = q.clone().count(&self.db.conn).await.map_err(repo_err)?;
        let rows = q
            .order_by_asc(Column::Name)
            .order_by_asc(Column::Language)
            .order_by_asc(Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok((rows.into_iter().map(mapping::template).collect(), total))
    }

    async fn by_id(&self, shop: ShopId, id: uuid::Uuid) -> RepoResult<Option<Template>> {
        Ok(Entity::find()
            .filter(Column::ShopId.eq(shop.as_uuid()))
            .filter(Column::Id.eq(id))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?
            .map(mapping::template))
    }

    async fn history(&self, shop: ShopId, meta_template_id: &str) -> RepoResult<Vec<StatusChange>> {
        Ok(hist::Entity::find()
            .filter(hist::Column::ShopId.eq(shop.as_uuid()))
            .filter(hist::Column::MetaTemplateId.eq(meta_template_id))
            .order_by_asc(hist::Column::At)
            .order_by_asc(hist::Column::Id)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(|h| StatusChange { status: h.status, reason: h.reason, at: h.at })
            .collect())
    }
}
