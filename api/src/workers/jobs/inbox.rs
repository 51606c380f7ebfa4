//! The inbox's jobs: routing the queue of threads waiting for a person, and the departments' SLA.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use application::RequestContext;
use application::inbox::auto_assign::AutoAssign;
use application::inbox::backfill_search::BackfillSearch;
use application::inbox::enforce_sla::{EnforceSla, ReassignOverdueHandler};

use super::{PeriodicJob, failed};
use crate::adapters::Adapters;

pub fn jobs(a: &Adapters) -> Vec<Arc<dyn PeriodicJob>> {
    vec![
        Arc::new(Routing { router: crate::http::inbox::router(a) }),
        Arc::new(Sla {
            sla: EnforceSla {
                pipeline: a.pipeline.clone(),
                reassign: ReassignOverdueHandler { clock: a.clock.clone() },
                reads: a.inbox_reads.clone(),
                clock: a.clock.clone(),
            },
        }),
        Arc::new(SearchBackfill { backfill: BackfillSearch { index: a.search_backfill.clone(), batch: 1000, batches: 20 } }),
    ]
}

/// RoutingJob: every 5 s, the threads waiting for a person, oldest first across the shops, go
/// to a member who fits (`AutoAssign`): a thread handed to people, a transfer, a member coming
/// back or freeing capacity all drain the queue within one tick.
pub struct Routing {
    router: AutoAssign,
}

#[async_trait]
impl PeriodicJob for Routing {
    fn name(&self) -> &'static str {
        "routing"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(5)
    }
    async fn run(&self) -> Result<String, String> {
        let p = self.router.run(&RequestContext::system("job"), None, 1000).await.map_err(|e| failed(&e))?;
        Ok(format!("{} routed, {} waiting", p.assigned, p.waiting))
    }
}

/// SlaJob: every 30 s, threads whose customer waited on their assignee past the department's SLA
/// go back to the queue (`EnforceSla`); the routing job gives them to someone else's free room.
pub struct Sla {
    sla: EnforceSla,
}

#[async_trait]
impl PeriodicJob for Sla {
    fn name(&self) -> &'static str {
        "sla"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(30)
    }
    async fn run(&self) -> Result<String, String> {
        let n = self.sla.run(&RequestContext::system("job"), 1000).await.map_err(|e| failed(&e))?;
        Ok(format!("{n} reassigned"))
    }
}

/// SearchBackfillJob: every 10 s, up to 20,000 messages and customers stored before the search
/// existed get their documents (`BackfillSearch`), until none is left; then each run reads two
/// cursor rows.
pub struct SearchBackfill {
    backfill: BackfillSearch,
}

#[async_trait]
impl PeriodicJob for SearchBackfill {
    fn name(&self) -> &'static str {
        "search-backfill"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(10)
    }
    async fn run(&self) -> Result<String, String> {
        let s = self.backfill.run().await.map_err(|e| failed(&e))?;
        Ok(if s.done {
            format!("{} scanned, {} indexed, done", s.scanned, s.indexed)
        } else {
            format!("{} scanned, {} indexed", s.scanned, s.indexed)
        })
    }
}
