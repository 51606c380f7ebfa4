//! The media worker: fetches customers' files from Meta as soon as a message with a file is
//! stored (the webhook worker wakes it; Meta's link lives 5 minutes), and every second for the
//! retries that come due. Claims are conditional updates, so replicas share the work. The
//! downloads run on a low-priority runtime (`background.rs`), and while the webhook backlog is
//! long the worker slows down: acknowledging and storing customers' messages comes first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};

use application::media::fetch_media::FetchMediaService;
use application::media::ports::MediaReads;

use crate::metrics::Metrics;

/// Stored webhook deliveries beyond which the media worker slows to a pass every 500 ms.
pub const WEBHOOK_BACKLOG_YIELD: i64 = 2_000;

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
            // Webhooks first: while their backlog is long, files wait a little (Meta keeps a
            // file's id for 7 days, and each attempt asks for a fresh link).
            if self.metrics.webhook_backlog.get() > WEBHOOK_BACKLOG_YIELD {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    r = shutdown.changed() => if r.is_err() { break },
                }
            }
            match self.fetch.run_once(&self.instance_id, self.batch).await {
                Ok(pass) if pass.claimed == 0 => {
                    tokio::select! {
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        r = shutdown.changed() => if r.is_err() { break },
                    }
                }
                Ok(pass) => {
                    let m = &self.metrics.media_fetches;
                    m.with_label_values(&["stored"]).inc_by(pass.stored as u64);
                    m.with_label_values(&["retrying"]).inc_by(pass.retrying as u64);
                    m.with_label_values(&["failed"]).inc_by(pass.failed as u64);
                    m.with_label_values(&["superseded"]).inc_by(pass.superseded() as u64);
                }
                Err(e) => {
                    tracing::warn!(error = %application::Chain(&e), "media fetch pass failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        tracing::info!("media worker stopped");
    }
}

/// The media fetcher, wired from the service's adapters. Downloads and writes run on a
/// low-priority runtime, with their own connections: the webhook path comes first
/// (`workers/background.rs`).
pub fn wire(a: &crate::adapters::Adapters) -> anyhow::Result<Arc<MediaWorker>> {
    use application::media::fetch_media::RecordFetchHandler;
    use application::media::ports::{MediaApi, MediaStore};
    use infrastructure::meta::CloudApiClient;
    use infrastructure::persistence::media::queue::SeaMediaFetchQueue;

    use super::background::{Background, LowPriority};
    let c = &a.config;
    let background = Arc::new(LowPriority::new("media-io")?);
    Ok(Arc::new(MediaWorker {
        fetch: FetchMediaService {
            pipeline: a.pipeline.clone(),
            queue: Arc::new(SeaMediaFetchQueue::new(a.db.clone())),
            credentials: a.credentials.clone(),
            api: Arc::new(Background::<dyn MediaApi> {
                inner: Arc::new(CloudApiClient::new(&a.graph_base, &c.whatsapp_api_version, c.cloud_api_timeout, c.cloud_api_retry_base)),
                runtime: background.clone(),
            }),
            store: Arc::new(Background::<dyn MediaStore> { inner: a.media_store.clone(), runtime: background.clone() }),
            clock: a.clock.clone(),
            record: RecordFetchHandler { clock: a.clock.clone() },
            concurrency: c.media_fetch_concurrency,
            memory: a.file_memory.clone(),
            claim_for: chrono::Duration::minutes(5),
        },
        reads: a.media_reads.clone(),
        wake: a.media_wake.clone(),
        metrics: a.metrics.clone(),
        instance_id: a.instance_id.clone(),
        batch: (c.media_fetch_concurrency * 4) as u64,
    }))
}
