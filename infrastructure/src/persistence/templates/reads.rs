//! The templates read side.

use async_trait::async_trait;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

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
        let sq = SendsSql::of(self.db.backend());
        let (within_a_day, billable, sends) = (sq.within_a_day, sq.billable, &sq.sends);
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
             {sends}"
        );
        let row = self.db.conn.query_one_raw(sq.statement(sql, shop, waba_id, name, language)).await.map_err(repo_err)?;
        let get = |k: &str| row.as_ref().and_then(|r| r.try_get::<i64>("", k).ok()).unwrap_or(0).max(0) as u64;
        Ok(TemplateFigures {
            sent: get("sent"),
            delivered: get("delivered"),
            read: get("read"),
            failed: get("failed"),
            replied_within_24h: get("replied"),
            billable: get("billable"),
            cost: None,
        })
    }

    async fn billable_by_market(&self, shop: ShopId, waba_id: &str, name: &str, language: &str) -> RepoResult<Vec<(String, String, u64)>> {
        let sq = SendsSql::of(self.db.backend());
        let (category, billable, sends) = (sq.category, sq.billable, &sq.sends);
        let sql = format!(
            "SELECT COALESCE({category}, '') AS category, substr(replace(m.to_number, '+', ''), 1, 4) AS digits, \
               CAST(COUNT(*) AS BIGINT) AS n \
             {sends} AND {billable} GROUP BY 1, 2"
        );
        let rows = self.db.conn.query_all_raw(sq.statement(sql, shop, waba_id, name, language)).await.map_err(repo_err)?;
        rows.iter()
            .map(|r| {
                let category: String = r.try_get("", "category").map_err(repo_err)?;
                let digits: String = r.try_get("", "digits").map_err(repo_err)?;
                let n: i64 = r.try_get("", "n").map_err(repo_err)?;
                Ok((category, digits, n.max(0) as u64))
            })
            .collect()
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

/// A template's sends in each database's words: the template's name and language inside the
/// message's content, Meta's pricing, and "within 24 hours". Meta times the customer's message
/// in whole seconds: a reply in the same second as the send can carry an earlier time, hence
/// the one second.
struct SendsSql {
    backend: sea_orm::DbBackend,
    within_a_day: &'static str,
    billable: &'static str,
    category: &'static str,
    /// `FROM … WHERE …` the shop's (`$1`) sends of the template (`$3`, `$4`) on the WABA (`$2`).
    sends: String,
}

impl SendsSql {
    fn of(backend: sea_orm::DbBackend) -> Self {
        let pg = backend == sea_orm::DbBackend::Postgres;
        let (name_of, language_of) = if pg {
            ("m.content->>'name'", "m.content->>'language'")
        } else {
            ("json_extract(m.content, '$.name')", "json_extract(m.content, '$.language')")
        };
        Self {
            backend,
            within_a_day: if pg {
                "r.timestamp > m.timestamp - interval '1 second' AND r.timestamp <= m.timestamp + interval '24 hours'"
            } else {
                "julianday(r.timestamp) > julianday(m.timestamp) - 1.0 / 86400 AND julianday(r.timestamp) <= julianday(m.timestamp) + 1.0"
            },
            billable: if pg { "m.pricing->>'billable' = 'true'" } else { "json_extract(m.pricing, '$.billable') IN (1, 'true')" },
            category: if pg { "lower(m.pricing->>'category')" } else { "lower(json_extract(m.pricing, '$.category'))" },
            sends: format!(
                "FROM messages m JOIN whatsapp_accounts a ON a.id = m.account_id \
                 WHERE m.shop_id = $1 AND m.kind = 'template' AND m.direction = 'outbound' AND a.waba_id = $2 \
                   AND {name_of} = $3 AND {language_of} = $4"
            ),
        }
    }

    fn statement(&self, sql: String, shop: ShopId, waba_id: &str, name: &str, language: &str) -> sea_orm::Statement {
        let sql = if self.backend == sea_orm::DbBackend::Postgres {
            sql
        } else {
            sql.replace("$1", "?").replace("$2", "?").replace("$3", "?").replace("$4", "?")
        };
        let values = [shop.as_uuid().into(), waba_id.into(), name.into(), language.into()];
        sea_orm::Statement::from_sql_and_values(self.backend, sql, values)
    }
}
