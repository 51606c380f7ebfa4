//! PruneRawCopies: processed webhook bodies and published event envelopes older than the
//! retention (`RAW_RETENTION_HOURS`, 24 h by default) are deleted, so the personal data in them
//! (a customer's name, number and texts as Meta sent them) outlives neither its purpose nor an
//! erasure by more than that (ADR 11). Runs hourly as the `raw-retention` job.

use std::sync::Arc;
use std::time::Duration;

use super::ports::RawCopies;
use crate::shared::ports::Clock;
use crate::shared::repo::RepoResult;

/// What a pass removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    pub deliveries: u64,
    pub events: u64,
}

pub struct PruneRawCopies {
    pub copies: Arc<dyn RawCopies>,
    pub clock: Arc<dyn Clock>,
    pub retention: Duration,
}

impl PruneRawCopies {
    pub async fn run(&self) -> RepoResult<Pruned> {
        let before = self.clock.now() - chrono::Duration::from_std(self.retention).unwrap_or_default();
        Ok(Pruned { deliveries: self.copies.prune_deliveries(before).await?, events: self.copies.prune_published_events(before).await? })
    }
}
