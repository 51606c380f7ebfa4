//! The privacy context's job: raw copies past their retention (ADR 11).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use application::privacy::prune_raw_copies::PruneRawCopies;
use infrastructure::persistence::privacy::raw_copies::SeaRawCopies;

use super::{PeriodicJob, failed};
use crate::adapters::Adapters;

pub fn jobs(a: &Adapters) -> Vec<Arc<dyn PeriodicJob>> {
    vec![Arc::new(RawRetention {
        prune: PruneRawCopies {
            copies: Arc::new(SeaRawCopies::new(a.db.clone())),
            clock: a.clock.clone(),
            retention: a.config.raw_retention,
        },
    })]
}

/// Every hour: processed webhook bodies and published event envelopes older than
/// `RAW_RETENTION_HOURS` are deleted (ADR 11).
pub struct RawRetention {
    prune: PruneRawCopies,
}

#[async_trait]
impl PeriodicJob for RawRetention {
    fn name(&self) -> &'static str {
        "raw-retention"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(3600)
    }
    async fn run(&self) -> Result<String, String> {
        let p = self.prune.run().await.map_err(|e| failed(&e))?;
        Ok(format!("{} webhook deliveries and {} published events removed", p.deliveries, p.events))
    }
}
