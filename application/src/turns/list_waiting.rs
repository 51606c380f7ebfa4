//! ListWaitingThreads: the shop's threads whose customer has waited for people longer than a
//! threshold, the longest waiting first. CountWaitingThreads: the same, over every shop (the
//! `whatsapp_threads_waiting` metric).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use validator::Validate;

use super::ports::TurnReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use domain::ShopId;
use domain::turns::Thread;

/// What "waiting too long" means for the metric.
pub const WAITING_THRESHOLD_MINUTES: i64 = 15;

#[derive(Debug, Validate)]
pub struct ListWaitingThreads {
    pub shop_id: ShopId,
    #[validate(range(min = 0, max = 43_200, message = "must be 0 to 43200 minutes"))]
    pub older_than_minutes: i64,
    #[validate(range(min = 1, max = 200))]
    pub limit: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ListWaitingThreadsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the waiting threads")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListWaitingThreadsError);

impl Query for ListWaitingThreads {
    /// The threads, the total, and the time they were measured at.
    type Output = (Vec<Thread>, u64, DateTime<Utc>);
    type Error = ListWaitingThreadsError;
    const NAME: &'static str = "ListWaitingThreads";
}

pub struct ListWaitingThreadsHandler {
    pub reads: Arc<dyn TurnReads>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl QueryHandler<ListWaitingThreads> for ListWaitingThreadsHandler {
    async fn handle(&self, q: &ListWaitingThreads) -> Result<(Vec<Thread>, u64, DateTime<Utc>), ListWaitingThreadsError> {
        let now = self.clock.now();
        let (threads, total) = self.reads.waiting(q.shop_id, now - Duration::minutes(q.older_than_minutes), q.limit).await?;
        Ok((threads, total, now))
    }
}

#[derive(Debug, Validate)]
pub struct CountWaitingThreads {
    pub now: DateTime<Utc>,
}

impl Query for CountWaitingThreads {
    type Output = u64;
    type Error = ListWaitingThreadsError;
    const NAME: &'static str = "CountWaitingThreads";
}

pub struct CountWaitingThreadsHandler {
    pub reads: Arc<dyn TurnReads>,
}

#[async_trait]
impl QueryHandler<CountWaitingThreads> for CountWaitingThreadsHandler {
    async fn handle(&self, q: &CountWaitingThreads) -> Result<u64, ListWaitingThreadsError> {
        Ok(self.reads.count_waiting(q.now - Duration::minutes(WAITING_THRESHOLD_MINUTES)).await?)
    }
}
