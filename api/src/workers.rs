//! Background workers. Today: the webhook processor. It claims stored deliveries in the
//! order they arrived and runs `ProcessWebhookEvent` for each (one transaction per delivery),
//! so per-conversation order is kept. A delivery that fails for a transient reason stays
//! pending and is retried with backoff; after `MAX_ATTEMPTS` it becomes a dead letter.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use application::AppError;
use application::RequestContext;
use application::messaging::ProcessWebhookEvent;

use crate::state::AppState;

pub const MAX_ATTEMPTS: i32 = 10;
const BATCH: u64 = 200;

pub fn spawn(state: Arc<AppState>, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
    vec![tokio::spawn(webhook_worker(state, shutdown))]
}

async fn webhook_worker(state: Arc<AppState>, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("webhook worker started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        let batch = match state.inbox.pending(BATCH).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "cannot read stored webhooks; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        state.metrics.webhook_backlog.set(batch.len() as i64);
        if batch.is_empty() {
            tokio::select! {
                _ = state.webhook_stored.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        let mut failed = false;
        for event in batch {
            let started = Instant::now();
            let ctx = RequestContext::system("webhook");
            let cmd = ProcessWebhookEvent { event_id: event.id, body: event.body };
            let m = &state.metrics;
            match state.pipeline.execute(&ctx, state.messaging_handlers(), cmd).await {
                Ok(out) => {
                    let outcome = if out.dead.is_some() { "dead" } else { "processed" };
                    m.webhook_processing_ms.with_label_values(&[outcome]).observe(started.elapsed().as_secs_f64() * 1e3);
                    m.messages_received.inc_by(out.messages_stored as u64);
                    if let Some(reason) = &out.dead {
                        m.webhook_dead_letters.inc();
                        tracing::warn!(event_id = %event.id, %reason, "webhook delivery kept as a dead letter");
                    }
                    if !out.unroutable.is_empty() {
                        m.webhook_unroutable.inc_by(out.unroutable.len() as u64);
                        tracing::warn!(event_id = %event.id, phone_number_ids = ?out.unroutable, "webhook for an unknown number kept and flagged");
                    }
                }
                Err(e) => {
                    failed = true;
                    let dead = event.attempts + 1 >= MAX_ATTEMPTS || !transient(&e);
                    m.webhook_processing_ms.with_label_values(&["error"]).observe(started.elapsed().as_secs_f64() * 1e3);
                    if dead {
                        m.webhook_dead_letters.inc();
                    }
                    tracing::error!(event_id = %event.id, attempts = event.attempts + 1, dead, error = %e, "webhook processing failed");
                    if let Err(e2) = state.inbox.record_failure(event.id, &e.to_string(), dead).await {
                        tracing::error!(error = %e2, "could not record the failure");
                    }
                    // Keep order: stop this batch and retry from the oldest pending delivery.
                    break;
                }
            }
        }
        if failed {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    tracing::info!("webhook worker stopped");
}

/// Storage trouble is worth retrying; a bug in the data is not going to fix itself, but it
/// still gets the retries in case a concurrent writer raced (unique conflicts).
fn transient(e: &AppError) -> bool {
    matches!(e, AppError::Storage(_))
}
