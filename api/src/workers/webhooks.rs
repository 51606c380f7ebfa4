//! The webhook worker: each loop takes the oldest pending deliveries in the transaction that
//! processes them (`ProcessWebhooks`, set-based); on Postgres the rows are locked
//! `FOR UPDATE SKIP LOCKED`, so loops and replicas share the load, never take the same
//! delivery, and a crash releases what it held. If a batch fails, its deliveries are redone one
//! per transaction, so one bad delivery cannot hold the others back. Processing does not depend
//! on order: messages deduplicate by wamid, the window only moves forward, statuses only
//! advance. A delivery that keeps failing for a transient reason is retried; after
//! [`MAX_ATTEMPTS`] it becomes a dead letter.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};

use application::inbound::ports::{Take, WebhookInbox};
use application::inbound::process_webhooks::{BatchOutcome, ProcessWebhooks, ProcessWebhooksError, ProcessWebhooksHandler};
use application::{Pipeline, RequestContext, UseCaseError};

use crate::metrics::Metrics;

pub const MAX_ATTEMPTS: i32 = 10;

/// What the webhook worker needs, built once at start-up.
pub struct WebhookWorker {
    pub inbox: Arc<dyn WebhookInbox>,
    pub pipeline: Pipeline,
    pub process: ProcessWebhooksHandler,
    pub metrics: Metrics,
    /// Woken by the webhook endpoint as soon as a delivery is stored.
    pub stored: Arc<Notify>,
    /// Deliveries per processing transaction.
    pub per_transaction: u64,
    /// Loops running at once in this process.
    pub loops: usize,
    /// Wakes the media worker when a customer's file is announced.
    pub media_wake: Arc<Notify>,
}

impl WebhookWorker {
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("webhook worker started");
        let mut gauges_at = Instant::now() - Duration::from_secs(60);
        loop {
            if *shutdown.borrow() {
                break;
            }
            // Gauges are refreshed every few seconds, not per batch: a count is not free.
            if gauges_at.elapsed() > Duration::from_secs(5) {
                gauges_at = Instant::now();
                if let Ok(n) = self.inbox.pending_count().await {
                    self.metrics.webhook_backlog.set(n as i64);
                }
            }
            let started = Instant::now();
            match self.process(Take::Oldest(self.per_transaction)).await {
                Ok(out) if out.deliveries.is_empty() => {
                    tokio::select! {
                        _ = self.stored.notified() => {}
                        _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Ok(out) => {
                    self.metrics.webhook_batches.with_label_values(&["processed"]).inc();
                    self.record(&out, started.elapsed().as_secs_f64() * 1e3 / out.deliveries.len() as f64)
                }
                Err(e) => {
                    self.metrics.webhook_batches.with_label_values(&["failed"]).inc();
                    tracing::warn!(error = %application::Chain(&e), "batch failed; processing its deliveries one by one");
                    if !self.one_by_one().await {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
        }
        tracing::info!("webhook worker stopped");
    }

    async fn process(&self, take: Take) -> Result<BatchOutcome, ProcessWebhooksError> {
        self.pipeline.execute(&RequestContext::system("webhook"), &self.process, ProcessWebhooks { take }).await
    }

    fn record(&self, out: &BatchOutcome, per_delivery_ms: f64) {
        let m = &self.metrics;
        m.messages_received.inc_by(u64::from(out.messages.stored));
        if out.messages.media > 0 {
            self.media_wake.notify_one();
        }
        for d in &out.deliveries {
            let outcome = if d.dead.is_some() { "dead" } else { "processed" };
            m.webhook_processing_ms.with_label_values(&[outcome]).observe(per_delivery_ms);
            if let Some(dead) = &d.dead {
                m.webhook_dead_letters.with_label_values(&[dead.reason]).inc();
                tracing::warn!(event_id = %d.id, reason = %dead.detail, "webhook delivery kept as a dead letter");
            }
            if !d.unroutable.is_empty() {
                m.webhook_unroutable.inc_by(d.unroutable.len() as u64);
                tracing::warn!(event_id = %d.id, phone_number_ids = ?d.unroutable, "webhook for an unknown number kept and flagged");
            }
        }
    }

    /// The oldest pending deliveries, each in its own transaction. `false` if one failed
    /// (its attempt is counted; it is retried later, or kept as a dead letter).
    async fn one_by_one(&self) -> bool {
        let pending = match self.inbox.pending(self.per_transaction).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %application::Chain(&e), "cannot read stored webhooks; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                return false;
            }
        };
        let mut all_ok = true;
        for (id, attempts) in pending {
            let started = Instant::now();
            match self.process(Take::Ids(vec![id])).await {
                Ok(out) => self.record(&out, started.elapsed().as_secs_f64() * 1e3),
                Err(e) => {
                    all_ok = false;
                    // Storage trouble is worth retrying; a bug in the data is not going to fix
                    // itself, so it is dead at once.
                    let dead = attempts + 1 >= MAX_ATTEMPTS || e.storage().is_none();
                    self.metrics.webhook_processing_ms.with_label_values(&["error"]).observe(started.elapsed().as_secs_f64() * 1e3);
                    if dead {
                        self.metrics.webhook_dead_letters.with_label_values(&["failed"]).inc();
                    }
                    tracing::error!(event_id = %id, attempts = attempts + 1, dead, error = %application::Chain(&e), "webhook processing failed");
                    if let Err(e2) = self.inbox.record_failure(id, &e.to_string(), dead).await {
                        tracing::error!(error = %application::Chain(&e2), "could not record the failure");
                    }
                }
            }
        }
        all_ok
    }
}

/// The webhook processor, wired from the service's adapters.
pub fn wire(a: &crate::adapters::Adapters) -> Arc<WebhookWorker> {
    use application::accounts::record_quality_updates::RecordQualityHandler;
    use application::customers::record_preferences::RecordUserPreferencesHandler;
    use application::messaging::apply_statuses::ApplyStatusesHandler;
    use application::messaging::receive_messages::ReceiveMessagesHandler;
    use application::templates::record_template_categories::RecordTemplateCategoriesHandler;
    use application::templates::record_template_quality::RecordTemplateQualityHandler;
    use application::templates::record_template_statuses::RecordTemplateStatusesHandler;
    let clock = &a.clock;
    let sqlite = a.db.is_sqlite();
    Arc::new(WebhookWorker {
        inbox: a.inbox.clone(),
        pipeline: a.pipeline.clone(),
        process: ProcessWebhooksHandler {
            clock: clock.clone(),
            receive: ReceiveMessagesHandler { clock: clock.clone() },
            statuses: ApplyStatusesHandler { clock: clock.clone() },
            quality: RecordQualityHandler { clock: clock.clone() },
            templates: RecordTemplateStatusesHandler { clock: clock.clone() },
            categories: RecordTemplateCategoriesHandler,
            template_quality: RecordTemplateQualityHandler { clock: clock.clone() },
            preferences: RecordUserPreferencesHandler { clock: clock.clone() },
            turns: application::turns::open_turns::OpenTurnsHandler { clock: clock.clone() },
        },
        metrics: a.metrics.clone(),
        stored: a.webhook_stored.clone(),
        // SQLite has one writer: a smaller batch keeps acknowledgements (which need the writer
        // too) fast.
        per_transaction: if sqlite { 10 } else { 200 },
        // Postgres: a batch mostly waits for the database, so three in flight keep both busy
        // (docs/BENCHMARKS.md). SQLite has one writer.
        loops: if sqlite { 1 } else { 3 },
        media_wake: a.media_wake.clone(),
    })
}
