//! The outbound delivery engine: every outbound message goes through the durable `deliveries`
//! queue and out through here, paced the way Meta enforces it.
//!
//! Each tick: for every number with due messages, take throughput tokens (GCRA at the number's
//! `throughput_mps` less the configured headroom), then a pair token per recipient (about one
//! message per 6 s after a burst); claim the chosen rows (`pending` → `sending`, written before
//! Meta is called), send them concurrently, and record the outcomes in batched transactions
//! (`RecordDeliveryOutcomes`). Higher priority (customer-service replies) goes first. Rows left
//! `sending` by a process that died mid-call are failed as "outcome unknown", never resent
//! (docs/adr/0006).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc, watch};

use application::messaging::delivery_policy::Decision;
use application::messaging::ports::{CloudApi, OutboundQueue, Settled};
use application::messaging::record_delivery_outcomes::{DeliveryOutcome, RecordDeliveryOutcomes, RecordOutcomesHandler};
use application::shared::meta::{CloudApiError, SenderCredentials};
use application::shared::ports::RateLimiter;
use application::shared::ports::{Clock, SecretCipher};
use application::{Pipeline, RequestContext};
use domain::accounts::AccountStatus;

use crate::metrics::Metrics;

/// Sustained pair rate: one message per 6.5 s to the same recipient. Meta allows about one per
/// 6 s, counted on its own clock when a request arrives; the half-second margin absorbs network
/// jitter, so that a send that waited its turn here never reaches Meta early (a slow first
/// request followed by a fast one would otherwise land inside Meta's interval).
pub const PAIR_PER_SECOND: f64 = 1.0 / 6.5;

use super::outcomes::OutcomeWaiters;

/// What the dispatcher needs, built once at start-up.
pub struct Dispatcher {
    pub queue: Arc<dyn OutboundQueue>,
    pub limiter: Arc<dyn RateLimiter>,
    pub cloud: Arc<dyn CloudApi>,
    pub cipher: Arc<dyn SecretCipher>,
    pub pipeline: Pipeline,
    pub record: RecordOutcomesHandler,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    pub outcomes: Arc<OutcomeWaiters>,
    /// This process, as a claim holder.
    pub instance_id: String,
    /// Fraction of each number's throughput kept free (Meta counts inbound too).
    pub headroom: f64,
    pub pair_burst: f64,
    pub retry_base: Duration,
    /// A `sending` row older than this belongs to a process that died mid-call.
    pub stale_after: Duration,
}

pub fn spawn(d: Arc<Dispatcher>, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
    let (tx, rx) = mpsc::channel::<DeliveryOutcome>(20_000);
    vec![tokio::spawn(dispatch_loop(d.clone(), tx, shutdown.clone())), tokio::spawn(record_loop(d, rx, shutdown))]
}

async fn dispatch_loop(d: Arc<Dispatcher>, tx: mpsc::Sender<DeliveryOutcome>, mut shutdown: watch::Receiver<bool>) {
    let sends = Arc::new(Semaphore::new(512));
    let mut last_recovery = Instant::now() - Duration::from_secs(60);
    tracing::info!("outbound dispatcher started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        if last_recovery.elapsed() > Duration::from_secs(5) {
            last_recovery = Instant::now();
            recover_stale(&d, &tx).await;
            if let Ok(n) = d.queue.pending_count().await {
                d.metrics.outbound_backlog.set(n as i64);
            }
        }
        let now = d.clock.now();
        let due = match d.queue.due_accounts(now, 500).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %application::Chain(&e), "dispatcher: cannot read the queue");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let mut sent_any = false;
        if !due.is_empty() {
            let accounts = d.queue.accounts(&due).await.unwrap_or_default();
            for (account, token) in accounts {
                if account.status() != AccountStatus::Active {
                    continue; // a suspended number's messages wait
                }
                let rate = (account.throughput_mps() as f64 * (1.0 - d.headroom)).max(0.1);
                let burst = (rate / 10.0).max(1.0);
                let cands = match d.queue.candidates(account.id(), now, (burst as u64 * 2).clamp(10, 500)).await {
                    Ok(c) if !c.is_empty() => c,
                    _ => continue,
                };
                let pnid = account.phone_number_id().to_string();
                let taken = match d.limiter.take(&format!("tp:{pnid}"), rate, burst, cands.len() as u32).await {
                    Ok((n, _)) => n as usize,
                    Err(e) => {
                        tracing::warn!(error = %e, "dispatcher: rate limiter unavailable; not sending");
                        break;
                    }
                };
                let cands: Vec<_> = cands.into_iter().take(taken).collect();
                let pair_keys: Vec<String> = cands.iter().map(|c| format!("pair:{pnid}:{}", c.wa_id)).collect();
                let Ok(pairs) = d.limiter.take_each(&pair_keys, PAIR_PER_SECOND, d.pair_burst).await else { continue };
                let mut chosen = Vec::with_capacity(taken);
                for (c, (ok, wait)) in cands.iter().zip(pairs) {
                    if ok {
                        chosen.push(c.message_id);
                    } else {
                        d.metrics.outbound_deferred.with_label_values(&["pair_rate"]).inc();
                        let at = now + chrono::Duration::from_std(wait).unwrap_or_default();
                        let _ = d.queue.defer(c.message_id, at).await;
                    }
                }
                let claimed = match d.queue.mark_sending(&chosen, &d.instance_id, now).await {
                    Ok(c) if !c.is_empty() => c,
                    _ => continue,
                };
                let access_token = match d.cipher.decrypt(&token) {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::error!(account_id = %account.id(), error = %application::Chain(&e), "cannot decrypt the account's token");
                        continue;
                    }
                };
                let creds = Arc::new(SenderCredentials { phone_number_id: account.phone_number_id().clone(), access_token });
                let messages = d.queue.messages(&claimed).await.unwrap_or_default();
                sent_any = true;
                for m in messages {
                    let Ok(permit) = sends.clone().acquire_owned().await else { break };
                    let (cloud, creds, tx) = (d.cloud.clone(), creds.clone(), tx.clone());
                    tokio::spawn(async move {
                        let result = cloud.send_message(&creds, m.wa_id(), m.content(), m.reply_to(), Some(&m.id().to_string())).await;
                        let _ = tx.send(DeliveryOutcome { message_id: m.id(), shop_id: m.shop_id(), result }).await;
                        drop(permit);
                    });
                }
            }
        }
        if !sent_any {
            tokio::select! {
                _ = d.outcomes.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(if due.is_empty() { 50 } else { 5 })) => {}
                _ = shutdown.changed() => {}
            }
        } else {
            tokio::task::yield_now().await;
        }
    }
    tracing::info!("outbound dispatcher stopped");
}

