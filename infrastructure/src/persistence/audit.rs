//! The audit log (`audit_log`): written in the transaction of the change it records.

use async_trait::async_trait;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use application::RepoResult;
use application::shared::audit::{AuditEntry, AuditReads, AuditTrail};
use application::shared::repo::Page;
use domain::ShopId;

use super::sql::{Txn, chunks};
use super::{Db, repo_err};

pub mod audit_log {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub actor: String,
        pub action: String,
        pub subject_type: String,
        pub subject_id: Option<String>,
        pub details: Json,
        pub at: DateTimeUtc,
        pub actor_member_id: Option<Uuid>,
    }
    crate::persistence::entities::no_relations!();
}

use audit_log::{ActiveModel, Column, Entity};

pub struct SeaAuditTrail {
    pub(crate) tx: Txn,
    /// The member this transaction's entries are attributed to.
    pub(crate) member: Option<domain::MemberId>,
}

#[async_trait]
impl AuditTrail for SeaAuditTrail {
    fn attribute_to(&mut self, member: Option<domain::MemberId>) {
        self.member = member;
    }

    async fn record(&mut self, entries: &[AuditEntry]) -> RepoResult<()> {
        for chunk in chunks(entries, 8, |e| 200 + e.details.to_string().len()) {
            let rows = chunk.iter().map(|e| ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                shop_id: Set(e.shop_id.as_uuid()),
                actor: Set(e.actor.clone()),
                action: Set(e.action.clone()),
                subject_type: Set(e.subject_type.clone()),
                subject_id: Set(e.subject_id.clone()),
                details: Set(e.details.clone()),
                at: Set(e.at),
                actor_member_id: Set(e.actor_member_id.or(self.member).map(|m| m.as_uuid())),
            });
            Entity::insert_many(rows).exec_without_returning(self.tx.as_ref()).await.map_err(repo_err)?;
        }
        Ok(())
    }
}

pub struct SeaAuditReads {
    db: Db,
}

impl SeaAuditReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AuditReads for SeaAuditReads {
    async fn list(&self, shop: ShopId, action: Option<&str>, page: Page) -> RepoResult<(Vec<AuditEntry>, u64)> {
        let mut q = Entity::find().filter(Column::ShopId.eq(shop.as_uuid()));
        if let Some(a) = action {
            q = q.filter(Column::Action.eq(a));
        }
        let total = q.clone().count(&self.db.conn).await.map_err(repo_err)?;
        let rows = q
            .order_by_desc(Column::At)
            .order_by_desc(Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        let items = rows
            .into_iter()
            .map(|m| AuditEntry {
                shop_id: m.shop_id.into(),
                actor: m.actor,
                action: m.action,
                subject_type: m.subject_type,
                subject_id: m.subject_id,
                details: m.details,
                at: m.at,
                actor_member_id: m.actor_member_id.map(Into::into),
            })
            .collect();
        Ok((items, total))
    }
}
