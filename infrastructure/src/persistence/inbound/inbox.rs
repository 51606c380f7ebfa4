//! The durable inbox of raw webhook deliveries. `store` is the hot path of `POST /webhooks`:
//! one insert, committed before Meta gets its 200.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use application::RepoResult;
use application::inbound::ports::{RawWebhookEvent, WebhookInbox};

use super::entities::webhook_events;
use crate::persistence::{Db, repo_err};

#[derive(Clone)]
pub struct SeaWebhookInbox {
    db: Db,
}

impl SeaWebhookInbox {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl WebhookInbox for SeaWebhookInbox {
    async fn store(&self, body: String, received_at: DateTime<Utc>) -> RepoResult<uuid::Uuid> {
        let id = uuid::Uuid::now_v7();
        let row = webhook_events::ActiveModel {
            id: Set(id),
            received_at: Set(received_at),
            body: Set(body),
            state: Set("pending".into()),
            attempts: Set(0),
            fields: Set(None),
            note: Set(None),
            processed_at: Set(None),
            claimed_by: Set(None),
            claimed_until: Set(None),
        };
        let _guard = self.db.write_guard().await;
        webhook_events::Entity::insert(row).exec_without_returning(&self.db.conn).await.map_err(repo_err)?;
        Ok(id)
    }

    async fn claim(&self, holder: &str, now: DateTime<Utc>, lease: std::time::Duration, limit: u64) -> RepoResult<Vec<RawWebhookEvent>> {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
        let backend = self.db.backend();
        let sql = match backend {
            // Competing replicas skip each other's locked rows instead of waiting for them.
            DbBackend::Postgres => format!(
                "UPDATE webhook_events SET claimed_by = $1, claimed_until = $2 WHERE id IN (\
                   SELECT id FROM webhook_events WHERE state = 'pending' AND (claimed_until IS NULL OR claimed_until < $3) \
                   ORDER BY received_at, id LIMIT {limit} FOR UPDATE SKIP LOCKED) \
                 RETURNING id, received_at, body, attempts"
            ),
            _ => format!(
                "UPDATE webhook_events SET claimed_by = ?1, claimed_until = ?2 WHERE id IN (\
                   SELECT id FROM webhook_events WHERE state = 'pending' AND (claimed_until IS NULL OR claimed_until < ?3) \
                   ORDER BY received_at, id LIMIT {limit}) \
                 RETURNING id, received_at, body, attempts"
            ),
        };
        let _guard = self.db.write_guard().await;
        let rows = self
            .db
            .conn
            .query_all_raw(Statement::from_sql_and_values(backend, sql, vec![holder.into(), until.into(), now.into()]))
            .await
            .map_err(repo_err)?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(RawWebhookEvent {
                    id: r.try_get_by_index(0).map_err(repo_err)?,
                    received_at: r.try_get_by_index(1).map_err(repo_err)?,
                    body: r.try_get_by_index(2).map_err(repo_err)?,
                    attempts: r.try_get_by_index(3).map_err(repo_err)?,
                })
            })
            .collect::<RepoResult<Vec<_>>>()?;
        // RETURNING does not keep the subquery's order.
        out.sort_by_key(|e| (e.received_at, e.id));
        Ok(out)
    }

    async fn pending_count(&self) -> RepoResult<u64> {
        use sea_orm::PaginatorTrait;
        webhook_events::Entity::find().filter(webhook_events::Column::State.eq("pending")).count(&self.db.conn).await.map_err(repo_err)
    }

    async fn record_failure(&self, id: uuid::Uuid, note: &str, dead: bool) -> RepoResult<()> {
        let _guard = self.db.write_guard().await;
        webhook_events::Entity::update_many()
            .col_expr(webhook_events::Column::Attempts, Expr::col(webhook_events::Column::Attempts).add(1))
            .col_expr(webhook_events::Column::Note, Expr::value(note.to_owned()))
            .col_expr(webhook_events::Column::State, Expr::value(if dead { "dead" } else { "pending" }))
            .col_expr(webhook_events::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(webhook_events::Column::Id.eq(id))
            .exec(&self.db.conn)
            .await
            .map(|_| ())
            .map_err(repo_err)
    }
}
