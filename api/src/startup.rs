//! The composition root: every adapter is created here, once, and handed to the context handles
//! of the HTTP side and to the workers' dependency structs.

use std::sync::Arc;
use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Response, Route, Server, get};
use tokio::sync::{Notify, watch};

use application::accounts::connect_account::{ConnectAccountError, ConnectAccountHandler, ConnectWhatsAppAccount};
use application::accounts::credentials::StoredCredentials;
use application::accounts::ports::{AccountReads, AccountsUnitOfWork, NumberCredentials};
use application::billing::ports::RateCardReads;
use application::customers::personal_data::CustomerProfiles;
use application::customers::ports::CustomerReads;
use application::inbound::ports::WebhookInbox;
use application::media::memory::FileMemory;
use application::media::personal_data::CustomerFiles;
use application::media::ports::{MediaApi, MediaReads, MediaStore};
use application::messaging::personal_data::Conversations;
use application::messaging::ports::MessagingReads;
use application::shared::leases::Leases;
use application::shared::outbox::{EventPublisher, OutboxRelayStore};
use application::shared::personal_data::PersonalData;
use application::shared::ports::RateLimiter;
use application::shared::ports::{Clock, SecretCipher, SystemClock};
use application::shared::unit_of_work::UnitOfWorkFactory;
use application::templates::ports::{TemplateApi, TemplateReads};
use application::templates::sync_templates::{RecordTemplatePageHandler, SyncTemplatesService};
use application::tenancy::authenticate::AuthenticateHandler;
use application::tenancy::create_shop::{CreateShop, CreateShopHandler};
use application::tenancy::ports::TenancyReads;
use application::{Pipeline, RequestContext};
use infrastructure::config::{Config, DEFAULT_GRAPH_BASE, redact_url};
use infrastructure::crypto::AesGcmCipher;
use infrastructure::limiter::{LocalLimiter, RedisLimiter, RedisPing};
use infrastructure::media_store::ObjectMediaStore;
use infrastructure::meta::CloudApiClient;
use infrastructure::persistence::Db;
use infrastructure::persistence::accounts::reads::SeaAccountReads;
use infrastructure::persistence::billing::reads::SeaRateCardReads;
use infrastructure::persistence::customers::reads::SeaCustomerReads;
use infrastructure::persistence::inbound::group_commit::{GroupCommitInbox, GroupObserver};
use infrastructure::persistence::inbound::inbox::SeaWebhookInbox;
use infrastructure::persistence::leases::SeaLeases;
use infrastructure::persistence::media::reads::SeaMediaReads;
use infrastructure::persistence::messaging::reads::SeaMessagingReads;
use infrastructure::persistence::outbox::relay_store::SeaOutboxRelayStore;
use infrastructure::persistence::templates::reads::SeaTemplateReads;
use infrastructure::persistence::tenancy::reads::SeaTenancyReads;
use infrastructure::persistence::unit_of_work::SeaUnitOfWorkFactory;
use infrastructure::publisher::{InProcessBus, RabbitPublisher};

use crate::adapters::Adapters;
use crate::http::auth::Authenticator;
use crate::http::guard::BodyLimits;
use crate::http::listener::GuardedAcceptor;
use crate::http::ops::OpsHttp;
use crate::http::rate_limit::ApiRateLimits;
use crate::http::{self, error};
use crate::metrics::Metrics;
use crate::sandbox::{self, Sandbox};
use crate::workers::jobs::Jobs;
use crate::workers::outcomes::OutcomeWaiters;

pub use crate::http::openapi_json;

#[derive(Debug, Clone)]
pub struct Options {
    pub workers: bool,
    pub migrate: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { workers: true, migrate: true }
    }
}

/// What operators and tests reach into a running application for.
pub struct Parts {
    pub db: Db,
    pub pipeline: Pipeline,
    pub clock: Arc<dyn Clock>,
    pub cipher: Arc<dyn SecretCipher>,
    /// In-process subscribers of every published event.
    pub bus: InProcessBus,
    pub leases: Arc<dyn Leases>,
    pub jobs: Arc<Jobs>,
    pub metrics: Metrics,
    /// Every context's share of a customer's personal data (what an erasure runs).
    pub personal_data: Vec<Arc<dyn PersonalData>>,
    /// The names of the outbox's durable consumers (published events wait for every one).
    pub consumers: Vec<&'static str>,
}

