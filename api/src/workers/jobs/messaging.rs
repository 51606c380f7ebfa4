//! The messaging context's jobs: conversation expiry, stuck messages, idempotency keys.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use application::messaging::count_stuck_messages::{CountStuckHandler, CountStuckMessages};
use application::messaging::expire_conversations::{ExpireConversations, ExpireConversationsHandler};
use application::messaging::prune_idempotency_keys::{PruneIdempotencyKeys, PruneIdempotencyKeysHandler};
use application::shared::ports::Clock;
use application::{Pipeline, RequestContext};

use super::{PeriodicJob, failed};
use crate::adapters::Adapters;
use crate::metrics::Metrics;

pub fn jobs(a: &Adapters) -> Vec<Arc<dyn PeriodicJob>> {
    vec![
        Arc::new(ConversationExpiry {
            pipeline: a.pipeline.clone(),
            handler: ExpireConversationsHandler { clock: a.clock.clone() },
            clock: a.clock.clone(),
        }),
        Arc::new(MessageStatusSync {
            pipeline: a.pipeline.clone(),
            handler: CountStuckHandler { reads: a.messaging_reads.clone() },
            clock: a.clock.clone(),
            metrics: a.metrics.clone(),
        }),
        Arc::new(IdempotencyKeys { pipeline: a.pipeline.clone(), handler: PruneIdempotencyKeysHandler { clock: a.clock.clone() } }),
    ]
}

/// ConversationExpiryJob: every 60 s, close expired windows.
pub struct ConversationExpiry {
    pipeline: Pipeline,
    handler: ExpireConversationsHandler,
    clock: Arc<dyn Clock>,
}

#[async_trait]
impl PeriodicJob for ConversationExpiry {
    fn name(&self) -> &'static str {
        "conversation-expiry"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(60)
    }
    async fn run(&self) -> Result<String, String> {
        let cmd = ExpireConversations { now: self.clock.now(), limit: 1000 };
        let out = self.pipeline.execute(&RequestContext::system("job"), &self.handler, cmd).await.map_err(|e| failed(&e))?;
        Ok(format!("examined {}, expired {}", out.examined, out.expired))
    }
}

/// MessageStatusSyncJob: every 5 min, count outbound messages without a final status.
pub struct MessageStatusSync {
    pipeline: Pipeline,
    handler: CountStuckHandler,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
}

#[async_trait]
impl PeriodicJob for MessageStatusSync {
    fn name(&self) -> &'static str {
        "message-status-sync"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(300)
    }
    async fn run(&self) -> Result<String, String> {
        let q = CountStuckMessages { now: self.clock.now() };
        let n = self.pipeline.query(&RequestContext::system("job"), &self.handler, q).await.map_err(|e| failed(&e))?;
        self.metrics.messages_stuck.set(n as i64);
        if n > 0 {
            tracing::warn!(count = n, "outbound messages without a final status for over 24 h");
        }
        Ok(format!("{n} stuck"))
    }
}

/// Every hour: sends' idempotency keys older than 24 hours are forgotten, a batch per
/// transaction.
pub struct IdempotencyKeys {
    pipeline: Pipeline,
    handler: PruneIdempotencyKeysHandler,
}

#[async_trait]
impl PeriodicJob for IdempotencyKeys {
    fn name(&self) -> &'static str {
        "idempotency-keys"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(3600)
    }
    async fn run(&self) -> Result<String, String> {
        let mut total = 0;
        loop {
            let cmd = PruneIdempotencyKeys { batch: 5_000 };
            let n = self.pipeline.execute(&RequestContext::system("job"), &self.handler, cmd).await.map_err(|e| failed(&e))?;
            total += n;
            if n < 5_000 {
                return Ok(format!("{total} idempotency keys forgotten"));
            }
        }
    }
}
