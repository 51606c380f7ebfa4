//! The merchant webhooks' job: the delivery log forgets settled deliveries after 7 days.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use application::shared::ports::Clock;
use application::webhook_subscriptions::prune_deliveries::{PruneHookDeliveries, PruneHookDeliveriesHandler};
use application::{Pipeline, RequestContext};

use super::{PeriodicJob, failed};
use crate::adapters::Adapters;

pub fn jobs(a: &Adapters) -> Vec<Arc<dyn PeriodicJob>> {
    vec![Arc::new(DeliveryLog { pipeline: a.pipeline.clone(), clock: a.clock.clone() })]
}

/// WebhookDeliveriesJob: every hour, delivered and dead deliveries older than 7 days go.
pub struct DeliveryLog {
    pipeline: Pipeline,
    clock: Arc<dyn Clock>,
}

#[async_trait]
impl PeriodicJob for DeliveryLog {
    fn name(&self) -> &'static str {
        "webhook-deliveries"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(3600)
    }
    async fn run(&self) -> Result<String, String> {
        let mut total = 0;
        loop {
            let cmd = PruneHookDeliveries { now: self.clock.now(), limit: 5000 };
            let n =
                self.pipeline.execute(&RequestContext::system("job"), &PruneHookDeliveriesHandler, cmd).await.map_err(|e| failed(&e))?;
            total += n;
            if n < 5000 {
                break;
            }
        }
        Ok(format!("{total} forgotten"))
    }
}