pub struct Application {
    pub addr: std::net::SocketAddr,
    pub parts: Arc<Parts>,
    acceptor: GuardedAcceptor<poem::listener::TcpAcceptor>,
    idle_timeout: Duration,
    /// `/metrics` on its own listener (`METRICS_BIND_ADDR`).
    metrics_listener: Option<(poem::listener::TcpAcceptor, Arc<OpsHttp>)>,
    pub metrics_addr: Option<std::net::SocketAddr>,
    routes: poem::endpoint::BoxEndpoint<'static, Response>,
    shutdown_tx: watch::Sender<bool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    pub async fn build(config: Config, options: Options) -> anyhow::Result<Self> {
        let db = Db::connect(&config.database_url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL ({}): {e}", redact_url(&config.database_url)))?;
        if options.migrate {
            db.migrate().await.map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
        }
        let acceptor = TcpListener::bind(config.bind_addr.to_string()).into_acceptor().await?;
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .ok_or_else(|| anyhow::anyhow!("listener has no address"))?;

        let sandbox = config.sandbox.then(|| {
            let s = Arc::new(Sandbox::new(config.meta_app_secret.expose(), config.sandbox_status_delay));
            s.set_webhook_url(format!("http://{addr}/webhooks/whatsapp"));
            s
        });
        let graph_base = match (&config.whatsapp_api_base_url, config.sandbox) {
            (Some(u), _) => u.clone(),
            (None, true) => format!("http://{addr}/sandbox/graph"),
            (None, false) => DEFAULT_GRAPH_BASE.to_owned(),
        };

        // ---- adapters
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let cipher: Arc<dyn SecretCipher> = Arc::new(AesGcmCipher::new(&config.encryption_key));
        let uow: Arc<dyn UnitOfWorkFactory> =
            Arc::new(SeaUnitOfWorkFactory::new(db.clone(), infrastructure::crypto::Pseudonymizer::new(&config.encryption_key)));
        let pipeline = Pipeline::new(uow.clone());
        let tenancy_reads: Arc<dyn TenancyReads> = Arc::new(SeaTenancyReads::new(db.clone()));
        let account_reads: Arc<dyn AccountReads> = Arc::new(SeaAccountReads::new(db.clone()));
        let credentials: Arc<dyn NumberCredentials> =
            Arc::new(StoredCredentials { accounts: account_reads.clone(), cipher: cipher.clone() });
        let customer_reads: Arc<dyn CustomerReads> = Arc::new(SeaCustomerReads::new(db.clone()));
        let messaging_reads: Arc<dyn MessagingReads> = Arc::new(SeaMessagingReads::new(db.clone()));
        let sea_inbox = SeaWebhookInbox::new(db.clone());
        let leases: Arc<dyn Leases> = Arc::new(SeaLeases::new(db.clone()));
        let relay_store: Arc<dyn OutboxRelayStore> = Arc::new(SeaOutboxRelayStore::new(db.clone()));
        let cloud =
            Arc::new(CloudApiClient::new(&graph_base, &config.whatsapp_api_version, config.cloud_api_timeout, config.cloud_api_retry_base));
        let media_store: Arc<dyn MediaStore> =
            Arc::new(ObjectMediaStore::open(&config.media_store_url).map_err(|e| anyhow::anyhow!("{e}"))?);
        let media_reads: Arc<dyn MediaReads> = Arc::new(SeaMediaReads::new(db.clone()));
        // One budget of file bytes in memory for the whole process: uploads, re-uploads, fetches.
        let file_memory = FileMemory::new(config.media_memory_bytes);
        let media_api: Arc<dyn MediaApi> = cloud.clone();
        let rate_card_reads: Arc<dyn RateCardReads> = Arc::new(SeaRateCardReads::new(db.clone()));
        let limiter: Arc<dyn RateLimiter> = match &config.redis_url {
            Some(url) => Arc::new(RedisLimiter::connect(url).await.map_err(|e| anyhow::anyhow!("REDIS_URL: cannot connect: {e}"))?),
            None => Arc::new(LocalLimiter::new()),
        };
        let redis_ping = config.redis_url.as_deref().map(RedisPing::new).transpose().map_err(|e| anyhow::anyhow!("REDIS_URL: {e}"))?;
        let bus = InProcessBus::new(4096);
        let publisher: Arc<dyn EventPublisher> = match &config.amqp_url {
            Some(url) => {
                let p = RabbitPublisher::new(url, bus.clone());
                if options.workers {
                    p.warm_up().await;
                }
                Arc::new(p)
            }
            None => Arc::new(bus.clone()),
        };
        let metrics = Metrics::new();
        metrics.watch_file_memory(file_memory.clone());
        metrics.watch_pipeline(pipeline.clone());
        // Group commit on the webhook path (ADR 10): several groups in flight on Postgres; one
        // writer on SQLite.
        let inbox: Arc<dyn WebhookInbox> = {
            let m = metrics.clone();
            let observe: GroupObserver = Arc::new(move |size, took| {
                m.webhook_group_size.observe(size as f64);
                m.webhook_commit_seconds.observe(took.as_secs_f64());
            });
            Arc::new(GroupCommitInbox::start(sea_inbox, if db.is_sqlite() { 1 } else { 4 }, 256, observe))
        };
        let instance_id = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let outcomes = Arc::new(OutcomeWaiters::default());
        let webhook_stored = Arc::new(Notify::new());

        // ---- the HTTP side: one handle per context
        let authenticator = Arc::new(Authenticator {
            pipeline: pipeline.clone(),
            authenticate: AuthenticateHandler { reads: tenancy_reads.clone() },
            admin_key: config.admin_api_key.clone(),
        });
        let template_api: Arc<dyn TemplateApi> = cloud.clone();
        let template_reads: Arc<dyn TemplateReads> = Arc::new(SeaTemplateReads::new(db.clone()));
        let sync_templates = Arc::new(SyncTemplatesService {
            pipeline: pipeline.clone(),
            accounts: account_reads.clone(),
            credentials: credentials.clone(),
            api: template_api.clone(),
            record: RecordTemplatePageHandler { clock: clock.clone() },
        });
        // Every context's share of a customer's personal data, in the house's lock order
        // (customers, then conversations and messages, then files): what an erasure runs and an
        // export asks. A new context with personal data adds its own here.
        let turn_reads: Arc<dyn application::turns::ports::TurnReads> =
            Arc::new(infrastructure::persistence::turns::reads::SeaTurnReads::new(db.clone()));
        let inbox_reads: Arc<dyn application::inbox::ports::InboxReads> =
            Arc::new(infrastructure::persistence::inbox::reads::SeaInboxReads::new(db.clone()));
        let personal_data: Vec<Arc<dyn PersonalData>> = vec![
            Arc::new(CustomerProfiles),
            Arc::new(application::turns::personal_data::Turns { reads: turn_reads.clone() }),
            Arc::new(Conversations),
            Arc::new(CustomerFiles { reads: media_reads.clone() }),
            Arc::new(application::webhook_subscriptions::personal_data::HookDeliveries),
            Arc::new(application::inbox::personal_data::Notes { reads: inbox_reads.clone() }),
        ];
        let a = Adapters {
            config: config.clone(),
            workers: options.workers,
            db: db.clone(),
            pipeline: pipeline.clone(),
            clock: clock.clone(),
            cipher: cipher.clone(),
            metrics: metrics.clone(),
            tenancy_reads: tenancy_reads.clone(),
            account_reads: account_reads.clone(),
            credentials: credentials.clone(),
            customer_reads: customer_reads.clone(),
            messaging_reads: messaging_reads.clone(),
            template_reads,
            rate_card_reads: rate_card_reads.clone(),
            media_reads: media_reads.clone(),
            media_store: media_store.clone(),
            file_memory: file_memory.clone(),
            cloud: cloud.clone(),
            template_api,
            media_api: media_api.clone(),
            sync_templates: sync_templates.clone(),
            outcomes: outcomes.clone(),
            personal_data: personal_data.clone(),
            inbox: inbox.clone(),
            webhook_stored: webhook_stored.clone(),
            media_wake: Arc::new(Notify::new()),
            graph_base: graph_base.clone(),
            leases: leases.clone(),
            instance_id: instance_id.clone(),
            limiter: limiter.clone(),
            relay_store: relay_store.clone(),
            publisher: publisher.clone(),
            turn_reads: turn_reads.clone(),
            hook_reads: Arc::new(infrastructure::persistence::webhook_subscriptions::reads::SeaHookReads::new(db.clone())),
            team_reads: Arc::new(infrastructure::persistence::team::reads::SeaTeamReads::new(db.clone())),
            inbox_reads: inbox_reads.clone(),
            search_backfill: Arc::new(infrastructure::persistence::inbox::backfill::SqlSearchBackfill { db: db.clone() }),
            hook_sender: Arc::new(infrastructure::hooks::HookClient::new(config.webhook_delivery_timeout, config.sandbox)),
            hooks_wake: Arc::new(Notify::new()),
            rule_cache: Arc::default(),
            live: Arc::new(application::inbox::live::LiveFeed::new(Arc::new(
                infrastructure::persistence::outbox::subscriptions::SeaSubscriptionStore::new(db.clone()),
            ))),
        };
        // One handle per context, each wired by its own `http::<context>::wire`.
        let tenancy = http::tenancy::wire(&a);
        let accounts = http::accounts::wire(&a);
        let messaging = http::messaging::wire(&a);
        let privacy = http::privacy::wire(&a);
        let customers = http::customers::wire(&a);
        let templates = http::templates::wire(&a);
        let billing = http::billing::wire(&a);
        let media = http::media::wire(&a);
        let webhooks = http::inbound::wire(&a);
        let turns = http::turns::wire(&a);
        let hooks = http::webhook_subscriptions::wire(&a);
        let team = http::team::wire(&a);
        let inbox = http::inbox::wire(&a);
        let ops = Arc::new(OpsHttp {
            db: db.clone(),
            outbox: relay_store.clone(),
            publisher: publisher.clone(),
            broker_configured: config.amqp_url.is_some(),
            redis: redis_ping,
            metrics: metrics.clone(),
            sandbox: config.sandbox,
            media_store: media_store.clone(),
        });

        // ---- the workers: one dependency struct each
        let jobs = Arc::new(Jobs {
            jobs: crate::workers::jobs::wire(&a),
            leases: leases.clone(),
            clock: clock.clone(),
            metrics: metrics.clone(),
            instance_id: instance_id.clone(),
        });
        let parts = Arc::new(Parts {
            db: db.clone(),
            pipeline: pipeline.clone(),
            clock: clock.clone(),
            cipher: cipher.clone(),
            bus: bus.clone(),
            leases: leases.clone(),
            jobs: jobs.clone(),
            metrics: metrics.clone(),
            personal_data: personal_data.clone(),
            consumers: crate::workers::subscriptions::wire(&a).consumers.iter().map(|c| c.name()).collect(),
        });
        bootstrap_accounts(&config, &pipeline, uow.as_ref(), &clock, &cipher).await?;

        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        // Every replica feeds its own stream clients, API-only ones too.
        let live = crate::workers::live::LivePoll {
            feed: a.live.clone(),
            clock: clock.clone(),
            every: Duration::from_millis(250),
            metrics: metrics.clone(),
        };
        let live = tokio::spawn(live.run(shutdown_rx.clone()));
        let mut workers = if options.workers { crate::workers::wire(&a, jobs).await?.spawn(shutdown_rx) } else { Vec::new() };
        workers.push(live);

        let rate_limits = Arc::new(ApiRateLimits {
            shops: limiter,
            per_shop_per_minute: config.rate_limit_per_minute,
            per_key_per_minute: config.rate_limit_per_key_per_minute,
            local: Arc::new(LocalLimiter::new()),
            per_instance_per_minute: config.rate_limit_per_instance_per_minute,
            auth_failures_per_minute: config.auth_failures_per_minute,
            trusted_proxies: config.trusted_proxies.clone(),
        });
        let body_limits = Arc::new(BodyLimits { max_bytes: config.api_max_body_bytes, timeout: config.http_body_timeout });
        // The front door of /api/v1, outermost first: authenticate, rate-limit, then the body.
        let api = http::openapi_service();
        let ui = api.swagger_ui();
        let api = api.around(http::guard::limit_body).around(http::rate_limit::limit).around(http::guard::authenticate);
        let mut route = Route::new()
            .at("/openapi.json", get(http::ops::openapi))
            .nest("/docs", ui)
            .at("/health/live", get(http::ops::live))
            .at("/health/ready", get(http::ops::ready))
            .nest("/console", http::console::routes())
            .at("/webhooks/whatsapp", get(http::inbound::routes::verify).post(http::inbound::routes::receive));
        if let Some(sb) = sandbox {
            route = route.nest("/sandbox", sandbox::routes(sb));
        }
        let (metrics_listener, metrics_addr) = match config.metrics_bind_addr {
            None => {
                route = route.at("/metrics", get(http::ops::metrics));
                (None, None)
            }
            Some(at) => {
                let acceptor = TcpListener::bind(at.to_string()).into_acceptor().await?;
                let addr = acceptor.local_addr().first().and_then(|a| a.as_socket_addr().copied());
                (Some((acceptor, ops.clone())), addr)
            }
        };
        let routes = route
            .nest("/", api)
            .catch_all_error(error::catch_all)
            .around(http::middleware::request_middleware)
            .data(authenticator)
            .data(rate_limits)
            .data(body_limits)
            .data(tenancy)
            .data(accounts)
            .data(messaging)
            .data(customers)
            .data(privacy)
            .data(templates)
            .data(media)
            .data(billing)
            .data(turns)
            .data(hooks)
            .data(team)
            .data(inbox)
            .data(webhooks)
            .data(ops)
            .data(metrics.clone())
            .map_to_response()
            .boxed();

        let acceptor =
            GuardedAcceptor::new(acceptor, config.http_max_connections, config.http_header_timeout, metrics.http_refused.clone());
        Ok(Self {
            addr,
            parts,
            acceptor,
            idle_timeout: config.http_idle_timeout,
            metrics_listener,
            metrics_addr,
            routes,
            shutdown_tx,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Serve until `stop` resolves (or forever), then stop workers and drain requests.
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let Self { acceptor, idle_timeout, metrics_listener, routes, shutdown_tx, workers, .. } = self;
        let metrics_server = metrics_listener.map(|(acceptor, ops)| {
            let app = Route::new().at("/metrics", get(http::ops::metrics)).data(ops);
            tokio::spawn(Server::new_with_acceptor(acceptor).run(app))
        });
        let result = Server::new_with_acceptor(acceptor)
            .idle_timeout(idle_timeout)
            .run_with_graceful_shutdown(routes, stop, Some(Duration::from_secs(10)))
            .await;
        let _ = shutdown_tx.send(true);
        for w in workers {
            let _ = tokio::time::timeout(Duration::from_secs(10), w).await;
        }
        if let Some(m) = metrics_server {
            m.abort();
        }
        result
    }
}

/// `WHATSAPP_ACCESS_TOKEN` + `WHATSAPP_PHONE_NUMBERS` (seed 004): connect those numbers to a
/// default shop on first start. Idempotent: numbers already connected are left alone.
async fn bootstrap_accounts(
    config: &Config,
    pipeline: &Pipeline,
    uow: &dyn UnitOfWorkFactory,
    clock: &Arc<dyn Clock>,
    cipher: &Arc<dyn SecretCipher>,
) -> anyhow::Result<()> {
    let Some(b) = &config.bootstrap else { return Ok(()) };
    let ctx = RequestContext::system("bootstrap");
    let connect = ConnectAccountHandler { clock: clock.clone(), cipher: cipher.clone() };
    let mut shop = None;
    for (pnid, number) in &b.numbers {
        let mut tx = uow.begin().await?;
        let exists = !tx.as_mut().accounts().find_by_phone_number_ids(std::slice::from_ref(pnid)).await?.is_empty();
        drop(tx);
        if exists {
            continue;
        }
        let shop_id = match shop {
            Some(s) => s,
            None => {
                let s =
                    pipeline.execute(&ctx, &CreateShopHandler { clock: clock.clone() }, CreateShop { name: "Default shop".into() }).await?;
                tracing::info!(shop_id = %s.id, "bootstrap: created the default shop; create its API keys with ADMIN_API_KEY");
                shop = Some(s.id);
                s.id
            }
        };
        let cmd = ConnectWhatsAppAccount {
            shop_id,
            phone_number_id: pnid.clone(),
            display_phone_number: number.clone(),
            waba_id: domain::WabaId::parse(pnid.as_str())?,
            display_name: None,
            access_token: b.access_token.clone(),
        };
        match pipeline.execute(&ctx, &connect, cmd).await {
            Ok(_) | Err(ConnectAccountError::AlreadyConnected) => {}
            Err(e) => return Err(e.into()),
        }
        tracing::info!(phone_number_id = %pnid, "bootstrap: connected a number from the environment");
    }
    Ok(())
}
