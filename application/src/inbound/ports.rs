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
    async fn store(&self, body: super::raw_body::RawBody, received_at: DateTime<Utc>) -> RepoResult<uuid::Uuid>;
    /// The oldest pending deliveries and their attempts so far, without taking them (to process
    /// a failed batch one by one).
    async fn pending(&self, limit: u64) -> RepoResult<Vec<(uuid::Uuid, i32)>>;
    /// How many deliveries wait (for the backlog gauge).
    async fn pending_count(&self) -> RepoResult<u64>;
    /// Processing failed: count the attempt, and keep it as a dead letter if `dead`.
    async fn record_failure(&self, id: uuid::Uuid, note: &str, dead: bool) -> RepoResult<()>;
}

/// Which pending deliveries a unit of work takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Take {
    /// Up to this many, oldest first.
    Oldest(u64),
    /// These, if still pending.
    Ids(Vec<uuid::Uuid>),
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

/// The inbox inside a unit of work: a transaction takes pending deliveries (locking them, so
/// competing workers and replicas skip them rather than wait; a crash releases them) and marks
/// them in the same transaction that processed them.
#[async_trait]
pub trait WebhookEventRepository: Send {
    async fn take_pending(&mut self, take: &Take) -> RepoResult<Vec<RawWebhookEvent>>;
    async fn mark_many(&mut self, marks: &[WebhookMark], at: DateTime<Utc>) -> RepoResult<()>;
}

/// The stored webhook deliveries inside a unit of work. (`use` this trait to call `uow.webhooks()`.)
pub trait InboundUnitOfWork {
    fn webhooks(&mut self) -> &mut dyn WebhookEventRepository;
}

impl InboundUnitOfWork for dyn crate::shared::unit_of_work::UnitOfWork + '_ {
    fn webhooks(&mut self) -> &mut dyn WebhookEventRepository {
        crate::shared::unit_of_work::repository::<dyn WebhookEventRepository>(self)
    }
}
