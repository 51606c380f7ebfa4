//! The composition root: adapters are created and wired here, once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::SizeLimit;
use poem::web::Data;
use poem::{EndpointExt, IntoResponse, Response, Route, Server, get, handler};
use poem_openapi::OpenApiService;
use serde_json::json;
use tokio::sync::{Notify, watch};

use application::accounts::{AccountHandlers, ConnectWhatsAppAccount};
use application::messaging::{MessagingHandlers, MessagingService};
use application::pipeline::{Pipeline, RequestContext};
use application::ports::{Clock, SystemClock};
use application::shops::{CreateShop, ShopHandlers};
use infrastructure::cloud_api::CloudApiClient;
use infrastructure::config::{Config, DEFAULT_GRAPH_BASE, redact_url};
use infrastructure::crypto::AesGcmCipher;
use infrastructure::db::{Db, DeliveryQueue, Leases, OutboxStore, SeaReadStore, SeaUnitOfWorkFactory, SeaWebhookInbox};
use infrastructure::events::{EventPublisher, InProcessBus, RabbitPublisher};
use infrastructure::limiter::{LocalLimiter, RedisLimiter};

use crate::metrics::Metrics;
use crate::routes::{accounts::AccountsApi, conversations::ConversationsApi, messages::MessagesApi, shops::ShopsApi};
use crate::sandbox::{self, Sandbox};
use crate::state::{AppState, RateLimiter};
use crate::{error, http, webhooks, workers};

pub type Apis = (ShopsApi, AccountsApi, MessagesApi, ConversationsApi);

pub fn openapi_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new((ShopsApi, AccountsApi, MessagesApi, ConversationsApi), "whatsapp-service", env!("CARGO_PKG_VERSION"))
        .description(
            "WhatsApp Business messaging on Meta's Cloud API: signed webhooks in, replies out, the 24-hour \
             customer-service window enforced. Errors always have the body \
             `{\"error\": {\"code\", \"message\", \"details\"}}`. Authenticate with `Authorization: Bearer <api key>`.",
        )
        .server("/")
}

/// The OpenAPI 3 document as JSON (what `whatsapp-service openapi` prints).
pub fn openapi_json() -> String {
    openapi_service().spec()
}

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

pub struct Application {
    pub addr: std::net::SocketAddr,
    pub state: Arc<AppState>,
    acceptor: poem::listener::TcpAcceptor,
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
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let cipher = Arc::new(AesGcmCipher::new(&config.encryption_key));
        let reads = Arc::new(SeaReadStore::new(db.clone()));
        let pipeline = Pipeline::new(Arc::new(SeaUnitOfWorkFactory::new(db.clone())), reads.clone());
        let cloud =
            Arc::new(CloudApiClient::new(&graph_base, &config.whatsapp_api_version, config.cloud_api_timeout, config.cloud_api_retry_base));
        let limiter: Arc<dyn application::ports::RateLimiter> = match &config.redis_url {
            Some(url) => Arc::new(RedisLimiter::connect(url).await.map_err(|e| anyhow::anyhow!("REDIS_URL: cannot connect: {e}"))?),
            None => Arc::new(LocalLimiter::new()),
        };
        let dispatch_client = Arc::new(
            CloudApiClient::new(&graph_base, &config.whatsapp_api_version, config.cloud_api_timeout, config.cloud_api_retry_base)
                .without_retries(),
        );
        let dispatcher = Arc::new(crate::dispatcher::Dispatcher::new(
            DeliveryQueue::new(db.clone()),
            limiter,
            dispatch_client,
            config.outbound_headroom_percent as f64 / 100.0,
            config.pair_burst as f64,
            config.cloud_api_retry_base,
            config.cloud_api_timeout * 2 + Duration::from_secs(5),
        ));
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
        let state = Arc::new(AppState {
            dispatcher,
            local_dispatch: options.workers,
            jobs: application::jobs::JobHandlers { clock: clock.clone() },
            outbox: OutboxStore::new(db.clone()),
            leases: Leases::new(db.clone()),
            publisher,
            bus,
            instance_id: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            db: db.clone(),
            pipeline: pipeline.clone(),
            reads,
            clock: clock.clone(),
            cipher: cipher.clone(),
            shops: ShopHandlers { clock: clock.clone() },
            accounts: AccountHandlers { clock: clock.clone(), cipher: cipher.clone() },
            messaging: MessagingService { pipeline, handlers: MessagingHandlers { clock: clock.clone() }, cloud, cipher },
            inbox: Arc::new(SeaWebhookInbox::new(db)),
            webhook_stored: Arc::new(Notify::new()),
            metrics: Metrics::new(),
            rate_limiter: RateLimiter::new(config.rate_limit_per_minute),
            sandbox: sandbox.clone(),
            config,
        });
        bootstrap_accounts(&state).await?;

        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let workers = if options.workers { workers::spawn(state.clone(), shutdown_rx) } else { Vec::new() };

        let api = openapi_service();
        let mut route = Route::new()
            .at("/openapi.json", api.spec_endpoint())
            .nest("/docs", api.swagger_ui())
            .at("/health/live", get(live))
            .at("/health/ready", get(ready))
            .at("/metrics", get(metrics))
            .at("/webhooks/whatsapp", get(webhooks::verify).post(webhooks::receive.with(SizeLimit::new(4 * 1024 * 1024))));
        if let Some(sb) = sandbox {
            route = route.nest("/sandbox", sandbox::routes(sb));
        }
        let routes = route
            .nest("/", api)
            .catch_all_error(error::catch_all)
            .around(http::request_middleware)
            .data(state.clone())
            .map_to_response()
            .boxed();

