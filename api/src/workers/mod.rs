//! Background workers. Each takes its own dependency struct, built once at start-up by the
//! composition root ([`crate::startup`]); none reaches back into the HTTP side.
//!
//! | worker | what | replicas |
//! | --- | --- | --- |
//! | [`webhooks::WebhookWorker`] | stored deliveries → `ProcessWebhooks` | every replica (claims skip each other's rows) |
//! | [`dispatcher::Dispatcher`] | the durable queue → Cloud API, paced | every replica (claims are conditional updates) |
//! | [`outbox_relay::OutboxRelay`] | outbox → RabbitMQ or in-process | one at a time (lease) |
//! | [`media::MediaWorker`] | customers' files → fetched from Meta into the media store | every replica (claims skip each other's rows) |
//! | [`jobs::Jobs`] | each context's [`jobs::PeriodicJob`]s (`jobs/<context>.rs`) | once per tick (lease) |
//! | [`turns::TurnWorker`] | customers' due turns → the responder chain | every replica (claims skip each other's rows) |
//! | [`hooks::HookWorker`] | merchant webhook deliveries → the merchants' URLs, signed, retried | every replica (claims skip each other's rows) |
//! | [`subscriptions::Subscriptions`] | the outbox's durable consumers ([`event_metrics`]: conversation durations) | one per consumer at a time (lease) |

pub mod background;
pub mod dispatcher;
pub mod event_metrics;
pub mod hooks;
pub mod jobs;
pub mod live;
pub mod media;
pub mod outbox_relay;
pub mod outcomes;
pub mod subscriptions;
pub mod turns;
pub mod webhooks;

use std::sync::Arc;

use tokio::sync::watch;

/// Every worker of a replica that runs them.
pub struct Workers {
    pub webhooks: Arc<webhooks::WebhookWorker>,
    pub dispatcher: Arc<dispatcher::Dispatcher>,
    pub relay: Arc<outbox_relay::OutboxRelay>,
    pub jobs: Arc<jobs::Jobs>,
    pub media: Arc<media::MediaWorker>,
    /// The outbox's durable consumers.
    pub subscriptions: Arc<subscriptions::Subscriptions>,
    pub turns: Arc<turns::TurnWorker>,
    pub hooks: Arc<hooks::HookWorker>,
}

/// Every worker of this replica, wired from the service's adapters (each worker's own `wire`),
/// with the consumers' cursors made before the service takes requests.
pub async fn wire(a: &crate::adapters::Adapters, jobs: Arc<jobs::Jobs>) -> anyhow::Result<Workers> {
    let subscriptions = subscriptions::wire(a);
    subscriptions.register().await?;
    Ok(Workers {
        webhooks: webhooks::wire(a),
        media: media::wire(a)?,
        dispatcher: dispatcher::wire(a),
        relay: outbox_relay::wire(a),
        jobs,
        subscriptions,
        turns: turns::wire(a),
        hooks: hooks::wire(a),
    })
}

impl Workers {
    pub fn spawn(self, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut handles = dispatcher::spawn(self.dispatcher, shutdown.clone());
        handles.extend(self.subscriptions.spawn(shutdown.clone()));
        // Several webhook loops: a batch spends most of its time waiting for the database, so
        // a few in flight keep both busy. Each claims its own deliveries.
        for _ in 0..self.webhooks.loops {
            handles.push(tokio::spawn(self.webhooks.clone().run(shutdown.clone())));
        }
        handles.extend([
            tokio::spawn(self.relay.run(shutdown.clone())),
            tokio::spawn(self.media.run(shutdown.clone())),
            tokio::spawn(self.turns.run(shutdown.clone())),
            tokio::spawn(self.hooks.clone().run(shutdown.clone())),
        ]);
        for _ in 1..self.hooks.loops {
            handles.push(tokio::spawn(self.hooks.clone().run(shutdown.clone())));
        }
        handles.extend(self.jobs.spawn(shutdown));
        handles
    }
}
