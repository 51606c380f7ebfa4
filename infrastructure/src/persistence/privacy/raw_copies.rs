//! `RawCopies` on both databases: deletes in chunks of 5,000 rows, each its own statement, so a
//! pass after a busy day never holds a long lock on the tables the webhook path writes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use application::RepoResult;
use application::privacy::ports::RawCopies;

use crate::persistence::{Db, repo_err};

const CHUNK: u64 = 5_000;
/// How long published events wait for a durable consumer that has not passed them.
pub const CONSUMER_HOLD_DAYS: i64 = 7;

#[derive(Clone)]
pub struct SeaRawCopies {
    db: Db,
}

impl SeaRawCopies {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// `DELETE … WHERE <key> IN (SELECT <key> … WHERE <condition> LIMIT n)` until none is left;
    /// `$1`, `$2`… in the condition are `values`.
    async fn prune(&self, table: &str, key: &str, condition: &str, values: Vec<sea_orm::Value>) -> RepoResult<u64> {
        let backend = self.db.backend();
        let mut condition = condition.to_owned();
        if backend != DbBackend::Postgres {
            for i in (1..=values.len()).rev() {
                condition = condition.replace(&format!("${i}"), &format!("?{i}"));
            }
        }
        let sql = format!("DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {condition} LIMIT {CHUNK})");
        let mut total = 0;
        loop {
            let _guard = self.db.write_guard().await;
            let done = self
                .db
                .conn
                .execute_raw(Statement::from_sql_and_values(backend, sql.clone(), values.clone()))
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
        self.prune("webhook_events", "id", "state IN ('processed', 'dead') AND received_at < $1", vec![before.into()]).await
    }

    async fn prune_published_events(&self, before: DateTime<Utc>) -> RepoResult<u64> {
        // A durable consumer's rows wait until it has handled them, for at most
        // CONSUMER_HOLD_DAYS: a consumer that stopped for longer never keeps personal data.
        let handled = self.handled_by_every_consumer().await?;
        let condition = format!("published_at IS NOT NULL AND published_at < $1 AND ({handled} OR created_at < $2)",);
        let held = before - chrono::Duration::days(CONSUMER_HOLD_DAYS);
        self.prune("outbox", "seq", &condition, vec![before.into(), held.into()]).await
    }
}

impl SeaRawCopies {
    /// The rows every consumer has handled, as SQL over `seq`: at or below the lowest watermark,
    /// or one of the rows the lowest consumer handled above it that every other consumer handled
    /// too (a consumer handles rows above its watermark while it waits for a hole below them).
    async fn handled_by_every_consumer(&self) -> RepoResult<String> {
        use crate::persistence::outbox::entities::outbox_consumers;
        use sea_orm::EntityTrait;
        let consumers = outbox_consumers::Entity::find().all(&self.db.conn).await.map_err(repo_err)?;
        let cursors: Vec<(i64, std::collections::BTreeSet<i64>)> =
            consumers.into_iter().map(|c| (c.watermark, serde_json::from_value(c.ahead).unwrap_or_default())).collect();
        let Some((low, low_ahead)) = cursors.iter().min_by_key(|(w, _)| *w) else { return Ok("TRUE".into()) };
        let extra: Vec<String> =
            low_ahead.iter().filter(|s| cursors.iter().all(|(w, ahead)| **s <= *w || ahead.contains(s))).map(|s| s.to_string()).collect();
        Ok(if extra.is_empty() { format!("seq <= {low}") } else { format!("(seq <= {low} OR seq IN ({}))", extra.join(", ")) })
    }
}
