//! The inbox inside a unit of work: deliveries are marked in the transaction that processed
//! them, many per statement.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use application::inbound::ports::{RawWebhookEvent, Take, WebhookEventRepository, WebhookMark};
use application::{RepoError, RepoResult};

use super::entities::webhook_events::{Column, Entity};
use crate::persistence::repo_err;
use crate::persistence::sql::{Txn, chunks, padded};

pub struct SeaWebhookEventRepository {
    pub(crate) tx: Txn,
}

#[async_trait]
impl WebhookEventRepository for SeaWebhookEventRepository {
    async fn take_pending(&mut self, take: &Take) -> RepoResult<Vec<RawWebhookEvent>> {
        use sea_orm::sea_query::{LockBehavior, LockType};
        use sea_orm::{QueryOrder, QuerySelect};
        // Locked for this transaction; rows another transaction holds are skipped, not waited
        // for (Postgres). SQLite has one writer: the transaction already excludes the others.
        let q = Entity::find().filter(Column::State.eq("pending"));
        let q = match take {
            Take::Oldest(n) => q.order_by_asc(Column::ReceivedAt).order_by_asc(Column::Id).limit(*n),
            Take::Ids(ids) => q.filter(Column::Id.is_in(padded(ids))).order_by_asc(Column::ReceivedAt).order_by_asc(Column::Id),
        };
        let rows = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked).all(self.tx.as_ref()).await.map_err(repo_err)?;
        Ok(rows.into_iter().map(|r| RawWebhookEvent { id: r.id, received_at: r.received_at, body: r.body, attempts: r.attempts }).collect())
    }

    async fn mark_many(&mut self, marks: &[WebhookMark], at: DateTime<Utc>) -> RepoResult<()> {
        // Deliveries that ended alike (most of a batch: processed, same fields, no note) are
        // marked by one statement; the body is never read back to change its state.
        let mut groups: BTreeMap<(&str, Option<&str>, Option<&str>), Vec<uuid::Uuid>> = BTreeMap::new();
        for m in marks {
            groups.entry((m.state.as_str(), m.fields.as_deref(), m.note.as_deref())).or_default().push(m.id);
        }
        for ((state, fields, note), ids) in groups {
            for chunk in chunks(&ids, 1, |_| 24) {
                let res = Entity::update_many()
                    .col_expr(Column::State, Expr::value(state))
                    .col_expr(Column::Fields, Expr::value(fields.map(str::to_owned)))
                    .col_expr(Column::Note, Expr::value(note.map(str::to_owned)))
                    .col_expr(Column::ProcessedAt, Expr::value(Some(at)))
                    .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
                    .filter(Column::Id.is_in(padded(chunk)))
                    .exec(self.tx.as_ref())
                    .await
                    .map_err(repo_err)?;
                if res.rows_affected != chunk.len() as u64 {
                    return Err(RepoError::Other(
                        format!("{} of {} webhook deliveries not found", chunk.len() as u64 - res.rows_affected, chunk.len()).into(),
                    ));
                }
            }
        }
        Ok(())
    }
}
