//! The turn queue. A claim is one conditional update, like the media queue's: the due open
//! turns, and the claimed ones whose holder's claim ran out (it died), become this holder's
//! until a time; on Postgres the candidates are read with `FOR UPDATE SKIP LOCKED`, so replicas
//! take different turns without waiting on each other.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, EntityTrait, Statement};

use application::RepoResult;
use application::turns::ports::TurnQueue;
use domain::turns::Turn;

use super::entities::turns::Entity;
use super::mapping;
use crate::persistence::{Db, repo_err};

#[derive(Clone)]
pub struct SeaTurnQueue {
    db: Db,
}

impl SeaTurnQueue {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl TurnQueue for SeaTurnQueue {
    async fn claim(&self, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Turn>> {
        let backend = self.db.backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "UPDATE turns SET state = 'claimed', claimed_by = $1, claimed_until = $2, attempts = attempts + 1 WHERE id IN (\
                   SELECT id FROM turns WHERE (state = 'open' AND due_at <= $3) OR (state = 'claimed' AND claimed_until < $3) \
                   ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING *"
            }
            _ => {
                "UPDATE turns SET state = 'claimed', claimed_by = ?1, claimed_until = ?2, attempts = attempts + 1 WHERE id IN (\
                   SELECT id FROM turns WHERE (state = 'open' AND due_at <= ?3) OR (state = 'claimed' AND claimed_until < ?3) \
                   ORDER BY due_at LIMIT ?4) RETURNING *"
            }
        };
        let values: Vec<sea_orm::Value> = vec![holder.into(), until.into(), now.into(), (limit as i64).into()];
        let _guard = self.db.write_guard().await;
        let rows =
            Entity::find().from_raw_sql(Statement::from_sql_and_values(backend, sql, values)).all(&self.db.conn).await.map_err(repo_err)?;
        rows.into_iter().map(mapping::turn).collect()
    }
}
