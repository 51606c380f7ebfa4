//! The media context's job: each shop's retention policy.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use application::RequestContext;
use application::media::apply_retention::{ApplyRetentionService, MarkExpiredHandler};

use super::{PeriodicJob, failed};
use crate::adapters::Adapters;

pub fn jobs(a: &Adapters) -> Vec<Arc<dyn PeriodicJob>> {
    vec![Arc::new(MediaRetention {
        service: ApplyRetentionService {
            pipeline: a.pipeline.clone(),
            reads: a.media_reads.clone(),
            store: a.media_store.clone(),
            clock: a.clock.clone(),
            mark: MarkExpiredHandler { clock: a.clock.clone() },
            batch: 500,
        },
    })]
}

/// Every hour: each shop's files older than its retention policy are removed.
pub struct MediaRetention {
    service: ApplyRetentionService,
}

#[async_trait]
impl PeriodicJob for MediaRetention {
    fn name(&self) -> &'static str {
        "media-retention"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(3600)
    }
    async fn run(&self) -> Result<String, String> {
        let n = self.service.run(&RequestContext::system("job")).await.map_err(|e| failed(&e))?;
        Ok(format!("{n} files removed"))
    }
}