/// Rows still `sending` long after their claim: the process died between claiming and
/// recording Meta's answer. Meta may have delivered them, so they are failed, not resent.
async fn recover_stale(d: &Dispatcher, tx: &mpsc::Sender<DeliveryOutcome>) {
    let before = d.clock.now() - chrono::Duration::from_std(d.stale_after).unwrap_or_default();
    let Ok(stale) = d.queue.stale_sending(before, 500).await else { return };
    for d in stale {
        tracing::warn!(message_id = %d.message_id, "a send was interrupted by a crash; its outcome is unknown, so it is not resent");
        let error = CloudApiError::outcome_unknown("the process sending it stopped before Meta's answer was recorded", None);
        let _ = tx.send(DeliveryOutcome { message_id: d.message_id, shop_id: d.shop_id, result: Err(error) }).await;
    }
}

async fn record_loop(d: Arc<Dispatcher>, mut rx: mpsc::Receiver<DeliveryOutcome>, mut shutdown: watch::Receiver<bool>) {
    let m = &d.metrics;
    loop {
        let first = tokio::select! {
            o = rx.recv() => match o { Some(o) => o, None => break },
            _ = shutdown.changed() => {
                if rx.is_empty() { break } else { continue }
            }
        };
        let mut batch = vec![first];
        while batch.len() < 200 {
            match rx.try_recv() {
                Ok(o) => batch.push(o),
                Err(_) => break,
            }
        }
        for o in &batch {
            if let Err(e) = &o.result {
                m.cloud_api_errors
                    .with_label_values(&[&e.code.map_or_else(|| format!("{:?}", e.kind).to_lowercase(), |c| c.to_string())])
                    .inc();
            }
        }
        let ctx = RequestContext::system("dispatch");
        let mut pending = Some(batch);
        while let Some(outcomes) = pending.take() {
            // Keep a copy so a database outage does not lose known outcomes.
            let copy = outcomes.clone();
            let cmd = RecordDeliveryOutcomes { outcomes, retry_base: d.retry_base };
            match d.pipeline.execute(&ctx, &d.record, cmd).await {
                Ok(settled) => {
                    for s in &settled {
                        match s {
                            Settled::Sent(msg) => m.messages_sent.with_label_values(&[msg.kind().as_str()]).inc(),
                            Settled::Failed { decision: Decision::FailAndPauseAccount, .. } => m.accounts_paused.inc(),
                            Settled::Rescheduled { decision: Decision::SlowNumber { .. }, .. } => {
                                m.outbound_deferred.with_label_values(&["throughput_130429"]).inc()
                            }
                            Settled::Rescheduled { decision: Decision::DelayRecipient { .. }, .. } => {
                                m.outbound_deferred.with_label_values(&["pair_131056"]).inc()
                            }
                            _ => {}
                        }
                        d.outcomes.notify(s).await;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %application::Chain(&e), "cannot record delivery outcomes; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if *shutdown.borrow() {
                        break;
                    }
                    pending = Some(copy);
                }
            }
        }
    }
}

/// The outbound dispatcher, wired from the service's adapters (its own Cloud API client, with no
/// retries: the dispatcher's policy decides each one).
pub fn wire(a: &crate::adapters::Adapters) -> Arc<Dispatcher> {
    use infrastructure::meta::CloudApiClient;
    use infrastructure::persistence::messaging::outbound_queue::SeaOutboundQueue;
    let c = &a.config;
    Arc::new(Dispatcher {
        queue: Arc::new(SeaOutboundQueue::new(a.db.clone())),
        limiter: a.limiter.clone(),
        cloud: Arc::new(
            CloudApiClient::new(&a.graph_base, &c.whatsapp_api_version, c.cloud_api_timeout, c.cloud_api_retry_base).without_retries(),
        ),
        cipher: a.cipher.clone(),
        pipeline: a.pipeline.clone(),
        record: RecordOutcomesHandler { clock: a.clock.clone() },
        clock: a.clock.clone(),
        metrics: a.metrics.clone(),
        outcomes: a.outcomes.clone(),
        instance_id: a.instance_id.clone(),
        headroom: c.outbound_headroom_percent as f64 / 100.0,
        pair_burst: c.pair_burst as f64,
        retry_base: c.cloud_api_retry_base,
        stale_after: c.cloud_api_timeout * 2 + Duration::from_secs(5),
    })
}