        Ok(Self { addr, state, acceptor, routes, shutdown_tx, workers })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Serve until `stop` resolves (or forever), then stop workers and drain requests.
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let Self { acceptor, routes, shutdown_tx, workers, .. } = self;
        let result = Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(routes, stop, Some(Duration::from_secs(10))).await;
        let _ = shutdown_tx.send(true);
        for w in workers {
            let _ = tokio::time::timeout(Duration::from_secs(10), w).await;
        }
        result
    }
}

/// `WHATSAPP_ACCESS_TOKEN` + `WHATSAPP_PHONE_NUMBERS` (seed 004): connect those numbers to a
/// default shop on first start. Idempotent: numbers already connected are left alone.
async fn bootstrap_accounts(state: &Arc<AppState>) -> anyhow::Result<()> {
    let Some(b) = &state.config.bootstrap else { return Ok(()) };
    let ctx = RequestContext::system("bootstrap");
    let mut shop = None;
    for (pnid, number) in &b.numbers {
        let mut uow = state.pipeline_uow().await?;
        let exists = uow.account_by_phone_number_id(pnid).await?.is_some();
        drop(uow);
        if exists {
            continue;
        }
        let shop_id = match shop {
            Some(s) => s,
            None => {
                let s = state.pipeline.execute(&ctx, &state.shops, CreateShop { name: "Default shop".into() }).await?;
                tracing::info!(shop_id = %s.id, "bootstrap: created the default shop; create its API keys with ADMIN_API_KEY");
                shop = Some(s.id);
                s.id
            }
        };
        let cmd = ConnectWhatsAppAccount {
            shop_id,
            phone_number_id: pnid.clone(),
            display_phone_number: number.clone(),
            waba_id: domain::phone::WabaId::parse(pnid.as_str())?,
            display_name: None,
            access_token: b.access_token.clone(),
        };
        state.pipeline.execute(&ctx, &state.accounts, cmd).await?;
        tracing::info!(phone_number_id = %pnid, "bootstrap: connected a number from the environment");
    }
    Ok(())
}

impl AppState {
    async fn pipeline_uow(&self) -> anyhow::Result<Box<dyn application::ports::UnitOfWork>> {
        let f = SeaUnitOfWorkFactory::new(self.db.clone());
        use application::ports::UnitOfWorkFactory;
        Ok(f.begin().await?)
    }
}

#[handler]
async fn live() -> Response {
    poem::web::Json(json!({"status": "live"})).into_response()
}

async fn redis_ping(url: &str) -> Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.split("://").nth(1).ok_or("bad url")?;
    let host = rest.rsplit('@').next().unwrap_or(rest).split('/').next().unwrap_or("");
    let host = if host.contains(':') { host.to_owned() } else { format!("{host}:6379") };
    let mut s = tokio::net::TcpStream::connect(&host).await.map_err(|e| e.to_string())?;
    s.write_all(b"PING\r\n").await.map_err(|e| e.to_string())?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).await.map_err(|e| e.to_string())?;
    let answer = String::from_utf8_lossy(&buf[..n]);
    // +PONG, or -NOAUTH when a password is required: either way the server is there.
    if answer.starts_with("+PONG") || answer.starts_with("-NOAUTH") { Ok(()) } else { Err(answer.trim().to_owned()) }
}

/// Readiness: the database must answer; optional dependencies are reported, and a degraded
/// broker does not fail readiness (events wait in the outbox).
#[handler]
async fn ready(state: Data<&Arc<AppState>>) -> Response {
    let t = Instant::now();
    let db = tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await;
    let db_ok = matches!(db, Ok(Ok(())));
    let db_check = json!({"status": if db_ok { "up" } else { "down" }, "latencyMs": t.elapsed().as_secs_f64() * 1e3,
        "backend": format!("{:?}", state.db.backend()).to_lowercase()});
    let lag = state.outbox.lag().await.ok();
    let outbox = json!({"pending": lag.map(|l| l.0), "oldest": lag.and_then(|l| l.1)});
    let broker = match &state.config.amqp_url {
        None => json!({"status": "not_configured", "detail": "events go to in-process subscribers", "outbox": outbox}),
        // A degraded broker does not fail readiness: events wait in the outbox.
        Some(_) if state.publisher.healthy() => json!({"status": "up", "outbox": outbox}),
        Some(_) => json!({"status": "degraded", "detail": "RabbitMQ unreachable; events wait in the outbox", "outbox": outbox}),
    };
    let redis = match &state.config.redis_url {
        None => json!({"status": "not_configured"}),
        Some(u) => match tokio::time::timeout(Duration::from_secs(2), redis_ping(u)).await {
            Ok(Ok(())) => json!({"status": "up"}),
            Ok(Err(e)) => json!({"status": "down", "detail": e}),
            Err(_) => json!({"status": "down", "detail": "timeout"}),
        },
    };
    let redis_ok = redis["status"] != "down";
    let ready = db_ok && redis_ok;
    let mut r = poem::web::Json(json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": {"database": db_check, "broker": broker, "redis": redis},
        "sandbox": state.config.sandbox,
    }))
    .into_response();
    if !ready {
        r.set_status(poem::http::StatusCode::SERVICE_UNAVAILABLE);
    }
    r
}

#[handler]
async fn metrics(state: Data<&Arc<AppState>>) -> Response {
    state.metrics.render().with_content_type("text/plain; version=0.0.4").into_response()
}
