//! The templates read side.

use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use application::RepoResult;
use application::shared::repo::Page;
use application::templates::ports::{StatusChange, TemplateFigures, TemplateReads};
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

    async fn figures(&self, shop: ShopId, waba_id: &str, name: &str, language: &str) -> RepoResult<TemplateFigures> {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        // The template's name and language inside the message's content, and "within 24 hours",
        // in each database's words. Meta times the customer's message in whole seconds: a reply
        // in the same second as the send can carry an earlier time, hence the one second.
        let (name_of, language_of, within_a_day) = match self.db.backend() {
            DbBackend::Postgres => (
                "m.content->>'name'",
                "m.content->>'language'",
                "r.timestamp > m.timestamp - interval '1 second' AND r.timestamp <= m.timestamp + interval '24 hours'",
            ),
            _ => (
                "json_extract(m.content, '$.name')",
                "json_extract(m.content, '$.language')",
                "julianday(r.timestamp) > julianday(m.timestamp) - 1.0 / 86400 AND julianday(r.timestamp) <= julianday(m.timestamp) + 1.0",
            ),
        };
        let billable = match self.db.backend() {
            DbBackend::Postgres => "m.pricing->>'billable' = 'true'",
            _ => "json_extract(m.pricing, '$.billable') IN (1, 'true')",
        };
        let sql = format!(
            "SELECT \
               CAST(COALESCE(SUM(CASE WHEN m.wamid IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS sent, \
               CAST(COALESCE(SUM(CASE WHEN m.status IN ('delivered', 'read') THEN 1 ELSE 0 END), 0) AS BIGINT) AS delivered, \
               CAST(COALESCE(SUM(CASE WHEN m.status = 'read' THEN 1 ELSE 0 END), 0) AS BIGINT) AS read, \
               CAST(COALESCE(SUM(CASE WHEN m.status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed, \
               CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM messages r WHERE r.shop_id = m.shop_id \
                 AND r.account_id = m.account_id AND r.wa_id = m.wa_id AND r.direction = 'inbound' AND {within_a_day}) \
                 THEN 1 ELSE 0 END), 0) AS BIGINT) AS replied, \
               CAST(COALESCE(SUM(CASE WHEN {billable} THEN 1 ELSE 0 END), 0) AS BIGINT) AS billable \
             FROM messages m JOIN whatsapp_accounts a ON a.id = m.account_id \
             WHERE m.shop_id = $1 AND m.kind = 'template' AND m.direction = 'outbound' AND a.waba_id = $2 \
               AND {name_of} = $3 AND {language_of} = $4"
        );
        let backend = self.db.backend();
        let sql = if backend == DbBackend::Postgres {
            sql
        } else {
            sql.replace("$1", "?").replace("$2", "?").replace("$3", "?").replace("$4", "?")
        };
        let values = [shop.as_uuid().into(), waba_id.into(), name.into(), language.into()];
        let row = self.db.conn.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await.map_err(repo_err)?;
        let get = |k: &str| row.as_ref().and_then(|r| r.try_get::<i64>("", k).ok()).unwrap_or(0).max(0) as u64;
        Ok(TemplateFigures {
            sent: get("sent"),
            delivered: get("delivered"),
            read: get("read"),
            failed: get("failed"),
            replied_within_24h: get("replied"),
            billable: get("billable"),
        })
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
