//! The durable inbox of raw webhook deliveries. `store` is the hot path of `POST /webhooks`:
//! one insert, committed before Meta gets its 200. (The `claimed_by`/`claimed_until` columns of
//! an older design stay unused: a delivery is now taken by the transaction that processes it.)

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use application::RepoResult;
use application::inbound::ports::WebhookInbox;
use application::inbound::raw_body::RawBody;

use super::entities::webhook_events;
use crate::persistence::sql::latency_chunks;
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

fn row(id: uuid::Uuid, body: RawBody, received_at: DateTime<Utc>) -> webhook_events::ActiveModel {
    webhook_events::ActiveModel {
        id: Set(id),
        received_at: Set(received_at),
        body: Set(body.text),
        state: Set("pending".into()),
        attempts: Set(0),
        fields: Set(None),
        note: Set(None),
        processed_at: Set(None),
        raw_body: Set(body.bytes),
    }
}

impl SeaWebhookInbox {
    /// Store several deliveries with one commit (group commit: `GroupCommitInbox`). All or none.
    pub async fn store_many(&self, items: &[(&RawBody, DateTime<Utc>)]) -> RepoResult<Vec<uuid::Uuid>> {
        use sea_orm::TransactionTrait;
        let ids: Vec<uuid::Uuid> = items.iter().map(|_| uuid::Uuid::now_v7()).collect();
        let _guard = self.db.write_guard().await;
        let txn = self.db.conn.begin().await.map_err(repo_err)?;
        let rows: Vec<(uuid::Uuid, &(&RawBody, DateTime<Utc>))> = ids.iter().copied().zip(items).collect();
        for chunk in latency_chunks(&rows, 12, |(_, (b, _))| 120 + b.text.len() + b.bytes.as_ref().map_or(0, |x| 2 * x.len())) {
            let models = chunk.iter().map(|(id, (b, at))| row(*id, (*b).clone(), *at));
            webhook_events::Entity::insert_many(models).exec_without_returning(&txn).await.map_err(repo_err)?;
        }
        txn.commit().await.map_err(repo_err)?;
        Ok(ids)
    }
}

#[async_trait]
impl WebhookInbox for SeaWebhookInbox {
    async fn store(&self, body: RawBody, received_at: DateTime<Utc>) -> RepoResult<uuid::Uuid> {
        let id = uuid::Uuid::now_v7();
        let _guard = self.db.write_guard().await;
        webhook_events::Entity::insert(row(id, body, received_at)).exec_without_returning(&self.db.conn).await.map_err(repo_err)?;
        Ok(id)
    }

    async fn pending(&self, limit: u64) -> RepoResult<Vec<(uuid::Uuid, i32)>> {
        use sea_orm::{QueryOrder, QuerySelect};
        webhook_events::Entity::find()
            .select_only()
            .column(webhook_events::Column::Id)
            .column(webhook_events::Column::Attempts)
            .filter(webhook_events::Column::State.eq("pending"))
            .order_by_asc(webhook_events::Column::ReceivedAt)
            .order_by_asc(webhook_events::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.db.conn)
            .await
            .map_err(repo_err)
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
            .filter(webhook_events::Column::Id.eq(id))
            .exec(&self.db.conn)
            .await
            .map(|_| ())
            .map_err(repo_err)
    }
}
