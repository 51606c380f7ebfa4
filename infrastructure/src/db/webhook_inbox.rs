//! The durable inbox of raw webhook deliveries. `store` is the hot path of `POST /webhooks`:
//! one insert, committed before Meta gets its 200.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use application::ports::{RawWebhookEvent, RepoResult, WebhookInbox};

use super::entities::webhook_events;
use super::{Db, repo_err};

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
        };
        let _guard = match &self.db.write_lock {
            Some(l) => Some(l.lock().await),
            None => None,
        };
        webhook_events::Entity::insert(row).exec_without_returning(&self.db.conn).await.map_err(repo_err)?;
        Ok(id)
    }

    async fn pending(&self, limit: u64) -> RepoResult<Vec<RawWebhookEvent>> {
        let rows = webhook_events::Entity::find()
            .filter(webhook_events::Column::State.eq("pending"))
            .order_by_asc(webhook_events::Column::ReceivedAt)
            .order_by_asc(webhook_events::Column::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(|r| RawWebhookEvent { id: r.id, received_at: r.received_at, body: r.body, attempts: r.attempts }).collect())
    }

    async fn record_failure(&self, id: uuid::Uuid, note: &str, dead: bool) -> RepoResult<()> {
        let _guard = match &self.db.write_lock {
            Some(l) => Some(l.lock().await),
            None => None,
        };
        webhook_events::Entity::update_many()
            .col_expr(webhook_events::Column::Attempts, Expr::col(webhook_events::Column::Attempts).add(1))
            .col_expr(webhook_events::Column::Note, Expr::value(note.to_owned()))
            .col_expr(webhook_events::Column::State, Expr::value(if dead { "dead" } else { "pending" }))
            .filter(webhook_events::Column::Id.eq(id))
            .exec(&self.db.conn)
            .await
            .map(|_| ())
            .map_err(repo_err)
    }
}
