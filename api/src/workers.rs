//! Background workers. The webhook processor claims stored deliveries (oldest first, for a
//! 60 s lease; on Postgres `FOR UPDATE SKIP LOCKED`, so replicas share the load and never take
//! the same delivery) and runs `ProcessWebhookEvent` for each (one transaction per delivery).
//! Processing does not depend on order: messages deduplicate by wamid, the window only moves
//! forward, statuses only advance. A delivery that fails for a transient reason is released and
//! retried; after `MAX_ATTEMPTS` it becomes a dead letter.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use application::AppError;
use application::RequestContext;
use application::messaging::{ProcessWebhookBatch, ProcessWebhookEvent};

use crate::state::AppState;

pub const MAX_ATTEMPTS: i32 = 10;
const BATCH: u64 = 200;
/// Deliveries per processing transaction. SQLite has one writer: a smaller batch keeps the
/// webhook acknowledgement (which needs the writer too) fast.
const TX_BATCH: usize = 50;
const TX_BATCH_SQLITE: usize = 10;

pub fn spawn(state: Arc<AppState>, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
    let mut handles = crate::dispatcher::spawn(state.clone(), shutdown.clone());
    handles.extend([
        tokio::spawn(webhook_worker(state.clone(), shutdown.clone())),
        tokio::spawn(outbox_relay(state.clone(), shutdown.clone())),
        tokio::spawn(event_metrics(state.clone(), shutdown.clone())),
        tokio::spawn(job_loop(state.clone(), shutdown.clone(), "conversation-expiry", Duration::from_secs(60), expire_conversations)),
        tokio::spawn(job_loop(state, shutdown, "message-status-sync", Duration::from_secs(300), flag_stuck_messages)),
    ]);
    handles
}

const RELAY_LEASE: &str = "outbox-relay";
const RELAY_BATCH: u64 = 500;

