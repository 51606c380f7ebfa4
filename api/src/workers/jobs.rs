//! Periodic jobs (seed 002's background jobs). Each runs once per tick across all replicas: the
//! lease lasts one tick, so whichever replica takes it runs the job and the others skip it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use application::accounts::ports::AccountReads;
use application::messaging::count_stuck_messages::{CountStuckHandler, CountStuckMessages};
use application::messaging::expire_conversations::{ExpireConversations, ExpireConversationsHandler};
use application::messaging::prune_idempotency_keys::{PruneIdempotencyKeys, PruneIdempotencyKeysHandler};
use application::shared::leases::Leases;
use application::shared::ports::Clock;
use application::templates::sync_templates::SyncTemplatesService;
use application::{Pipeline, RequestContext};

use crate::metrics::Metrics;

/// What the jobs need, built once at start-up.
pub struct Jobs {
    pub pipeline: Pipeline,
    pub expire: ExpireConversationsHandler,
    pub count_stuck: CountStuckHandler,
    pub sync_templates: Arc<SyncTemplatesService>,
    pub media_retention: Arc<application::media::apply_retention::ApplyRetentionService>,
    pub raw_retention: Arc<application::privacy::prune_raw_copies::PruneRawCopies>,
    pub prune_keys: PruneIdempotencyKeysHandler,
    pub accounts: Arc<dyn AccountReads>,
    pub leases: Arc<dyn Leases>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    pub instance_id: String,
}

#[derive(Clone, Copy)]
pub enum Job {
    /// ConversationExpiryJob: every 60 s, close expired windows.
    ConversationExpiry,
    /// MessageStatusSyncJob: every 5 min, count outbound messages without a final status.
    MessageStatusSync,
    /// TemplateReconciliationJob: every hour (the first an hour after start), Meta's template
    /// lists for every shop's WABAs, so that a missed webhook or a template made in Meta's tools
    /// is caught.
    TemplateReconciliation,
    /// Every hour: each shop's files older than its retention policy are removed.
    MediaRetention,
    /// Every hour: processed webhook bodies and published event envelopes older than
    /// `RAW_RETENTION_HOURS` are deleted (ADR 11).
    RawRetention,
    /// Every hour: sends' idempotency keys older than 24 hours are forgotten.
    IdempotencyKeys,
}

impl Job {
    fn name(self) -> &'static str {
        match self {
            Job::ConversationExpiry => "conversation-expiry",
            Job::MessageStatusSync => "message-status-sync",
            Job::TemplateReconciliation => "template-reconciliation",
            Job::MediaRetention => "media-retention",
            Job::RawRetention => "raw-retention",
            Job::IdempotencyKeys => "idempotency-keys",
        }
    }
    fn every(self) -> Duration {
        match self {
            Job::ConversationExpiry => Duration::from_secs(60),
            Job::MessageStatusSync => Duration::from_secs(300),
            Job::TemplateReconciliation | Job::MediaRetention | Job::RawRetention | Job::IdempotencyKeys => Duration::from_secs(3600),
        }
    }
}

impl Jobs {
    pub async fn run(self: Arc<Self>, job: Job, mut shutdown: watch::Receiver<bool>) {
        let (name, every) = (job.name(), job.every());
        // Template reconciliation waits one interval: at start the webhooks and a shop's own
        // `POST /templates/sync` are enough, and replicas starting together would all ask Meta.
        let first = match job {
            Job::TemplateReconciliation => tokio::time::Instant::now() + every,
            _ => tokio::time::Instant::now(),
        };
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
            let outcome = match job {
                Job::ConversationExpiry => self.expire_conversations().await,
                Job::MessageStatusSync => self.flag_stuck_messages().await,
                Job::TemplateReconciliation => self.reconcile_templates().await,
                Job::MediaRetention => self.apply_media_retention().await,
                Job::RawRetention => self.prune_raw_copies().await,
                Job::IdempotencyKeys => self.prune_idempotency_keys().await,
            };
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

    async fn expire_conversations(&self) -> Result<String, String> {
        let cmd = ExpireConversations { now: self.clock.now(), limit: 1000 };
        let out = self
            .pipeline
            .execute(&RequestContext::system("job"), &self.expire, cmd)
            .await
            .map_err(|e| application::Chain(&e).to_string())?;
        Ok(format!("examined {}, expired {}", out.examined, out.expired))
    }

    /// Every shop in turn; one shop's failure (a revoked token) does not stop the others.
    pub async fn reconcile_templates(&self) -> Result<String, String> {
        let shops = self.accounts.shops_with_numbers().await.map_err(|e| application::Chain(&e).to_string())?;
        let (mut synced, mut failed, mut changed) = (0, 0, 0);
        for shop in &shops {
            match self.sync_templates.run(&RequestContext::system("job"), *shop).await {
                Ok(o) => {
                    synced += 1;
                    changed += o.created + o.updated;
                }
                Err(e) => {
                    failed += 1;
                    tracing::warn!(%shop, error = %application::Chain(&e), "template reconciliation failed for a shop");
                }
            }
        }
        Ok(format!("{synced} shops synced, {failed} failed, {changed} templates new or changed"))
    }

    /// Each shop's files past its retention policy.
    pub async fn apply_media_retention(&self) -> Result<String, String> {
        let n = self.media_retention.run(&RequestContext::system("job")).await.map_err(|e| application::Chain(&e).to_string())?;
        Ok(format!("{n} files removed"))
    }

    /// Raw copies past their retention.
    pub async fn prune_raw_copies(&self) -> Result<String, String> {
        let p = self.raw_retention.run().await.map_err(|e| application::Chain(&e).to_string())?;
        Ok(format!("{} webhook deliveries and {} published events removed", p.deliveries, p.events))
    }

    /// Sends' idempotency keys past their 24 hours, a batch per transaction.
    pub async fn prune_idempotency_keys(&self) -> Result<String, String> {
        let mut total = 0;
        loop {
            let cmd = PruneIdempotencyKeys { batch: 5_000 };
            let n = self
                .pipeline
                .execute(&RequestContext::system("job"), &self.prune_keys, cmd)
                .await
                .map_err(|e| application::Chain(&e).to_string())?;
            total += n;
            if n < 5_000 {
                return Ok(format!("{total} idempotency keys forgotten"));
            }
        }
    }

    async fn flag_stuck_messages(&self) -> Result<String, String> {
        let q = CountStuckMessages { now: self.clock.now() };
        let n = self
            .pipeline
            .query(&RequestContext::system("job"), &self.count_stuck, q)
            .await
            .map_err(|e| application::Chain(&e).to_string())?;
        self.metrics.messages_stuck.set(n as i64);
        if n > 0 {
            tracing::warn!(count = n, "outbound messages without a final status for over 24 h");
        }
        Ok(format!("{n} stuck"))
    }
}
