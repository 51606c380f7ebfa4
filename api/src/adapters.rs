//! The service's adapters, built once in `startup.rs` and shared by every context's wiring
//! (`http::<context>::wire`): the database and the pipeline, the read ports, Meta's client, the
//! media store, the process-wide budgets. A context takes what it needs from here; adding an
//! adapter adds a field.

use std::sync::Arc;

use tokio::sync::Notify;

use application::Pipeline;
use application::accounts::ports::{AccountReads, NumberCredentials};
use application::billing::ports::RateCardReads;
use application::customers::ports::CustomerReads;
use application::inbound::ports::WebhookInbox;
use application::media::memory::FileMemory;
use application::media::ports::{MediaApi, MediaReads, MediaStore};
use application::messaging::ports::MessagingReads;
use application::shared::leases::Leases;
use application::shared::outbox::{EventPublisher, OutboxRelayStore};
use application::shared::personal_data::PersonalData;
use application::shared::ports::{Clock, RateLimiter, SecretCipher};
use application::templates::ports::{TemplateApi, TemplateReads};
use application::templates::sync_templates::SyncTemplatesService;
use application::tenancy::ports::TenancyReads;
use infrastructure::config::Config;
use infrastructure::meta::CloudApiClient;
use infrastructure::persistence::Db;

use crate::metrics::Metrics;
use crate::workers::outcomes::OutcomeWaiters;

pub struct Adapters {
    pub config: Config,
    /// This replica runs the workers (sends wait for their outcome).
    pub workers: bool,
    pub db: Db,
    pub pipeline: Pipeline,
    pub clock: Arc<dyn Clock>,
    pub cipher: Arc<dyn SecretCipher>,
    pub metrics: Metrics,
    pub tenancy_reads: Arc<dyn TenancyReads>,
    pub account_reads: Arc<dyn AccountReads>,
    pub credentials: Arc<dyn NumberCredentials>,
    pub customer_reads: Arc<dyn CustomerReads>,
    pub messaging_reads: Arc<dyn MessagingReads>,
    pub template_reads: Arc<dyn TemplateReads>,
    pub rate_card_reads: Arc<dyn RateCardReads>,
    pub media_reads: Arc<dyn MediaReads>,
    pub media_store: Arc<dyn MediaStore>,
    /// One budget of file bytes in memory for the whole process.
    pub file_memory: FileMemory,
    /// Meta's Graph API (each context sees it through its own port).
    pub cloud: Arc<CloudApiClient>,
    pub template_api: Arc<dyn TemplateApi>,
    pub media_api: Arc<dyn MediaApi>,
    /// Shared by template sends (a name the service does not know) and the hourly job.
    pub sync_templates: Arc<SyncTemplatesService>,
    /// Where a request that queued a send waits for its outcome.
    pub outcomes: Arc<OutcomeWaiters>,
    /// Every context's share of a customer's personal data, in lock order.
    pub personal_data: Vec<Arc<dyn PersonalData>>,
    pub inbox: Arc<dyn WebhookInbox>,
    /// Woken by the webhook endpoint as soon as a delivery is stored.
    pub webhook_stored: Arc<Notify>,
    /// Woken by the webhook worker when it announced customers' files.
    pub media_wake: Arc<Notify>,
    /// Meta's Graph API base (the sandbox's in sandbox mode).
    pub graph_base: String,
    pub leases: Arc<dyn Leases>,
    /// This process's name as a lease holder.
    pub instance_id: String,
    /// Per number and recipient pacing, and the shops' API rate limits (Redis-shared when set).
    pub limiter: Arc<dyn RateLimiter>,
    pub relay_store: Arc<dyn OutboxRelayStore>,
    pub publisher: Arc<dyn EventPublisher>,
    pub turn_reads: Arc<dyn application::turns::ports::TurnReads>,
    pub hook_reads: Arc<dyn application::webhook_subscriptions::ports::HookReads>,
    /// The team's read side (members with their load, departments).
    pub team_reads: Arc<dyn application::team::ports::TeamReads>,
    /// The inbox's read side (notes).
    pub inbox_reads: Arc<dyn application::inbox::ports::InboxReads>,
    /// Indexes what was stored before the search existed.
    pub search_backfill: Arc<dyn application::inbox::ports::SearchBackfill>,
    /// Posts merchant webhooks (signed; forbidden addresses refused at connect time).
    pub hook_sender: Arc<dyn application::webhook_subscriptions::ports::HookSender>,
    /// Woken when merchant webhook deliveries were queued.
    pub hooks_wake: Arc<Notify>,
    /// The shops' automated responses, compiled, shared by the turn worker and the routes that
    /// change them.
    pub rule_cache: Arc<application::turns::rule_cache::RuleCache>,
    /// This replica's view of the outbox for `GET /api/v1/stream` (fed by `workers::live`).
    pub live: Arc<application::inbox::live::LiveFeed>,
}
