//! Periodic jobs (seed 002's background jobs). Each context contributes its own
//! ([`PeriodicJob`], in this folder's file of that context); each runs once per tick across all
//! replicas: the lease lasts one tick, so whichever replica takes it runs the job and the others
//! skip it. Adding a job adds a struct in its context's file and one entry in its `jobs()`.

pub mod inbox;
pub mod media;
pub mod messaging;
pub mod privacy;
pub mod templates;
pub mod turns;
pub mod webhook_subscriptions;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use application::shared::leases::Leases;
use application::shared::ports::Clock;

use crate::adapters::Adapters;
use crate::metrics::Metrics;

/// One periodic job.
#[async_trait]
pub trait PeriodicJob: Send + Sync {
    /// Its lease's name and its metrics' label (`conversation-expiry`).
    fn name(&self) -> &'static str;
    fn every(&self) -> Duration;
    /// Wait one interval before the first run (default: run at start).
    fn waits_first(&self) -> bool {
        false
    }
    /// Run once; the summary is logged.
    async fn run(&self) -> Result<String, String>;
}

/// Every context's jobs, wired from the service's adapters.
pub fn wire(a: &Adapters) -> Vec<Arc<dyn PeriodicJob>> {
    [
        messaging::jobs(a),
        templates::jobs(a),
        media::jobs(a),
        privacy::jobs(a),
        turns::jobs(a),
        inbox::jobs(a),
        webhook_subscriptions::jobs(a),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The jobs and what runs them.
pub struct Jobs {
    pub jobs: Vec<Arc<dyn PeriodicJob>>,
    pub leases: Arc<dyn Leases>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    pub instance_id: String,
}

impl Jobs {
    /// Run a job now, outside its schedule (operators, tests).
    pub async fn run_now(&self, name: &str) -> Result<String, String> {
        match self.jobs.iter().find(|j| j.name() == name) {
            Some(j) => j.run().await,
            None => Err(format!("no job named {name}")),
        }
    }

    pub fn spawn(self: Arc<Self>, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        self.jobs.iter().map(|j| tokio::spawn(self.clone().run(j.clone(), shutdown.clone()))).collect()
    }

    async fn run(self: Arc<Self>, job: Arc<dyn PeriodicJob>, mut shutdown: watch::Receiver<bool>) {
        let (name, every) = (job.name(), job.every());
        let first = if job.waits_first() { tokio::time::Instant::now() + every } else { tokio::time::Instant::now() };
        let mut tick = tokio::time::interval_at(first, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! { _ = tick.tick() => {}, _ = shutdown.changed() => break }
            let now = self.clock.now();
            match self.leases.acquire(name, &self.instance_id, every.saturating_sub(Duration::from_secs(1)), now).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(job = name, error = %application::Chain(&e), "cannot take the job lease");
                    continue;
                }
            }
            let outcome = job.run().await;
            let label = if outcome.is_ok() { "ok" } else { "error" };
            self.metrics.job_runs.with_label_values(&[name, label]).inc();
            self.metrics.job_last_run.with_label_values(&[name]).set(now.timestamp() as f64);
            let _ = self.leases.ran(name, now).await;
            match outcome {
                Ok(summary) => tracing::info!(job = name, %summary, "job ran"),
                Err(e) => tracing::error!(job = name, error = %e, "job failed"),
            }
        }
    }
}

/// A use case's error, as a job's failure.
pub(crate) fn failed(e: &(dyn std::error::Error + 'static)) -> String {
    application::Chain(e).to_string()
}
