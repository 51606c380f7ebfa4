//! The merchant webhook worker: every replica claims due deliveries (like the media queue),
//! posts them, and records the attempts (`DeliverHooksService`). Woken when deliveries were
//! queued; otherwise every second for the retries that come due.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use application::webhook_subscriptions::deliver_hooks::DeliverHooksService;

use crate::metrics::Metrics;

pub struct HookWorker {
    pub deliver: DeliverHooksService,
    pub wake: Arc<Notify>,
    pub metrics: Metrics,
    pub instance_id: String,
    pub batch: u64,
    /// Passes in flight at once (each claims its own deliveries): while one records its
    /// attempts, another posts.
    pub loops: usize,
}

impl HookWorker {
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("merchant webhook worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.deliver.run_once(&self.instance_id, self.batch).await {
                Ok(pass) if pass.claimed == 0 => {
                    tokio::select! {
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        r = shutdown.changed() => if r.is_err() { break },
                    }
                }
                Ok(pass) => {
                    let m = &self.metrics.hook_attempts;
                    m.with_label_values(&["delivered"]).inc_by(pass.delivered);
                    m.with_label_values(&["retrying"]).inc_by(pass.retrying);
                    m.with_label_values(&["dead"]).inc_by(pass.dead);
                }
                Err(e) => {
                    tracing::warn!(error = %application::Chain(&e), "a webhook delivery pass failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        tracing::info!("merchant webhook worker stopped");
    }
}

pub fn wire(a: &crate::adapters::Adapters) -> Arc<HookWorker> {
    use application::webhook_subscriptions::deliver_hooks::RecordHookAttemptsHandler;
    use infrastructure::persistence::webhook_subscriptions::queue::SeaHookQueue;
    Arc::new(HookWorker {
        deliver: DeliverHooksService {
            pipeline: a.pipeline.clone(),
            queue: Arc::new(SeaHookQueue::new(a.db.clone())),
            reads: a.hook_reads.clone(),
            sender: a.hook_sender.clone(),
            cipher: a.cipher.clone(),
            clock: a.clock.clone(),
            record: RecordHookAttemptsHandler { clock: a.clock.clone() },
            claim_for: chrono::Duration::from_std(a.config.webhook_delivery_timeout * 3).unwrap_or(chrono::Duration::seconds(30)),
        },
        wake: a.hooks_wake.clone(),
        metrics: a.metrics.clone(),
        instance_id: a.instance_id.clone(),
        batch: if a.db.is_sqlite() { 100 } else { 250 },
        loops: if a.db.is_sqlite() { 1 } else { 2 },
    })
}