/// Publishes outbox rows in `seq` order. One relay holds the lease at a time across replicas,
/// so order per subject is kept; a broker outage delays events (backoff up to 30 s), never
/// loses them: a row is marked published only after the destination confirmed it.
async fn outbox_relay(state: Arc<AppState>, shutdown: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(250);
    let mut gauges_at = Instant::now() - Duration::from_secs(60);
    let m = &state.metrics;
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
        match state.leases.acquire(RELAY_LEASE, &state.instance_id, Duration::from_secs(15), state.clock.now()).await {
            Ok(true) => {}
            Ok(false) => {
                idle(Duration::from_secs(2)).await;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "outbox relay: cannot take its lease");
                idle(Duration::from_secs(1)).await;
                continue;
            }
        }
        let batch = match state.outbox.unpublished(RELAY_BATCH).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "outbox relay: cannot read the outbox");
                idle(Duration::from_secs(1)).await;
                continue;
            }
        };
        if gauges_at.elapsed() > Duration::from_secs(5)
            && let Ok((lag, oldest)) = state.outbox.lag().await
        {
            gauges_at = Instant::now();
            m.outbox_lag.set(lag as i64);
            m.outbox_oldest_age_seconds.set(oldest.map_or(0.0, |t| (state.clock.now() - t).num_milliseconds() as f64 / 1e3));
        }
        if batch.is_empty() {
            idle(Duration::from_millis(200)).await;
            continue;
        }
        match state.publisher.publish(&batch).await {
            Ok(n) => {
                let seqs: Vec<i64> = batch[..n].iter().map(|r| r.seq).collect();
                if let Err(e) = state.outbox.mark_published(&seqs, state.clock.now()).await {
                    // Published but not marked: they will be published again (at least once).
                    tracing::warn!(error = %e, "outbox relay: could not mark events published");
                }
                m.events_published.with_label_values(&[state.publisher.name()]).inc_by(n as u64);
                if n < batch.len() {
                    idle(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                } else {
                    backoff = Duration::from_millis(250);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "outbox relay: publish failed; events wait in the outbox");
                idle(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// An in-process subscriber: conversation durations for the seed 002 histogram.
async fn event_metrics(state: Arc<AppState>, mut shutdown: watch::Receiver<bool>) {
    let mut rx = state.bus.subscribe();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            msg = rx.recv() => match msg {
                Ok(env) => {
                    if env["type"] == "whatsapp.conversation.closed" {
                        let reason = env["data"]["reason"].as_str().unwrap_or("closed");
                        let secs = env["data"]["durationSeconds"].as_f64().unwrap_or(0.0);
                        state.metrics.conversation_duration.with_label_values(&[reason]).observe(secs);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => break,
            }
        }
    }
}

type JobFn = fn(Arc<AppState>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, String>> + Send>>;

/// Runs `job` once per `every` across all replicas: the lease lasts one tick, so whichever
/// replica takes it runs the job and the others skip that tick.
async fn job_loop(state: Arc<AppState>, mut shutdown: watch::Receiver<bool>, name: &'static str, every: Duration, job: JobFn) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! { _ = tick.tick() => {}, _ = shutdown.changed() => break }
        let now = state.clock.now();
        match state.leases.acquire(name, &state.instance_id, every.saturating_sub(Duration::from_secs(1)), now).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(job = name, error = %e, "cannot take the job lease");
                continue;
            }
        }
        let outcome = job(state.clone()).await;
        let label = if outcome.is_ok() { "ok" } else { "error" };
        state.metrics.job_runs.with_label_values(&[name, label]).inc();
        state.metrics.job_last_run.with_label_values(&[name]).set(now.timestamp() as f64);
        let _ = state.leases.ran(name, now).await;
        match outcome {
            Ok(summary) => tracing::info!(job = name, %summary, "job ran"),
            Err(e) => tracing::error!(job = name, error = %e, "job failed"),
        }
    }
}

fn expire_conversations(state: Arc<AppState>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, String>> + Send>> {
    Box::pin(async move {
        let ctx = RequestContext::system("job");
        let cmd = application::jobs::ExpireConversations { now: state.clock.now(), limit: 1000 };
        let out = state.pipeline.execute(&ctx, &state.jobs, cmd).await.map_err(|e| e.to_string())?;
        Ok(format!("examined {}, expired {}", out.examined, out.expired))
    })
}

fn flag_stuck_messages(state: Arc<AppState>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, String>> + Send>> {
    Box::pin(async move {
        let before = state.clock.now() - application::jobs::stuck_after();
        let n = state.reads.count_stuck_messages(before).await.map_err(|e| e.to_string())?;
        state.metrics.messages_stuck.set(n as i64);
        if n > 0 {
            tracing::warn!(count = n, "outbound messages without a final status for over 24 h");
        }
        Ok(format!("{n} stuck"))
    })
}

async fn webhook_worker(state: Arc<AppState>, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("webhook worker started");
    let mut gauges_at = Instant::now() - Duration::from_secs(60);
    loop {
        if *shutdown.borrow() {
            break;
        }
        let batch = match state.inbox.claim(&state.instance_id, state.clock.now(), Duration::from_secs(60), BATCH).await {
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
            if let Ok(n) = state.inbox.pending_count().await {
                state.metrics.webhook_backlog.set(n as i64);
            }
        }
        if batch.is_empty() {
            tokio::select! {
                _ = state.webhook_stored.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        let mut failed = false;
        // Up to TX_BATCH deliveries per transaction; a failing chunk is redone one by one.
        let tx_batch = if state.db.write_lock.is_some() { TX_BATCH_SQLITE } else { TX_BATCH };
        let mut rest = batch;
        while !rest.is_empty() {
            let chunk: Vec<_> = rest.drain(..rest.len().min(tx_batch)).collect();
            let started = Instant::now();
            let ctx = RequestContext::system("webhook");
            let cmd = ProcessWebhookBatch {
                events: chunk.iter().map(|e| ProcessWebhookEvent { event_id: e.id, body: e.body.clone() }).collect(),
            };
            match state.pipeline.execute(&ctx, state.messaging_handlers(), cmd).await {
                Ok(outcomes) => {
                    let per_event_ms = started.elapsed().as_secs_f64() * 1e3 / chunk.len() as f64;
                    for (event, out) in chunk.iter().zip(outcomes) {
                        record_outcome(&state, event.id, &out, per_event_ms);
                    }
                }
                Err(_) => {
                    for event in chunk {
                        failed |= !process_one(&state, event).await;
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

fn record_outcome(state: &AppState, event_id: uuid::Uuid, out: &application::messaging::WebhookOutcome, ms: f64) {
    let m = &state.metrics;
    let outcome = if out.dead.is_some() { "dead" } else { "processed" };
    m.webhook_processing_ms.with_label_values(&[outcome]).observe(ms);
    m.messages_received.inc_by(out.messages_stored as u64);
    if let Some(reason) = &out.dead {
        m.webhook_dead_letters.inc();
        tracing::warn!(%event_id, %reason, "webhook delivery kept as a dead letter");
    }
    if !out.unroutable.is_empty() {
        m.webhook_unroutable.inc_by(out.unroutable.len() as u64);
        tracing::warn!(%event_id, phone_number_ids = ?out.unroutable, "webhook for an unknown number kept and flagged");
    }
}

/// One delivery in its own transaction; `false` if it failed (released for a retry, or dead).
async fn process_one(state: &Arc<AppState>, event: application::ports::RawWebhookEvent) -> bool {
    let started = Instant::now();
    let ctx = RequestContext::system("webhook");
    let cmd = ProcessWebhookEvent { event_id: event.id, body: event.body };
    match state.pipeline.execute(&ctx, state.messaging_handlers(), cmd).await {
        Ok(out) => {
            record_outcome(state, event.id, &out, started.elapsed().as_secs_f64() * 1e3);
            true
        }
        Err(e) => {
            let dead = event.attempts + 1 >= MAX_ATTEMPTS || !transient(&e);
            state.metrics.webhook_processing_ms.with_label_values(&["error"]).observe(started.elapsed().as_secs_f64() * 1e3);
            if dead {
                state.metrics.webhook_dead_letters.inc();
            }
            tracing::error!(event_id = %event.id, attempts = event.attempts + 1, dead, error = %e, "webhook processing failed");
            if let Err(e2) = state.inbox.record_failure(event.id, &e.to_string(), dead).await {
                tracing::error!(error = %e2, "could not record the failure");
            }
            false
        }
    }
}

/// Storage trouble is worth retrying; a bug in the data is not going to fix itself, but it
/// still gets the retries in case a concurrent writer raced (unique conflicts).
fn transient(e: &AppError) -> bool {
    matches!(e, AppError::Storage(_))
}
