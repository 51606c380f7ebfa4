//! The relay's view of the outbox: unpublished rows in `seq` order, marked once confirmed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use application::RepoResult;
use application::shared::outbox::{OutboxRecord, OutboxRelayStore};

use super::entities::outbox;
use super::envelope::record;
use crate::persistence::sql::{chunks, padded};
use crate::persistence::{Db, repo_err};

#[derive(Clone)]
pub struct SeaOutboxRelayStore {
    db: Db,
}

impl SeaOutboxRelayStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl OutboxRelayStore for SeaOutboxRelayStore {
    async fn unpublished(&self, limit: u64) -> RepoResult<Vec<OutboxRecord>> {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::PublishedAt.is_null())
            .order_by_asc(outbox::Column::Seq)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(record).collect())
    }

    async fn mark_published(&self, seqs: &[i64], at: DateTime<Utc>) -> RepoResult<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        let _guard = self.db.write_guard().await;
        for chunk in chunks(seqs, 1, |_| 12) {
            outbox::Entity::update_many()
                .col_expr(outbox::Column::PublishedAt, Expr::value(at))
                .filter(outbox::Column::Seq.is_in(padded(chunk)))
                .exec(&self.db.conn)
                .await
                .map_err(repo_err)?;
        }
        Ok(())
    }

    /// How many events wait, and when the oldest was recorded.
    async fn lag(&self) -> RepoResult<(u64, Option<DateTime<Utc>>)> {
        let pending = outbox::Entity::find().filter(outbox::Column::PublishedAt.is_null());
        let count = pending.clone().count(&self.db.conn).await.map_err(repo_err)?;
        let oldest = pending.order_by_asc(outbox::Column::Seq).one(&self.db.conn).await.map_err(repo_err)?.map(|r| r.created_at);
        Ok((count, oldest))
    }
}
