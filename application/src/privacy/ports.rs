//! Ports of the privacy context. (`PersonalData`, which every context implements, is in the
//! shared kernel: `shared::personal_data`.)

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::shared::repo::RepoResult;

/// Raw copies of what passed through the service: webhook bodies as Meta sent them, and event
/// envelopes once published. Both hold personal data that no context's erasure reaches, so they
/// are kept only for a short while (ADR 11).
#[async_trait]
pub trait RawCopies: Send + Sync {
    /// Deletes processed and dead webhook deliveries received before `before`; how many.
    async fn prune_deliveries(&self, before: DateTime<Utc>) -> RepoResult<u64>;
    /// Deletes event envelopes published before `before`; how many.
    async fn prune_published_events(&self, before: DateTime<Utc>) -> RepoResult<u64>;
}
