//! The turn worker: every replica claims due turns (a customer's burst, quiet for the shop's
//! quiet time) like the media queue, and answers each through the responder chain
//! (`AnswerTurnService`). While the webhook backlog is long it slows down: storing customers'
//! messages comes first (a turn answered a little later is still answered once).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};

use application::shared::ports::Clock;
use application::turns::answer_turn::{AnswerTurnService, Recorded};
use application::turns::ports::TurnQueue;

use super::media::WEBHOOK_BACKLOG_YIELD;
use crate::metrics::Metrics;

pub struct TurnWorker {
    pub answer: Arc<AnswerTurnService>,
    pub queue: Arc<dyn TurnQueue>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    pub instance_id: String,
    /// Turns claimed per pass.
    pub batch: u64,
    /// Turns answered at once.
    pub concurrency: usize,
    /// How long a claim holds (then another replica may take the turn again).
    pub claim_for: chrono::Duration,
    /// How long the worker waits when no turn is due.
    pub idle: Duration,
}

impl TurnWorker {
    /// Claims as many due turns as it has room for, and claims again as soon as a turn is
    /// answered (never waiting for a whole batch), so one slow turn holds only its own place.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("turn worker started");
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            if self.metrics.webhook_backlog.get() > WEBHOOK_BACKLOG_YIELD {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                    r = shutdown.changed() => if r.is_err() { break },
                }
            }
            let room = (permits.available_permits() as u64).min(self.batch);
            if room == 0 {
                // Every place is taken: wait for one to free up.
                tokio::select! {
                    _ = tasks.join_next() => {}
                    r = shutdown.changed() => if r.is_err() { break },
                }
                continue;
            }
            let now = self.clock.now();
            let claimed = match self.queue.claim(&self.instance_id, now, now + self.claim_for, room).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %application::Chain(&e), "claiming turns failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let full = claimed.len() as u64 >= room;
            for turn in claimed {
                let Ok(permit) = permits.clone().try_acquire_owned() else { break };
                let me = self.clone();
                tasks.spawn(async move {
                    let _permit = permit;
                    let (shop, id) = application::turns::answer_turn::key(&turn);
                    let due = turn.snapshot().due_at;
                    match me.answer.run(shop, id).await {
                        Ok(Some(Recorded::Done { outcome, .. })) => {
                            me.metrics.turns.with_label_values(&[outcome.as_str()]).inc();
                            let lag = (me.clock.now() - due).num_microseconds().unwrap_or(0).max(0) as f64 / 1e6;
                            me.metrics.turn_lag_seconds.observe(lag);
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(turn = %id, error = %application::Chain(&e), "a turn could not be answered; it is claimed again later"),
                    }
                });
            }
            if !full {
                tokio::select! {
                    _ = tokio::time::sleep(self.idle) => {}
                    r = shutdown.changed() => if r.is_err() { break },
                }
            }
        }
        while tasks.join_next().await.is_some() {}
        tracing::info!("turn worker stopped");
    }
}

/// The turn worker, wired from the service's adapters: the chain this service ships (greeting,
/// automated responses, away message; the automation and AI contexts join it when they arrive).
pub fn wire(a: &crate::adapters::Adapters) -> Arc<TurnWorker> {
    use application::messaging::send_message::SendMessageHandler;
    use application::turns::answer_turn::{PrepareTurnHandler, RecordTurnAnswerHandler};
    use application::turns::responders::default_chain;
    Arc::new(TurnWorker {
        answer: Arc::new(AnswerTurnService {
            pipeline: a.pipeline.clone(),
            prepare: PrepareTurnHandler { clock: a.clock.clone(), rules: a.rule_cache.clone() },
            record: RecordTurnAnswerHandler { clock: a.clock.clone(), send: SendMessageHandler { clock: a.clock.clone() } },
            chain: default_chain(),
        }),
        queue: Arc::new(infrastructure::persistence::turns::queue::SeaTurnQueue::new(a.db.clone())),
        clock: a.clock.clone(),
        metrics: a.metrics.clone(),
        instance_id: a.instance_id.clone(),
        batch: 64,
        concurrency: if a.db.is_sqlite() { 1 } else { 32 },
        claim_for: chrono::Duration::seconds(30),
        idle: Duration::from_millis(50),
    })
}
