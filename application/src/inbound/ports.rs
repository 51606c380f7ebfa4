//! Ports of the inbound context: the durable inbox of raw webhook deliveries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::shared::repo::RepoResult;

/// A raw webhook delivery as stored.
#[derive(Debug, Clone)]
pub struct RawWebhookEvent {
    pub id: uuid::Uuid,
    pub received_at: DateTime<Utc>,
    pub body: String,
    pub attempts: i32,
}

/// The inbox (outside any unit of work). `store` is the hot path of `POST /webhooks/whatsapp`:
/// one insert, committed before Meta gets its 200.
#[async_trait]
pub trait WebhookInbox: Send + Sync {
    async fn store(&self, body: String, received_at: DateTime<Utc>) -> RepoResult<uuid::Uuid>;
    /// Claim up to `limit` pending deliveries, oldest first, for `lease`; deliveries claimed by
    /// another live worker are skipped (so competing workers share the load).
    async fn claim(&self, holder: &str, now: DateTime<Utc>, lease: std::time::Duration, limit: u64) -> RepoResult<Vec<RawWebhookEvent>>;
    /// How many deliveries wait (for the backlog gauge).
    async fn pending_count(&self) -> RepoResult<u64>;
    /// Processing failed: release it for a retry, or keep it as a dead letter.
    async fn record_failure(&self, id: uuid::Uuid, note: &str, dead: bool) -> RepoResult<()>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookState {
    Processed,
    Dead,
}

impl WebhookState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Processed => "processed",
            Self::Dead => "dead",
        }
    }
}

/// How a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookMark {
    pub id: uuid::Uuid,
    pub state: WebhookState,
    /// The change fields it held, comma-separated.
    pub fields: Option<String>,
    pub note: Option<String>,
}

/// The inbox inside a unit of work: deliveries are marked in the transaction that processed them.
#[async_trait]
pub trait WebhookEventRepository: Send {
    async fn mark_many(&mut self, marks: &[WebhookMark], at: DateTime<Utc>) -> RepoResult<()>;
}
