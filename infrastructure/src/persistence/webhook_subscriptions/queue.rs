//! The delivery queue. A claim is one conditional update, like the media queue's: due pending
//! deliveries (and those whose holder's claim ran out) become this holder's until a time; on
//! Postgres the candidates are read with `FOR UPDATE SKIP LOCKED`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, EntityTrait, Statement};

use application::RepoResult;
use application::webhook_subscriptions::ports::{HookDelivery, HookQueue};

use super::entities::webhook_deliveries::Entity;
use super::mapping;
use crate::persistence::{Db, repo_err};

#[derive(Clone)]
pub struct SeaHookQueue {
    db: Db,
}

impl SeaHookQueue {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl HookQueue for SeaHookQueue {
    async fn claim(&self, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>, limit: u64) -> RepoResult<Vec<HookDelivery>> {
        let backend = self.db.backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = $2 WHERE id IN (\
                   SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $3 \
                   AND (claimed_until IS NULL OR claimed_until < $3) \
                   ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING *"
            }
            _ => {
                "UPDATE webhook_deliveries SET claimed_by = ?1, claimed_until = ?2 WHERE id IN (\
                   SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?3 \
                   AND (claimed_until IS NULL OR claimed_until < ?3) \
                   ORDER BY next_attempt_at LIMIT ?4) RETURNING *"
            }
        };
        let values: Vec<sea_orm::Value> = vec![holder.into(), until.into(), now.into(), (limit as i64).into()];
        let _guard = self.db.write_guard().await;
        let rows =
            Entity::find().from_raw_sql(Statement::from_sql_and_values(backend, sql, values)).all(&self.db.conn).await.map_err(repo_err)?;
        rows.into_iter().map(mapping::delivery).collect()
    }
}
