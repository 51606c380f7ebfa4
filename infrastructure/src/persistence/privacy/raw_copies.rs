//! `RawCopies` on both databases: deletes in chunks of 5,000 rows, each its own statement, so a
//! pass after a busy day never holds a long lock on the tables the webhook path writes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use application::RepoResult;
use application::privacy::ports::RawCopies;

use crate::persistence::{Db, repo_err};

const CHUNK: u64 = 5_000;

#[derive(Clone)]
pub struct SeaRawCopies {
    db: Db,
}

impl SeaRawCopies {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// `DELETE … WHERE <key> IN (SELECT <key> … WHERE <condition> LIMIT n)` until none is left.
    async fn prune(&self, table: &str, key: &str, condition: &str, before: DateTime<Utc>) -> RepoResult<u64> {
        let backend = self.db.backend();
        let p = if backend == DbBackend::Postgres { "$1" } else { "?1" };
        let sql = format!("DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {condition} {p} LIMIT {CHUNK})");
        let mut total = 0;
        loop {
            let _guard = self.db.write_guard().await;
            let done = self
                .db
                .conn
                .execute_raw(Statement::from_sql_and_values(backend, sql.clone(), vec![before.into()]))
                .await
                .map_err(repo_err)?
                .rows_affected();
            total += done;
            if done < CHUNK {
                return Ok(total);
            }
        }
    }
}

#[async_trait]
impl RawCopies for SeaRawCopies {
    async fn prune_deliveries(&self, before: DateTime<Utc>) -> RepoResult<u64> {
        self.prune("webhook_events", "id", "state IN ('processed', 'dead') AND received_at <", before).await
    }

    async fn prune_published_events(&self, before: DateTime<Utc>) -> RepoResult<u64> {
        self.prune("outbox", "seq", "published_at IS NOT NULL AND published_at <", before).await
    }
}
