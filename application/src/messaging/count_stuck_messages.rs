//! MessageStatusSyncJob: how many outbound messages have had no final status for 24 h.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use validator::Validate;

use super::ports::MessagingReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;

/// How long an outbound message may stay without a final status before it is flagged.
pub fn stuck_after() -> Duration {
    Duration::hours(24)
}

#[derive(Debug, Validate)]
pub struct CountStuckMessages {
    pub now: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum CountStuckError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not count stuck messages")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CountStuckError);

impl Query for CountStuckMessages {
    type Output = u64;
    type Error = CountStuckError;
    const NAME: &'static str = "MessageStatusSyncJob";
}

pub struct CountStuckHandler {
    pub reads: Arc<dyn MessagingReads>,
}

#[async_trait]
impl QueryHandler<CountStuckMessages> for CountStuckHandler {
    async fn handle(&self, q: &CountStuckMessages) -> Result<u64, CountStuckError> {
        Ok(self.reads.count_stuck_messages(q.now - stuck_after()).await?)
    }
}
