//! The outbox: integration events are written in the same transaction as the change that
//! caused them ([`Outbox`]) and relayed afterwards ([`OutboxRelayStore`] → [`EventPublisher`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::shared::repo::RepoResult;
use domain::Events;

/// The write side, inside a unit of work.
#[async_trait]
pub trait Outbox: Send {
    /// Writes integration events; they are relayed after the transaction commits.
    async fn append(&mut self, events: &Events, recorded_at: DateTime<Utc>) -> RepoResult<()>;
}

/// One stored event, as the relay reads it.
#[derive(Debug, Clone)]
pub struct OutboxRecord {
    pub seq: i64,
    pub event_id: uuid::Uuid,
    pub event_type: String,
    pub subject: String,
    pub envelope: Value,
    pub created_at: DateTime<Utc>,
}

/// The relay's side: unpublished rows in `seq` order, marked once the destination confirmed.
#[async_trait]
pub trait OutboxRelayStore: Send + Sync {
    async fn unpublished(&self, limit: u64) -> RepoResult<Vec<OutboxRecord>>;
    async fn mark_published(&self, seqs: &[i64], at: DateTime<Utc>) -> RepoResult<()>;
    /// How many events wait, and when the oldest was recorded.
    async fn lag(&self) -> RepoResult<(u64, Option<DateTime<Utc>>)>;
}

#[derive(Debug, thiserror::Error)]
#[error("publish failed: {0}")]
pub struct PublishError(pub String);

/// Where events go: RabbitMQ, or in-process subscribers.
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publish in order; returns how many of `records` (a prefix) the destination confirmed.
    async fn publish(&self, records: &[OutboxRecord]) -> Result<usize, PublishError>;
    /// `false` when configured but failing (readiness reports it as degraded).
    fn healthy(&self) -> bool;
    fn name(&self) -> &'static str;
}
