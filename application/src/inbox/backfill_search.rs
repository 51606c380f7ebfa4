//! BackfillSearch: messages and customers stored before the inbox's search existed become
//! searchable, a few batches per run of the job (`SearchBackfillJob`), until none is left.

use std::sync::Arc;

use super::ports::{BackfillStep, SearchBackfill};
use crate::shared::repo::RepoResult;

pub struct BackfillSearch {
    pub index: Arc<dyn SearchBackfill>,
    /// Rows read per batch.
    pub batch: u64,
    /// Batches per run at most.
    pub batches: u32,
}

impl BackfillSearch {
    /// Runs batches until nothing is left or the run's share is spent: the sum of what they did.
    pub async fn run(&self) -> RepoResult<BackfillStep> {
        let mut total = BackfillStep::default();
        for _ in 0..self.batches {
            let step = self.index.backfill(self.batch).await?;
            total.scanned += step.scanned;
            total.indexed += step.indexed;
            total.done = step.done;
            if step.done {
                break;
            }
        }
        Ok(total)
    }
}
