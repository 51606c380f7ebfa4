//! AutoAssign: route the queue (`POST /api/v1/routing/auto-assign`, and the routing job every
//! few seconds): each thread waiting for a person, oldest first, gets its own `RouteThread`
//! transaction, so a thread nobody can take now keeps its place and never holds up the others.

use std::sync::Arc;

use super::ports::InboxReads;
use super::route_thread::{RouteThread, RouteThreadError, RouteThreadHandler, Routed};
use crate::RequestContext;
use crate::shared::pipeline::Pipeline;
use crate::shared::ports::Clock;
use domain::ShopId;

/// What a pass over the queue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoutingPass {
    /// Threads given to a member.
    pub assigned: u64,
    /// Threads still waiting (nobody fits now).
    pub waiting: u64,
}

pub struct AutoAssign {
    pub pipeline: Pipeline,
    pub route: RouteThreadHandler,
    pub reads: Arc<dyn InboxReads>,
    pub clock: Arc<dyn Clock>,
}

impl AutoAssign {
    /// One pass over the queue of a shop (or every shop), at most `limit` threads.
    pub async fn run(&self, ctx: &RequestContext, shop: Option<ShopId>, limit: u64) -> Result<RoutingPass, RouteThreadError> {
        let queue = self.reads.waiting_threads(shop, self.clock.now(), limit).await?;
        let mut pass = RoutingPass::default();
        for t in queue {
            let s = t.snapshot();
            let cmd = RouteThread { shop_id: s.shop_id, conversation_id: s.conversation_id };
            match self.pipeline.execute(ctx, &self.route, cmd).await? {
                Routed::To(_) => pass.assigned += 1,
                Routed::Waiting => pass.waiting += 1,
                Routed::NotWaiting => {}
            }
        }
        Ok(pass)
    }
}
