//! The outbox relay: publishes outbox rows in `seq` order. One relay holds the lease at a time
//! across replicas, so order per subject is kept; a broker outage delays events (backoff up to
//! 30 s), never loses them: a row is marked published only after the destination confirmed it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use application::shared::leases::Leases;
use application::shared::outbox::{EventPublisher, OutboxRelayStore};
use application::shared::ports::Clock;

use crate::metrics::Metrics;

const LEASE: &str = "outbox-relay";

/// What the relay needs, built once at start-up.
pub struct OutboxRelay {
    pub store: Arc<dyn OutboxRelayStore>,
    pub publisher: Arc<dyn EventPublisher>,
    pub leases: Arc<dyn Leases>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    pub instance_id: String,
    /// Events published per round.
    pub batch: u64,
}

impl OutboxRelay {
    pub async fn run(self: Arc<Self>, shutdown: watch::Receiver<bool>) {
        let mut backoff = Duration::from_millis(250);
        let mut gauges_at = Instant::now() - Duration::from_secs(60);
        let m = &self.metrics;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let idle = |d: Duration| {
                let mut sd = shutdown.clone();
                async move {
                    tokio::select! { _ = tokio::time::sleep(d) => {}, _ = sd.changed() => {} }
                }
            };
            match self.leases.acquire(LEASE, &self.instance_id, Duration::from_secs(15), self.clock.now()).await {
                Ok(true) => {}
                Ok(false) => {
                    idle(Duration::from_secs(2)).await;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %application::Chain(&e), "outbox relay: cannot take its lease");
                    idle(Duration::from_secs(1)).await;
                    continue;
                }
            }
            let batch = match self.store.unpublished(self.batch).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %application::Chain(&e), "outbox relay: cannot read the outbox");
                    idle(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if gauges_at.elapsed() > Duration::from_secs(5)
                && let Ok((lag, oldest)) = self.store.lag().await
            {
                gauges_at = Instant::now();
                m.outbox_lag.set(lag as i64);
                m.outbox_oldest_age_seconds.set(oldest.map_or(0.0, |t| (self.clock.now() - t).num_milliseconds() as f64 / 1e3));
            }
            if batch.is_empty() {
                idle(Duration::from_millis(200)).await;
                continue;
            }
            match self.publisher.publish(&batch).await {
                Ok(n) => {
                    let seqs: Vec<i64> = batch[..n].iter().map(|r| r.seq).collect();
                    if let Err(e) = self.store.mark_published(&seqs, self.clock.now()).await {
                        // Published but not marked: they will be published again (at least once).
                        tracing::warn!(error = %application::Chain(&e), "outbox relay: could not mark events published");
                    }
                    m.events_published.with_label_values(&[self.publisher.name()]).inc_by(n as u64);
                    if n < batch.len() {
                        idle(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                    } else {
                        backoff = Duration::from_millis(250);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %application::Chain(&e), retry_in_ms = backoff.as_millis() as u64, "outbox relay: publish failed; events wait in the outbox");
                    idle(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }
}

/// The outbox relay, wired from the service's adapters.
pub fn wire(a: &crate::adapters::Adapters) -> Arc<OutboxRelay> {
    Arc::new(OutboxRelay {
        store: a.relay_store.clone(),
        publisher: a.publisher.clone(),
        leases: a.leases.clone(),
        clock: a.clock.clone(),
        metrics: a.metrics.clone(),
        instance_id: a.instance_id.clone(),
        batch: 500,
    })
}
