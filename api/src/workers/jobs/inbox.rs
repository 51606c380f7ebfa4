//! The inbox's jobs: routing the queue of threads waiting for a person.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use application::RequestContext;
use application::inbox::auto_assign::AutoAssign;

use super::{PeriodicJob, failed};
use crate::adapters::Adapters;

pub fn jobs(a: &Adapters) -> Vec<Arc<dyn PeriodicJob>> {
    vec![Arc::new(Routing { router: crate::http::inbox::router(a) })]
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
