//! The webhook worker: claims stored deliveries (oldest first, for a 60 s lease; on Postgres
//! `FOR UPDATE SKIP LOCKED`, so replicas share the load and never take the same delivery) and
//! processes them a batch per transaction (`ProcessWebhooks`, set-based). If a batch fails, each
//! of its deliveries is redone in its own transaction, so one bad delivery cannot hold the
//! others back. Processing does not depend on order: messages deduplicate by wamid, the window
//! only moves forward, statuses only advance. A delivery that keeps failing for a transient
//! reason is released and retried; after [`MAX_ATTEMPTS`] it becomes a dead letter.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};

use application::inbound::ports::{RawWebhookEvent, WebhookInbox};
use application::inbound::process_webhooks::{BatchOutcome, ProcessWebhooks, ProcessWebhooksError, ProcessWebhooksHandler, StoredDelivery};
use application::shared::ports::Clock;
use application::{Pipeline, RequestContext, UseCaseError};

use crate::metrics::Metrics;

pub const MAX_ATTEMPTS: i32 = 10;

/// What the webhook worker needs, built once at start-up.
pub struct WebhookWorker {
    pub inbox: Arc<dyn WebhookInbox>,
    pub pipeline: Pipeline,
    pub process: ProcessWebhooksHandler,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    /// This process, as a claim holder.
    pub instance_id: String,
    /// Woken by the webhook endpoint as soon as a delivery is stored.
    pub stored: Arc<Notify>,
    /// Deliveries claimed at a time.
    pub claim: u64,
    /// Deliveries per processing transaction.
    pub per_transaction: usize,
    /// Claim-and-process loops running at once in this process.
    pub loops: usize,
}

impl WebhookWorker {
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("webhook worker started");
        let mut gauges_at = Instant::now() - Duration::from_secs(60);
        loop {
            if *shutdown.borrow() {
                break;
            }
            let batch = match self.inbox.claim(&self.instance_id, self.clock.now(), Duration::from_secs(60), self.claim).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read stored webhooks; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            // Gauges are refreshed every few seconds, not per batch: a count is not free.
            if gauges_at.elapsed() > Duration::from_secs(5) {
                gauges_at = Instant::now();
                if let Ok(n) = self.inbox.pending_count().await {
                    self.metrics.webhook_backlog.set(n as i64);
                }
            }
            if batch.is_empty() {
                tokio::select! {
                    _ = self.stored.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            let mut failed = false;
            let mut rest = batch;
            while !rest.is_empty() {
                let chunk: Vec<RawWebhookEvent> = rest.drain(..rest.len().min(self.per_transaction)).collect();
                let started = Instant::now();
                match self.process_batch(&chunk).await {
                    Ok(out) => self.record(&out, started.elapsed().as_secs_f64() * 1e3 / chunk.len() as f64),
                    Err(e) => {
                        tracing::warn!(deliveries = chunk.len(), error = %e, "batch failed; processing its deliveries one by one");
                        for event in chunk {
                            failed |= !self.process_one(event).await;
                        }
                    }
                }
            }
            if failed {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        tracing::info!("webhook worker stopped");
    }

    async fn process_batch(&self, events: &[RawWebhookEvent]) -> Result<BatchOutcome, ProcessWebhooksError> {
        let cmd = ProcessWebhooks { deliveries: events.iter().map(|e| StoredDelivery { id: e.id, body: e.body.clone() }).collect() };
        self.pipeline.execute(&RequestContext::system("webhook"), &self.process, cmd).await
    }

    fn record(&self, out: &BatchOutcome, per_delivery_ms: f64) {
        let m = &self.metrics;
        m.messages_received.inc_by(u64::from(out.messages.stored));
        for d in &out.deliveries {
            let outcome = if d.dead.is_some() { "dead" } else { "processed" };
            m.webhook_processing_ms.with_label_values(&[outcome]).observe(per_delivery_ms);
            if let Some(reason) = &d.dead {
                m.webhook_dead_letters.inc();
                tracing::warn!(event_id = %d.id, %reason, "webhook delivery kept as a dead letter");
            }
            if !d.unroutable.is_empty() {
                m.webhook_unroutable.inc_by(d.unroutable.len() as u64);
                tracing::warn!(event_id = %d.id, phone_number_ids = ?d.unroutable, "webhook for an unknown number kept and flagged");
            }
        }
    }

    /// One delivery in its own transaction; `false` if it failed (released for a retry, or dead).
    async fn process_one(&self, event: RawWebhookEvent) -> bool {
        let started = Instant::now();
        match self.process_batch(std::slice::from_ref(&event)).await {
            Ok(out) => {
                self.record(&out, started.elapsed().as_secs_f64() * 1e3);
                true
            }
            Err(e) => {
                // Storage trouble is worth retrying; a bug in the data is not going to fix
                // itself, so it is dead at once.
                let dead = event.attempts + 1 >= MAX_ATTEMPTS || e.storage().is_none();
                self.metrics.webhook_processing_ms.with_label_values(&["error"]).observe(started.elapsed().as_secs_f64() * 1e3);
                if dead {
                    self.metrics.webhook_dead_letters.inc();
                }
                tracing::error!(event_id = %event.id, attempts = event.attempts + 1, dead, error = %e, "webhook processing failed");
                if let Err(e2) = self.inbox.record_failure(event.id, &e.to_string(), dead).await {
                    tracing::error!(error = %e2, "could not record the failure");
                }
                false
            }
        }
    }
}
