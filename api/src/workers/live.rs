//! The live feed's poll (`application::inbox::live`): on every replica, API-only ones included,
//! one read of the outbox every quarter second feeds every client of `GET /api/v1/stream`
//! connected to it. It needs no lease: each replica keeps its own position.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use application::inbox::live::{LiveFeed, POLL_BATCH};
use application::shared::ports::Clock;

pub struct LivePoll {
    pub feed: Arc<LiveFeed>,
    pub clock: Arc<dyn Clock>,
    pub every: Duration,
    pub metrics: crate::metrics::Metrics,
}

impl LivePoll {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            self.metrics.live_polls.inc();
            self.metrics.stream_clients.set(self.feed.clients() as i64);
            let wait = match self.feed.poll(self.clock.now()).await {
                Ok(read) if read as u64 >= POLL_BATCH => Duration::ZERO,
                Ok(_) => self.every,
                Err(e) => {
                    tracing::warn!(error = %application::Chain(&e), "the live feed could not read the outbox; it tries again");
                    Duration::from_secs(1)
                }
            };
            tokio::select! { _ = tokio::time::sleep(wait) => {}, _ = shutdown.changed() => break }
        }
    }
}
