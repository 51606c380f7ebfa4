//! The outbox's consumers (`application::shared::subscription`): each runs on whichever replica
//! holds its lease (`consumer:<name>`), reads what it has not handled, and reports its lag.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use application::shared::leases::Leases;
use application::shared::ports::Clock;
use application::shared::subscription::{EventConsumer, SubscriptionStore, pass};

use crate::metrics::Metrics;

pub struct Subscriptions {
    pub store: Arc<dyn SubscriptionStore>,
    pub consumers: Vec<Arc<dyn EventConsumer>>,
    pub leases: Arc<dyn Leases>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    pub instance_id: String,
    pub batch: u64,
    /// How long a consumer with nothing to read waits before reading again.
    pub idle: Duration,
}

impl Subscriptions {
    /// Make each consumer's cursor before the service takes requests: a consumer seen for the
    /// first time starts at the outbox's end, and no event of this start may come before it.
    pub async fn register(&self) -> application::RepoResult<()> {
        for c in &self.consumers {
            self.store.cursor(c.name()).await?;
        }
        Ok(())
    }

    pub fn spawn(self: Arc<Self>, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        self.consumers.iter().map(|c| tokio::spawn(self.clone().run(c.clone(), shutdown.clone()))).collect()
    }

    async fn run(self: Arc<Self>, consumer: Arc<dyn EventConsumer>, mut shutdown: watch::Receiver<bool>) {
        let lease = format!("consumer:{}", consumer.name());
        loop {
            let wait = match self.leases.acquire(&lease, &self.instance_id, Duration::from_secs(15), self.clock.now()).await {
                Ok(false) => Duration::from_secs(2),
                Err(e) => {
                    tracing::warn!(consumer = consumer.name(), error = %application::Chain(&e), "cannot take the consumer's lease");
                    Duration::from_secs(1)
                }
                Ok(true) => match pass(self.store.as_ref(), consumer.as_ref(), self.clock.now(), self.batch).await {
                    Ok(p) => {
                        if let Ok(head) = self.store.head().await {
                            self.metrics.consumer_lag.with_label_values(&[consumer.name()]).set((head - p.watermark).max(0));
                        }
                        if p.read as u64 >= self.batch { Duration::ZERO } else { self.idle }
                    }
                    Err(e) => {
                        tracing::warn!(consumer = consumer.name(), error = %application::Chain(&e), "an outbox consumer's pass failed; it runs again");
                        Duration::from_secs(1)
                    }
                },
            };
            tokio::select! { _ = tokio::time::sleep(wait) => {}, _ = shutdown.changed() => break }
        }
        // A graceful stop gives the lease up, so another replica (or this one restarted) takes
        // the consumer over at once instead of after the lease's 15 s.
        if let Err(e) = self.leases.release(&lease, &self.instance_id).await {
            tracing::warn!(consumer = consumer.name(), error = %application::Chain(&e), "could not give the consumer's lease up");
        }
    }
}

/// The outbox's consumers, wired from the service's adapters. A context that follows events adds
/// its consumer here.
pub fn wire(a: &crate::adapters::Adapters) -> Arc<Subscriptions> {
    Arc::new(Subscriptions {
        store: Arc::new(infrastructure::persistence::outbox::subscriptions::SeaSubscriptionStore::new(a.db.clone())),
        consumers: vec![
            Arc::new(super::event_metrics::ConversationDurations { metrics: a.metrics.clone() }),
            Arc::new(application::turns::people_answers::PeopleAnswers {
                pipeline: a.pipeline.clone(),
                handler: application::turns::record_people_answers::RecordPeopleAnswersHandler { clock: a.clock.clone() },
            }),
            Arc::new(application::webhook_subscriptions::fan_out::MerchantWebhooks {
                pipeline: a.pipeline.clone(),
                handler: application::webhook_subscriptions::fan_out::FanOutEventsHandler { clock: a.clock.clone() },
                wake: a.hooks_wake.clone(),
            }),
            Arc::new(application::inbox::agent_stats_consumer::AgentStatsProjection {
                pipeline: a.pipeline.clone(),
                handler: application::inbox::record_handlings::RecordHandlingsHandler,
            }),
        ],
        leases: a.leases.clone(),
        clock: a.clock.clone(),
        metrics: a.metrics.clone(),
        instance_id: a.instance_id.clone(),
        batch: 500,
        idle: Duration::from_millis(200),
    })
}
