//! The turns context's jobs: owners whose time ran out hand threads back; the threads waiting
//! for people too long are counted.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use application::shared::ports::Clock;
use application::turns::expire_owners::{ExpireOwners, ExpireOwnersHandler};
use application::turns::list_waiting::{CountWaitingThreads, CountWaitingThreadsHandler};
use application::{Pipeline, RequestContext};

use super::{PeriodicJob, failed};
use crate::adapters::Adapters;
use crate::metrics::Metrics;

pub fn jobs(a: &Adapters) -> Vec<Arc<dyn PeriodicJob>> {
    vec![
        Arc::new(OwnerExpiry {
            pipeline: a.pipeline.clone(),
            handler: ExpireOwnersHandler { clock: a.clock.clone() },
            clock: a.clock.clone(),
        }),
        Arc::new(WaitingThreads {
            pipeline: a.pipeline.clone(),
            handler: CountWaitingThreadsHandler { reads: a.turn_reads.clone() },
            clock: a.clock.clone(),
            metrics: a.metrics.clone(),
        }),
    ]
}

/// ThreadOwnerExpiryJob: every 60 s, owners whose time ran out hand their threads back.
pub struct OwnerExpiry {
    pipeline: Pipeline,
    handler: ExpireOwnersHandler,
    clock: Arc<dyn Clock>,
}

#[async_trait]
impl PeriodicJob for OwnerExpiry {
    fn name(&self) -> &'static str {
        "thread-owner-expiry"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(60)
    }
    async fn run(&self) -> Result<String, String> {
        let cmd = ExpireOwners { now: self.clock.now(), limit: 1000 };
        let n = self.pipeline.execute(&RequestContext::system("job"), &self.handler, cmd).await.map_err(|e| failed(&e))?;
        Ok(format!("{n} handed back"))
    }
}

/// WaitingThreadsJob: every 60 s, count the threads waiting for people over 15 minutes
/// (`whatsapp_threads_waiting`).
pub struct WaitingThreads {
    pipeline: Pipeline,
    handler: CountWaitingThreadsHandler,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
}

#[async_trait]
impl PeriodicJob for WaitingThreads {
    fn name(&self) -> &'static str {
        "waiting-threads"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(60)
    }
    async fn run(&self) -> Result<String, String> {
        let q = CountWaitingThreads { now: self.clock.now() };
        let n = self.pipeline.query(&RequestContext::system("job"), &self.handler, q).await.map_err(|e| failed(&e))?;
        self.metrics.threads_waiting.set(n as i64);
        Ok(format!("{n} waiting"))
    }
}
