//! The media worker: fetches customers' files from Meta as soon as a message with a file is
//! stored (the webhook worker wakes it; Meta's link lives 5 minutes), and every second for the
//! retries that come due. Claims are conditional updates, so replicas share the work.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};

use application::media::fetch_media::FetchMediaService;
use application::media::ports::MediaReads;

use crate::metrics::Metrics;

pub struct MediaWorker {
    pub fetch: FetchMediaService,
    pub reads: Arc<dyn MediaReads>,
    /// Woken when a message with a file was stored.
    pub wake: Arc<Notify>,
    pub metrics: Metrics,
    pub instance_id: String,
    /// Files claimed per pass.
    pub batch: u64,
}

impl MediaWorker {
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("media worker started");
        let mut gauge_at = Instant::now() - Duration::from_secs(60);
        loop {
            if *shutdown.borrow() {
                break;
            }
            if gauge_at.elapsed() > Duration::from_secs(5) {
                gauge_at = Instant::now();
                if let Ok(n) = self.reads.pending_count().await {
                    self.metrics.media_backlog.set(n as i64);
                }
            }
            match self.fetch.run_once(&self.instance_id, self.batch).await {
                Ok(pass) if pass.claimed == 0 => {
                    tokio::select! {
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Ok(pass) => {
                    let m = &self.metrics.media_fetches;
                    m.with_label_values(&["stored"]).inc_by(pass.stored as u64);
                    m.with_label_values(&["retrying"]).inc_by(pass.retrying as u64);
                    m.with_label_values(&["failed"]).inc_by(pass.failed as u64);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "media fetch pass failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        tracing::info!("media worker stopped");
    }
}
