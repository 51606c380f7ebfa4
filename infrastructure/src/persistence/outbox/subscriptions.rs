//! The consumers' cursors (`outbox_consumers`) and the outbox as a consumer reads it.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use application::RepoResult;
use application::shared::outbox::OutboxRecord;
use application::shared::subscription::{Cursor, SubscriptionStore};

use super::entities::{outbox, outbox_consumers};
use super::envelope::record;
use crate::persistence::{Db, corrupt, repo_err};

#[derive(Clone)]
pub struct SeaSubscriptionStore {
    db: Db,
}

impl SeaSubscriptionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SubscriptionStore for SeaSubscriptionStore {
    async fn cursor(&self, consumer: &str) -> RepoResult<Cursor> {
        match outbox_consumers::Entity::find_by_id(consumer.to_owned()).one(&self.db.conn).await.map_err(repo_err)? {
            Some(m) => {
                let ahead: BTreeSet<i64> = serde_json::from_value(m.ahead).map_err(|e| corrupt("a consumer's cursor", e))?;
                Ok(Cursor { watermark: m.watermark, ahead })
            }
            None => {
                let cursor = Cursor::starting_at(self.head().await?);
                self.save(consumer, &cursor, Utc::now()).await?;
                Ok(cursor)
            }
        }
    }

    async fn rows_after(&self, after: i64, limit: u64) -> RepoResult<Vec<OutboxRecord>> {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::Seq.gt(after))
            .order_by_asc(outbox::Column::Seq)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(record).collect())
    }

    async fn save(&self, consumer: &str, cursor: &Cursor, now: DateTime<Utc>) -> RepoResult<()> {
        use outbox_consumers::Column as C;
        let _guard = self.db.write_guard().await;
        outbox_consumers::Entity::insert(outbox_consumers::ActiveModel {
            name: Set(consumer.to_owned()),
            watermark: Set(cursor.watermark),
            ahead: Set(serde_json::json!(cursor.ahead)),
            updated_at: Set(now),
        })
        .on_conflict(OnConflict::column(C::Name).update_columns([C::Watermark, C::Ahead, C::UpdatedAt]).to_owned())
        .exec_without_returning(&self.db.conn)
        .await
        .map(|_| ())
        .map_err(repo_err)
    }

    async fn head(&self) -> RepoResult<i64> {
        let top: Option<i64> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Seq)
            .order_by_desc(outbox::Column::Seq)
            .limit(1)
            .into_tuple()
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok(top.unwrap_or(0))
    }
}
