//! The fetch queue. A claim is one conditional update (the due, unclaimed pending files →
//! claimed by this holder until a time), returning the rows it took; on Postgres the candidates
//! are read with `FOR UPDATE SKIP LOCKED`, so replicas take different files without waiting on
//! each other. A claim left by a holder that died expires, and the file is taken again.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, EntityTrait, Statement};

use application::RepoResult;
use application::media::ports::MediaFetchQueue;
use domain::media::MediaFile;

use super::entities::media::Entity;
use super::mapping;
use crate::persistence::{Db, repo_err};

#[derive(Clone)]
pub struct SeaMediaFetchQueue {
    db: Db,
}

impl SeaMediaFetchQueue {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl MediaFetchQueue for SeaMediaFetchQueue {
    async fn claim(&self, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>, limit: u64) -> RepoResult<Vec<MediaFile>> {
        let backend = self.db.backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "UPDATE media SET claimed_by = $1, claimed_until = $2 WHERE id IN (\
                   SELECT id FROM media WHERE state = 'pending' AND next_attempt_at <= $3 \
                   AND (claimed_until IS NULL OR claimed_until < $3) \
                   ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING *"
            }
            _ => {
                "UPDATE media SET claimed_by = ?1, claimed_until = ?2 WHERE id IN (\
                   SELECT id FROM media WHERE state = 'pending' AND next_attempt_at <= ?3 \
                   AND (claimed_until IS NULL OR claimed_until < ?3) \
                   ORDER BY next_attempt_at LIMIT ?4) RETURNING *"
            }
        };
        let values: Vec<sea_orm::Value> = vec![holder.into(), until.into(), now.into(), (limit as i64).into()];
        let _guard = self.db.write_guard().await;
        let rows =
            Entity::find().from_raw_sql(Statement::from_sql_and_values(backend, sql, values)).all(&self.db.conn).await.map_err(repo_err)?;
        rows.into_iter().map(mapping::file).collect()
    }
}
