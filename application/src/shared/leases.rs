//! Leases: a named job runs in one holder (replica) at a time. A lease expires unless renewed,
//! so a crashed holder's job is taken over after its time-to-live.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::shared::repo::RepoResult;

#[async_trait]
pub trait Leases: Send + Sync {
    /// Take or renew the lease `name` for `holder` until `now + ttl`. `true` if held now.
    async fn acquire(&self, name: &str, holder: &str, ttl: Duration, now: DateTime<Utc>) -> RepoResult<bool>;
    /// Record that the job ran (for operators).
    async fn ran(&self, name: &str, at: DateTime<Utc>) -> RepoResult<()>;
    /// Give the lease up now, if `holder` holds it (a graceful stop: another replica need not
    /// wait for it to expire).
    async fn release(&self, name: &str, holder: &str) -> RepoResult<()>;
}
