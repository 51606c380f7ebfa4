//! The relay's view of the outbox: unpublished rows in `seq` order, marked once confirmed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;

use application::ports::RepoResult;

use super::entities::outbox;
use super::{Db, repo_err};

#[derive(Debug, Clone)]
pub struct OutboxRecord {
    pub seq: i64,
    pub event_id: uuid::Uuid,
    pub event_type: String,
    pub subject: String,
    pub envelope: Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct OutboxStore {
    db: Db,
}

impl OutboxStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn unpublished(&self, limit: u64) -> RepoResult<Vec<OutboxRecord>> {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::PublishedAt.is_null())
            .order_by_asc(outbox::Column::Seq)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows
            .into_iter()
            .map(|r| OutboxRecord {
                seq: r.seq,
                event_id: r.event_id,
                event_type: r.event_type,
                subject: r.subject,
                envelope: r.envelope,
                created_at: r.created_at,
            })
            .collect())
    }

    pub async fn mark_published(&self, seqs: &[i64], at: DateTime<Utc>) -> RepoResult<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        let _guard = self.db.write_guard().await;
        outbox::Entity::update_many()
            .col_expr(outbox::Column::PublishedAt, Expr::value(at))
            .filter(outbox::Column::Seq.is_in(seqs.iter().copied()))
            .exec(&self.db.conn)
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    /// How many events wait, and when the oldest was recorded.
    pub async fn lag(&self) -> RepoResult<(u64, Option<DateTime<Utc>>)> {
        let pending = outbox::Entity::find().filter(outbox::Column::PublishedAt.is_null());
        let count = pending.clone().count(&self.db.conn).await.map_err(repo_err)?;
        let oldest = pending.order_by_asc(outbox::Column::Seq).one(&self.db.conn).await.map_err(repo_err)?.map(|r| r.created_at);
        Ok((count, oldest))
    }
}
