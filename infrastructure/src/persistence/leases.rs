//! Leases: a named job runs in one holder (replica) at a time. A lease expires unless renewed,
//! so a crashed holder's job is taken over after `ttl`.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use application::shared::leases::Leases;
use application::{RepoError, RepoResult};

use super::{Db, repo_err};

#[derive(Clone)]
pub struct SeaLeases {
    db: Db,
}

impl SeaLeases {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl Leases for SeaLeases {
    /// Take or renew the lease `name` for `holder` until `now + ttl`. `true` if held now.
    async fn acquire(&self, name: &str, holder: &str, ttl: Duration, now: DateTime<Utc>) -> RepoResult<bool> {
        let until =
            now + chrono::Duration::from_std(ttl).map_err(|e| RepoError::Other(application::Cause::caused_by("a lease too long", e)))?;
        let sql = match self.db.backend() {
            DbBackend::Postgres => {
                "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                 WHERE job_leases.expires_at < $4 OR job_leases.holder = $2"
            }
            _ => {
                "INSERT INTO job_leases (name, holder, expires_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                 WHERE job_leases.expires_at < ?4 OR job_leases.holder = ?2"
            }
        };
        let values: Vec<Value> = vec![name.into(), holder.into(), until.into(), now.into()];
        let _guard = self.db.write_guard().await;
        let res = self.db.conn.execute_raw(Statement::from_sql_and_values(self.db.backend(), sql, values)).await.map_err(repo_err)?;
        Ok(res.rows_affected() == 1)
    }

    async fn release(&self, name: &str, holder: &str) -> RepoResult<()> {
        let sql = match self.db.backend() {
            DbBackend::Postgres => "UPDATE job_leases SET expires_at = $1 WHERE name = $2 AND holder = $3",
            _ => "UPDATE job_leases SET expires_at = ?1 WHERE name = ?2 AND holder = ?3",
        };
        let long_ago: DateTime<Utc> = DateTime::UNIX_EPOCH;
        let values: Vec<Value> = vec![long_ago.into(), name.into(), holder.into()];
        let _guard = self.db.write_guard().await;
        self.db.conn.execute_raw(Statement::from_sql_and_values(self.db.backend(), sql, values)).await.map(|_| ()).map_err(repo_err)
    }

    /// Record that the job ran (for operators; metrics carry the same).
    async fn ran(&self, name: &str, at: DateTime<Utc>) -> RepoResult<()> {
        let sql = match self.db.backend() {
            DbBackend::Postgres => "UPDATE job_leases SET last_run_at = $1 WHERE name = $2",
            _ => "UPDATE job_leases SET last_run_at = ?1 WHERE name = ?2",
        };
        let _guard = self.db.write_guard().await;
        self.db
            .conn
            .execute_raw(Statement::from_sql_and_values(self.db.backend(), sql, vec![at.into(), name.into()]))
            .await
            .map(|_| ())
            .map_err(repo_err)
    }
}
