//! Webhook benchmarks: acknowledgement, processing, and both together at a fixed rate. The
//! service runs in-process on its own 2-thread runtime; the load generator runs on another
//! thread of the same machine. Every webhook is a distinct signed body, as Meta sends them.
//!
//! ```sh
//! cargo build --release -p bench --bin webhook-bench
//! B=./target/release/webhook-bench
//! PG=postgres://postgres@127.0.0.1:5432/postgres        # a fresh database is created on it
//! $B ack --database-url $PG [--concurrency 64] [--seconds 10] [--workers]
//! $B drain --database-url $PG --kind messages [--count 50000] [--cold] [--customers 10000]   # processing alone
//! $B drain --database-url $PG --kind statuses [--count 50000]
//! $B sustained --database-url $PG [--rate 2000] [--seconds 60] [--status-share 0.5] [--media-share 0.1]
//!    [--media-store folder|s3] [--split [--worker-cpus 1.0]]
//! ```
//!
//! Without `--database-url` the database is a fresh SQLite file.
//!
//! - `ack`: as many signed inbound messages as `--concurrency` clients can get acknowledged
//!   (closed loop); with `--workers` the service processes them meanwhile.
//! - `drain`: `--count` deliveries are stored first with no worker running (customers' messages
//!   from 10,000 customers, or `delivered` statuses of messages the business sent), then a
//!   service with its workers starts and the time to an empty backlog is measured.
//! - `sustained`: an open-loop load of `--rate` webhooks per second for `--seconds` (a
//!   `--status-share` of them statuses, the rest customers' messages) against a service with its
//!   workers; the backlog is sampled every second and the time to empty it after the load is
//!   measured. `--media-share` makes that share of the customers' messages photos (100 KB each,
//!   described and served by a fake Graph API on its own thread and port), which the media worker
//!   fetches meanwhile; the time until every file is stored is measured too. The media store is
//!   a folder (`$BENCH_MEDIA_DIR`, else the temporary folder), or with `--media-store s3` a
//!   bucket that the fake Meta's server also plays (S3 `PUT`s over HTTP, signed, bytes
//!   discarded), as in k8s/ where the files go to a bucket rather than this machine's disk; it
//!   listens at `AWS_ENDPOINT`, which the command sets with the other `AWS_*` variables:
//!   `AWS_ENDPOINT=http://127.0.0.1:9199 AWS_ALLOW_HTTP=true AWS_ACCESS_KEY_ID=bench
//!   AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 $B sustained … --media-store s3`.
//!   `--split` runs the k8s layout (k8s/): an API-only service (`--no-workers`) takes the
//!   webhooks on its own 2-thread runtime, and a second service with the workers (another
//!   2-thread runtime, on another port) processes them. With `--worker-cpus F` the worker's
//!   threads are put in a CPU cgroup (v1, `/sys/fs/cgroup/cpu`, root) capped at F CPUs, like a
//!   worker pod's CPU limit.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use api::startup::{Application, Options, Parts};
use application::RequestContext;
use application::accounts::connect_account::{ConnectAccountHandler, ConnectWhatsAppAccount};
use application::inbound::ports::WebhookInbox;
use application::inbound::raw_body::RawBody;
use application::messaging::ports::SendReceipt;
use application::messaging::record_delivery_outcomes::{DeliveryOutcome, RecordDeliveryOutcomes, RecordOutcomesHandler};
use application::messaging::send_message::{SendMessage, SendMessageHandler, Via};
use application::shared::ports::Secret;
use application::tenancy::create_shop::{CreateShop, CreateShopHandler};
use domain::messaging::TemplateRef;
use domain::{PhoneNumber, PhoneNumberId, ShopId, WabaId};
use infrastructure::config::Config;
use infrastructure::crypto::sign_webhook;
use infrastructure::persistence::inbound::inbox::SeaWebhookInbox;

const SECRET: &str = "bench-secret";
const PNID: &str = "1065403522";
const CUSTOMERS: u64 = 10_000;

/// How many distinct customers write (`--customers`; 10,000 unless said).
static CUSTOMER_COUNT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
/// Automated responses of the shop (`--rules`; none unless said), and the share of customers'
/// messages that one of them answers (`--match-share`, 0.3).
static RULES: std::sync::OnceLock<(u64, f64)> = std::sync::OnceLock::new();

fn rules() -> (u64, f64) {
    *RULES.get().unwrap_or(&(0, 0.3))
}

fn customers() -> u64 {
    *CUSTOMER_COUNT.get().unwrap_or(&CUSTOMERS)
}

#[derive(Debug, Clone)]
struct Args {
    mode: String,
    database_url: Option<String>,
    concurrency: usize,
    seconds: u64,
    workers: bool,
    kind: String,
    count: u64,
    rate: u64,
    status_share: f64,
    media_share: f64,
    cold: bool,
    split: bool,
    worker_cpus: Option<f64>,
    media_store: String,
}

fn args() -> Args {
    let mut it = std::env::args().skip(1).peekable();
    let mode = match it.peek().map(String::as_str) {
        Some("ack" | "drain" | "sustained") => it.next().unwrap(),
        _ => "ack".to_owned(),
    };
    let mut a = Args {
        mode,
        database_url: None,
        concurrency: 64,
        seconds: 10,
        workers: false,
        kind: "messages".into(),
        count: 50_000,
        rate: 2000,
        status_share: 0.5,
        media_share: 0.0,
        cold: false,
        split: false,
        worker_cpus: None,
        media_store: "folder".into(),
    };
    while let Some(k) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--database-url" => a.database_url = Some(value()),
            "--concurrency" => a.concurrency = value().parse().expect("--concurrency N"),
            "--seconds" => a.seconds = value().parse().expect("--seconds N"),
            "--workers" => a.workers = true,
            "--cold" => a.cold = true,
            "--kind" => a.kind = value(),
            "--count" => a.count = value().parse().expect("--count N"),
            "--customers" => CUSTOMER_COUNT.set(value().parse().expect("--customers N")).expect("--customers once"),
            "--rules" => {
                let n = value().parse().expect("--rules N");
                RULES.set((n, rules().1)).expect("--rules before --match-share, once");
            }
            "--match-share" => {
                let (n, _) = rules();
                let share = value().parse().expect("--match-share 0..1");
                let _ = RULES.set((n, share));
                assert_eq!(rules(), (n, share), "--match-share after --rules");
            }
            "--rate" => a.rate = value().parse().expect("--rate N"),
            "--status-share" => a.status_share = value().parse().expect("--status-share 0..1"),
            "--media-share" => a.media_share = value().parse().expect("--media-share 0..1"),
            "--split" => a.split = true,
            "--media-store" => a.media_store = value(),
            "--worker-cpus" => a.worker_cpus = Some(value().parse().expect("--worker-cpus F")),
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(matches!(a.kind.as_str(), "messages" | "statuses"), "--kind messages|statuses");
    assert!(matches!(a.media_store.as_str(), "folder" | "s3"), "--media-store folder|s3");
    a
}

/// A customer's text message (customer `i % 10,000`).
fn message_body(i: u64) -> Vec<u8> {
    let ts = chrono::Utc::now().timestamp();
    // With `--rules`, a share of the messages asks what one of the rules answers.
    let (rules, share) = rules();
    let text = if rules > 0 && ((i * 7919) % 1000) as f64 / 1000.0 < share {
        format!("qual o preco {} hoje?", i % rules)
    } else {
        format!("benchmark message {i}")
    };
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"9001","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550001111","phone_number_id":"{PNID}"}},"contacts":[{{"profile":{{"name":"Bench"}},"wa_id":"55119{n:08}"}}],"messages":[{{"from":"55119{n:08}","id":"wamid.BENCH{i}","timestamp":"{ts}","type":"text","text":{{"body":"{text}"}}}}]}}}}]}}]}}"#,
        n = i % customers()
    )
    .into_bytes()
}

/// `--rules N`: N automated responses, each with an exact, a contains and a starts-with keyword.
async fn add_rules(parts: &Parts, shop: ShopId) {
    use application::turns::create_automated_response::{CreateAutomatedResponse, CreateAutomatedResponseHandler};
    let (n, _) = rules();
    let h = CreateAutomatedResponseHandler { clock: parts.clock.clone(), rules: std::sync::Arc::default() };
    for j in 0..n {
        let draft = domain::turns::ResponseDraft {
            name: format!("rule {j}"),
            trigger: "keywords".into(),
            keywords: vec![
                (format!("faq {j}"), "exact".into()),
                (format!("preco {j}"), "contains".into()),
                (format!("quero o {j}"), "starts_with".into()),
            ],
            answer: domain::messaging::MessageContent::Text { text: format!("answer {j}"), preview_url: false },
            fallback_template: None,
            priority: (j % 10) as i32,
            active: true,
            every_hours: None,
        };
        parts.pipeline.execute(&RequestContext::system("bench"), &h, CreateAutomatedResponse { shop_id: shop, draft }).await.unwrap();
    }
}

/// How turns were answered: from their due time (the last message plus the quiet time) and from
/// their last message to the answer being queued.
fn turn_report(rt: &tokio::runtime::Runtime, parts: &Parts) {
    use sea_orm::{ConnectionTrait, Statement};
    let waited = Instant::now();
    while count(rt, parts, "SELECT COUNT(*) FROM turns WHERE state <> 'done'") > 0 && waited.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let rows = rt
        .block_on(parts.db.conn.query_all_raw(Statement::from_string(
            parts.db.backend(),
            "SELECT due_at, last_at, answered_at, outcome FROM turns WHERE answered_at IS NOT NULL".to_owned(),
        )))
        .unwrap();
    let (mut from_due, mut from_last) = (Vec::new(), Vec::new());
    let mut outcomes: std::collections::BTreeMap<String, u64> = Default::default();
    for r in &rows {
        let due: chrono::DateTime<chrono::Utc> = r.try_get_by_index(0).unwrap();
        let last: chrono::DateTime<chrono::Utc> = r.try_get_by_index(1).unwrap();
        let answered: chrono::DateTime<chrono::Utc> = r.try_get_by_index(2).unwrap();
        let outcome: String = r.try_get_by_index(3).unwrap();
        *outcomes.entry(outcome).or_default() += 1;
        from_due.push((answered - due).num_microseconds().unwrap_or(0) as f64 / 1e3);
        from_last.push((answered - last).num_microseconds().unwrap_or(0) as f64 / 1e3);
    }
    println!(
        "turns         {} answered {outcomes:?}, all done {:.1} s after the backlog emptied",
        rows.len(),
        waited.elapsed().as_secs_f64()
    );
    println!("turn lag      ms from due {}", percentiles(from_due));
    println!("              ms from the last message {}", percentiles(from_last));
}

/// A customer's photo (customer `i % 10,000`): Meta's media id and SHA-256 of a file the
/// sandbox keeps.
fn image_body(i: u64, media_id: &str, sha256: &str) -> Vec<u8> {
    let ts = chrono::Utc::now().timestamp();
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"9001","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550001111","phone_number_id":"{PNID}"}},"contacts":[{{"profile":{{"name":"Bench"}},"wa_id":"55119{n:08}"}}],"messages":[{{"from":"55119{n:08}","id":"wamid.BENCH{i}","timestamp":"{ts}","type":"image","image":{{"id":"{media_id}","mime_type":"image/jpeg","sha256":"{sha256}","caption":"photo {i}"}}}}]}}}}]}}]}}"#,
        n = i % customers()
    )
    .into_bytes()
}

/// Meta's side of customers' photos, on its own thread and port (as Meta is outside the
/// service): `GET /{version}/{media-id}` describes a photo, `GET /cdn/{media-id}` serves it.
/// Returns the Graph base URL and the photos' (media id, hex SHA-256).
fn fake_graph(listener: std::net::TcpListener, count: usize, bytes: usize) -> (String, Vec<(String, String)>) {
    use poem::web::{Data, Path};
    use poem::{EndpointExt, Response, Route, get, handler, put};
    use sha2::Digest;
    let mut photos: HashMap<String, Vec<u8>> = HashMap::new();
    let mut ids = Vec::with_capacity(count);
    for k in 0..count {
        let mut photo = domain::media::rules::samples::jpeg(bytes);
        photo[20..28].copy_from_slice(&(k as u64).to_le_bytes());
        let id = format!("99000000{k:06}");
        ids.push((id.clone(), hex::encode(sha2::Sha256::digest(&photo))));
        photos.insert(id, photo);
    }
    let base = format!("http://{}", listener.local_addr().unwrap());
    /// A bucket's object `PUT` (`--media-store s3`): read, counted, discarded.
    #[handler]
    async fn store_object(body: poem::Body) -> Response {
        match body.into_bytes().await {
            Ok(b) => {
                S3_BYTES.fetch_add(b.len() as u64, Ordering::Relaxed);
                Response::builder().header("etag", "\"bench\"").finish()
            }
            Err(_) => Response::builder().status(poem::http::StatusCode::BAD_REQUEST).finish(),
        }
    }
    #[handler]
    fn describe(Path((_v, id)): Path<(String, String)>, base: Data<&String>, photos: Data<&Arc<HashMap<String, Vec<u8>>>>) -> Response {
        match photos.get(&id) {
            Some(p) => Response::builder().content_type("application/json").body(
                serde_json::json!({"messaging_product": "whatsapp", "url": format!("{}/cdn/{id}", base.0), "mime_type": "image/jpeg", "file_size": p.len(), "id": id})
                    .to_string(),
            ),
            None => Response::builder().status(poem::http::StatusCode::NOT_FOUND).finish(),
        }
    }
    #[handler]
    fn serve(Path(id): Path<String>, photos: Data<&Arc<HashMap<String, Vec<u8>>>>) -> Response {
        match photos.get(&id) {
            Some(p) => Response::builder().content_type("image/jpeg").body(p.clone()),
            None => Response::builder().status(poem::http::StatusCode::NOT_FOUND).finish(),
        }
    }
    let app = Route::new()
        .at("/bench-media/*key", put(store_object))
        .at("/cdn/:id", get(serve))
        .at("/:version/:id", get(describe))
        .data(base.clone())
        .data(Arc::new(photos));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            let acceptor = poem::listener::TcpAcceptor::from_tokio(l).unwrap();
            poem::Server::new_with_acceptor(acceptor).run(app).await.unwrap();
        });
    });
    (base, ids)
}

/// Meta's Graph API base when the bench plays Meta's media (`--media-share`).
static GRAPH_BASE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
/// The photos the fake Meta serves (`--media-share`).
static PHOTOS: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
/// `MEDIA_STORE_URL` when the fake Meta's server also plays the bucket (`--media-store s3`).
static BUCKET_URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
/// Bytes the fake bucket received.
static S3_BYTES: AtomicU64 = AtomicU64::new(0);

/// A delivery status of the business's message `wamid.SENT{i}` (customer `i % 10,000`).
fn status_body(i: u64, status: &str) -> Vec<u8> {
    let ts = chrono::Utc::now().timestamp();
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"9001","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550001111","phone_number_id":"{PNID}"}},"statuses":[{{"id":"wamid.SENT{i}","status":"{status}","timestamp":"{ts}","recipient_id":"55119{n:08}","pricing":{{"billable":true,"pricing_model":"PMP","category":"utility"}}}}]}}}}]}}]}}"#,
        n = i % customers()
    )
    .into_bytes()
}

async fn fresh_db(url: Option<String>, dir: &std::path::Path) -> String {
    use sea_orm::ConnectionTrait;
    match url {
        None => format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
        Some(u) if u.starts_with("sqlite") => u,
        Some(u) => {
            let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(u.as_str()).await.expect("connect");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create database");
            // Keep the query (`?host=/var/run/postgresql` for a Unix socket).
            let (base, query) = u.split_once('?').map_or((u.as_str(), String::new()), |(b, q)| (b, format!("?{q}")));
            format!("{}/{name}{query}", base.rsplit_once('/').unwrap().0)
        }
    }
}

/// The media store's folder: `$BENCH_MEDIA_DIR` (for example `/dev/shm`, memory standing in for
/// a bucket elsewhere), else the temporary folder (the same disk as the database here).
fn media_dir() -> std::path::PathBuf {
    let root = std::env::var_os("BENCH_MEDIA_DIR").map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    root.join(format!("webhook-bench-media-{}", std::process::id()))
}

fn config(db_url: &str) -> Config {
    let media = BUCKET_URL.get().cloned().unwrap_or_else(|| media_dir().display().to_string());
    let mut env = HashMap::from([
        ("MEDIA_STORE_URL", media),
        ("SANDBOX", "1".to_owned()),
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", db_url.to_owned()),
        ("META_APP_SECRET", SECRET.to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ]);
    if let Some(base) = GRAPH_BASE.get() {
        env.insert("WHATSAPP_API_BASE_URL", base.clone());
    }
    Config::from_lookup(|k| env.get(k).cloned()).unwrap()
}

/// A shop with the bench's number, and (for statuses) `sent` messages `wamid.SENT0..n`.
async fn setup(parts: &Parts, sent: u64) -> ShopId {
    let ctx = RequestContext::system("bench");
    let clock = parts.clock.clone();
    let shop =
        parts.pipeline.execute(&ctx, &CreateShopHandler { clock: clock.clone() }, CreateShop { name: "bench".into() }).await.unwrap();
    let cmd = ConnectWhatsAppAccount {
        shop_id: shop.id,
        phone_number_id: PhoneNumberId::parse(PNID).unwrap(),
        display_phone_number: PhoneNumber::parse("+15550001111").unwrap(),
        waba_id: WabaId::parse("9001").unwrap(),
        display_name: None,
        access_token: Secret::new("bench"),
    };
    let connect = ConnectAccountHandler { clock: clock.clone(), cipher: parts.cipher.clone() };
    parts.pipeline.execute(&ctx, &connect, cmd).await.unwrap();
    if sent == 0 {
        return shop.id;
    }
    let started = Instant::now();
    let send = Arc::new(SendMessageHandler { clock: clock.clone() });
    let record = RecordOutcomesHandler { clock };
    let mut queued = Vec::with_capacity(sent as usize);
    for chunk in (0..sent).collect::<Vec<_>>().chunks(500) {
        let mut tasks = Vec::new();
        for &i in chunk {
            let (pipeline, send) = (parts.pipeline.clone(), send.clone());
            tasks.push(tokio::spawn(async move {
                let cmd = SendMessage {
                    shop_id: shop.id,
                    via: Via::Numbers {
                        from: PhoneNumber::parse("+15550001111").unwrap(),
                        to: PhoneNumber::parse(&format!("+55119{:08}", i % customers())).unwrap(),
                    },
                    content: None,
                    template: Some(TemplateRef { name: "bench".into(), language: "en_US".into(), components: vec![] }),
                    force_template: true,
                    user_id: None,
                    reply_to: None,
                    idempotency: None,
                    sent_by: domain::messaging::Sender::System("bench".into()),
                };
                (i, pipeline.execute(&RequestContext::system("bench"), send.as_ref(), cmd).await.unwrap().queued().unwrap())
            }));
        }
        let mut batch = Vec::new();
        for t in tasks {
            let (i, m) = t.await.unwrap();
            batch.push(DeliveryOutcome {
                message_id: m.id(),
                shop_id: shop.id,
                result: Ok(SendReceipt { wamid: format!("wamid.SENT{i}") }),
            });
        }
        queued.extend(batch.iter().map(|o| o.message_id));
        let cmd = RecordDeliveryOutcomes { outcomes: batch, retry_base: Duration::from_millis(500) };
        parts.pipeline.execute(&ctx, &record, cmd).await.unwrap();
    }
    println!("setup         {} sent messages in {:.1} s", queued.len(), started.elapsed().as_secs_f64());
    shop.id
}

fn count(rt: &tokio::runtime::Runtime, parts: &Parts, sql: &str) -> i64 {
    rt.block_on(async {
        use sea_orm::{ConnectionTrait, Statement};
        let conn = &parts.db.conn;
        let row = conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql.to_owned())).await.unwrap().unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    })
}

/// Fresh planner statistics, as autovacuum keeps them in a database that has been running.
fn analyze(rt: &tokio::runtime::Runtime, parts: &Parts) {
    rt.block_on(async {
        use sea_orm::ConnectionTrait;
        if !parts.db.is_sqlite() {
            parts.db.conn.execute_unprepared("ANALYZE").await.unwrap();
        }
    });
}

fn percentiles(mut lat: Vec<f64>) -> String {
    lat.sort_by(|x, y| x.partial_cmp(y).unwrap());
    let n = lat.len();
    let pct = |p: f64| lat.get(((n as f64 * p) as usize).min(n.saturating_sub(1))).copied().unwrap_or(f64::NAN);
    format!("p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}", pct(0.5), pct(0.9), pct(0.99), lat.last().copied().unwrap_or(f64::NAN))
}

fn main() {
    rustls::crypto::ring::default_provider().install_default().expect("provider");
    if std::env::var("RUST_LOG").is_ok() {
        api::telemetry::init(&infrastructure::config::LogFormat::Pretty);
    }
    let a = args();
    if a.media_share > 0.0 {
        // The S3 client reads its settings from the environment (the command sets them): the
        // fake bucket listens where `AWS_ENDPOINT` points.
        let listener = if a.media_store == "s3" {
            let endpoint = std::env::var("AWS_ENDPOINT")
                .expect("--media-store s3 needs AWS_ENDPOINT=http://127.0.0.1:PORT (and AWS_ALLOW_HTTP, keys, region)");
            let addr = endpoint.trim_start_matches("http://").trim_end_matches('/').to_owned();
            BUCKET_URL.set("s3://bench-media/files".into()).unwrap();
            std::net::TcpListener::bind(addr).expect("bind AWS_ENDPOINT's address")
        } else {
            std::net::TcpListener::bind("127.0.0.1:0").unwrap()
        };
        let (base, photos) = fake_graph(listener, 50, 100 * 1024);
        GRAPH_BASE.set(base).unwrap();
        PHOTOS.set(photos).unwrap();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let server_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let db_url = server_rt.block_on(fresh_db(a.database_url.clone(), dir.path()));
    println!("database      {}", if db_url.starts_with("sqlite") { "sqlite" } else { "postgres" });
    match a.mode.as_str() {
        "drain" => drain(&a, &server_rt, &db_url),
        "sustained" => sustained(&a, &server_rt, &db_url),
        _ => ack(&a, &server_rt, &db_url),
    }
}

/// Build the service, run it, and return it with a stop switch.
fn start(rt: &tokio::runtime::Runtime, db_url: &str, workers: bool) -> (Arc<Parts>, std::net::SocketAddr, impl FnOnce()) {
    let app = rt.block_on(Application::build(config(db_url), Options { workers, migrate: true })).expect("app");
    let (addr, parts) = (app.addr, app.parts.clone());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(app.run_until(async move {
        let _ = stop_rx.await;
    }));
    (parts, addr, move || {
        let _ = stop_tx.send(());
        let _ = futures_block(server);
    })
}

/// The worker service of the split layout, on its own thread and runtime (in a CPU cgroup capped
/// at `cpus` when given: threads inherit the cgroup of the thread that creates them). Returns the
/// stop switch.
fn start_worker(db_url: &str, cpus: Option<f64>) -> impl FnOnce() {
    let db_url = db_url.to_owned();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let cgroup = cpus.map(|_| std::path::PathBuf::from(format!("/sys/fs/cgroup/cpu/webhook-bench-worker-{}", std::process::id())));
    let group = cgroup.clone();
    let thread = std::thread::spawn(move || {
        if let (Some(dir), Some(f)) = (&group, cpus) {
            std::fs::create_dir_all(dir).expect("create the CPU cgroup (cgroup v1, as root)");
            std::fs::write(dir.join("cpu.cfs_period_us"), "100000").unwrap();
            std::fs::write(dir.join("cpu.cfs_quota_us"), format!("{}", (f * 100_000.0) as u64)).unwrap();
            let me = std::fs::read_link("/proc/thread-self").unwrap();
            let tid = me.file_name().unwrap().to_string_lossy().into_owned();
            std::fs::write(dir.join("tasks"), tid).unwrap();
        }
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let app = rt.block_on(Application::build(config(&db_url), Options { workers: true, migrate: false })).expect("worker app");
        ready_tx.send(()).unwrap();
        rt.block_on(app.run_until(async move {
            let _ = stop_rx.await;
        }))
        .ok();
        rt.shutdown_timeout(Duration::from_secs(5));
    });
    ready_rx.recv().expect("the worker service started");
    move || {
        let _ = stop_tx.send(());
        let _ = thread.join();
        if let Some(dir) = cgroup {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

fn futures_block<T>(h: tokio::task::JoinHandle<T>) -> Option<T> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(15), h).await.ok()?.ok() })
}

fn ack(a: &Args, rt: &tokio::runtime::Runtime, db_url: &str) {
    let (parts, addr, stop) = start(rt, db_url, a.workers);
    rt.block_on(setup(&parts, 0));
    let client_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let url = format!("http://{addr}/webhooks/whatsapp");
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let started = Instant::now();
    let latencies: Vec<f64> = client_rt.block_on(async {
        let http = reqwest::Client::builder().pool_max_idle_per_host(a.concurrency).build().unwrap();
        let mut tasks = Vec::new();
        for _ in 0..a.concurrency {
            let (http, url, counter, errors) = (http.clone(), url.clone(), counter.clone(), errors.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(100_000);
                while Instant::now() < deadline {
                    let body = message_body(counter.fetch_add(1, Ordering::Relaxed));
                    let sig = sign_webhook(SECRET.as_bytes(), &body);
                    let t = Instant::now();
                    let r = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("x-hub-signature-256", sig)
                        .body(body)
                        .send()
                        .await;
                    match r {
                        Ok(resp) if resp.status().is_success() => lat.push(t.elapsed().as_secs_f64() * 1e3),
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                lat
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    });
    let elapsed = started.elapsed().as_secs_f64();
    let ok = latencies.len();
    let stored = count(rt, &parts, "SELECT COUNT(*) FROM webhook_events");
    println!("mode          ack, concurrency {}, workers {}", a.concurrency, a.workers);
    println!("duration      {elapsed:.1} s");
    println!("acknowledged  {ok} ({:.0}/s)", ok as f64 / elapsed);
    println!("errors        {}", errors.load(Ordering::Relaxed));
    println!("stored rows   {stored} (every 200 was stored: {})", stored as usize >= ok);
    println!("latency ms    {}", percentiles(latencies));
    if a.workers {
        let during = count(rt, &parts, "SELECT COUNT(*) FROM webhook_events WHERE state <> 'pending'");
        let drain_started = Instant::now();
        while count(rt, &parts, "SELECT COUNT(*) FROM webhook_events WHERE state = 'pending'") > 0
            && drain_started.elapsed() < Duration::from_secs(600)
        {
            std::thread::sleep(Duration::from_millis(100));
        }
        println!("processed     {during} during the load ({:.0}/s while acknowledging)", during as f64 / elapsed);
        println!("drained       the rest in {:.1} s", drain_started.elapsed().as_secs_f64());
    }
    stop();
}

fn drain(a: &Args, rt: &tokio::runtime::Runtime, db_url: &str) {
    let statuses = a.kind == "statuses";
    // 0. Steady state: the customers exist and have a conversation (one message each, processed
    //    before the measurement), and the planner has statistics (`ANALYZE`), as in a database
    //    that has been running. `--cold` skips this: every customer is new.
    if !a.cold {
        // The sent messages are recorded with no dispatcher running (it would send them).
        let (parts, _, stop) = start(rt, db_url, false);
        let shop = rt.block_on(setup(&parts, if statuses { a.count } else { 0 }));
        rt.block_on(add_rules(&parts, shop));
        stop();
        let (parts, _, stop) = start(rt, db_url, true);
        let inbox = SeaWebhookInbox::new(parts.db.clone());
        rt.block_on(async {
            for c in 0..customers() {
                inbox.store(RawBody::from_bytes(message_body(1_000_000_000 + c)), chrono::Utc::now()).await.unwrap();
            }
        });
        while count(rt, &parts, "SELECT COUNT(*) FROM webhook_events WHERE state = 'pending'") > 0 {
            std::thread::sleep(Duration::from_millis(200));
        }
        while count(rt, &parts, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL") > 0 {
            std::thread::sleep(Duration::from_millis(200));
        }
        // The warm-up's turns are answered before the measurement (they are due 2 s later).
        while count(rt, &parts, "SELECT COUNT(*) FROM turns WHERE state <> 'done'") > 0 {
            std::thread::sleep(Duration::from_millis(200));
        }
        analyze(rt, &parts);
        println!("warm-up       {} customers with a conversation each; statistics analysed", customers());
        stop();
    }
    // 1. The backlog, stored with no worker running.
    {
        let (parts, _, stop) = start(rt, db_url, false);
        if a.cold {
            let shop = rt.block_on(setup(&parts, if statuses { a.count } else { 0 }));
            rt.block_on(add_rules(&parts, shop));
        }
        let inbox = Arc::new(SeaWebhookInbox::new(parts.db.clone()));
        let started = Instant::now();
        rt.block_on(async {
            let mut tasks = Vec::new();
            for w in 0..16u64 {
                let (inbox, n, statuses) = (inbox.clone(), a.count, statuses);
                tasks.push(tokio::spawn(async move {
                    for i in (w..n).step_by(16) {
                        let body = if statuses { status_body(i, "delivered") } else { message_body(i) };
                        inbox.store(RawBody::from_bytes(body), chrono::Utc::now()).await.unwrap();
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
        });
        println!("backlog       {} {} stored in {:.1} s", a.count, a.kind, started.elapsed().as_secs_f64());
        stop();
    }
    // 2. A service with its workers drains it (timed from when it is up).
    let (parts, _, stop) = start(rt, db_url, true);
    let started = Instant::now();
    let mut last = (Instant::now(), a.count as i64);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let pending = count(rt, &parts, "SELECT COUNT(*) FROM webhook_events WHERE state = 'pending'");
        if last.0.elapsed() >= Duration::from_secs(5) {
            println!("  t={:>5.1}s pending {pending}", started.elapsed().as_secs_f64());
            last = (Instant::now(), pending);
        }
        if pending == 0 || started.elapsed() > Duration::from_secs(900) {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let (what, done) = if statuses {
        ("statuses applied", count(rt, &parts, "SELECT COUNT(*) FROM messages WHERE status = 'delivered'"))
    } else {
        let warm = if a.cold { 0 } else { customers() as i64 };
        ("messages stored", count(rt, &parts, "SELECT COUNT(*) FROM messages WHERE direction = 'inbound'") - warm)
    };
    let dead = count(rt, &parts, "SELECT COUNT(*) FROM webhook_events WHERE state = 'dead'");
    let new_customers = count(rt, &parts, "SELECT COUNT(*) FROM customers");
    let batches = |outcome: &str| parts.metrics.webhook_batches.with_label_values(&[outcome]).get();
    println!(
        "mode          drain, {} {} from {} customers{}",
        a.count,
        a.kind,
        customers(),
        if a.cold { ", cold (every customer new, no statistics)" } else { ", warm" }
    );
    println!("drained       in {secs:.2} s: {:.0} {}/s", a.count as f64 / secs, a.kind);
    println!("check         {what}: {done} of {}; customers: {new_customers}; dead letters: {dead}", a.count);
    println!("batches       {} processed, {} failed (redone one by one)", batches("processed"), batches("failed"));
    let reruns: Vec<String> = parts.pipeline.reruns().into_iter().map(|(c, n)| format!("{c} {n}")).collect();
    println!("reruns        {}", if reruns.is_empty() { "none".to_owned() } else { reruns.join(", ") });
    stop();
}

fn sustained(a: &Args, rt: &tokio::runtime::Runtime, db_url: &str) {
    let photos = PHOTOS.get().cloned().unwrap_or_default();
    let total = a.rate * a.seconds;
    let statuses = (total as f64 * a.status_share) as u64;
    // Statuses go to messages the business sent: `delivered` then `read` for each.
    let sent = statuses.div_ceil(2);
    {
        let (parts, _, stop) = start(rt, db_url, false);
        let shop = rt.block_on(setup(&parts, sent));
        rt.block_on(add_rules(&parts, shop));
        analyze(rt, &parts);
        stop();
    }
    let (parts, addr, stop) = start(rt, db_url, !a.split);
    let stop_worker = a.split.then(|| start_worker(db_url, a.worker_cpus));
    let client_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let url = format!("http://{addr}/webhooks/whatsapp");
    let errors = Arc::new(AtomicU64::new(0));
    let sampler_parts = parts.clone();
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let samples = {
        let sampling = sampling.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let mut out = Vec::new();
            let started = Instant::now();
            while sampling.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_secs(1));
                out.push((
                    started.elapsed().as_secs_f64(),
                    count(&rt, &sampler_parts, "SELECT COUNT(*) FROM webhook_events WHERE state = 'pending'"),
                ));
            }
            out
        })
    };
    let started = Instant::now();
    let latencies: Vec<f64> = client_rt.block_on(async {
        let http = reqwest::Client::builder().pool_max_idle_per_host(512).build().unwrap();
        let limit = Arc::new(tokio::sync::Semaphore::new(512));
        let mut tasks = Vec::with_capacity(total as usize);
        let interval = Duration::from_secs_f64(1.0 / a.rate as f64);
        let (mut msg_i, mut status_i, mut media_i) = (0u64, 0u64, 0u64);
        for k in 0..total {
            tokio::time::sleep_until(tokio::time::Instant::from_std(started + interval.mul_f64(k as f64))).await;
            // Interleave: a status whenever the share of statuses so far is below the target.
            let body = if (status_i as f64) < (k as f64 + 1.0) * a.status_share && status_i < statuses {
                let (i, st) = if status_i < sent { (status_i, "delivered") } else { (status_i - sent, "read") };
                status_i += 1;
                status_body(i, st)
            } else if (media_i as f64) < (msg_i as f64 + 1.0) * a.media_share {
                msg_i += 1;
                let (id, sha) = &photos[media_i as usize % photos.len()];
                media_i += 1;
                image_body(msg_i, id, sha)
            } else {
                msg_i += 1;
                message_body(msg_i)
            };
            let permit = limit.clone().acquire_owned().await.unwrap();
            let (http, url, errors) = (http.clone(), url.clone(), errors.clone());
            tasks.push(tokio::spawn(async move {
                let sig = sign_webhook(SECRET.as_bytes(), &body);
                let t = Instant::now();
                let r =
                    http.post(&url).header("content-type", "application/json").header("x-hub-signature-256", sig).body(body).send().await;
                drop(permit);
                match r {
                    Ok(resp) if resp.status().is_success() => Some(t.elapsed().as_secs_f64() * 1e3),
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        None
                    }
                }
            }));
        }
        let mut lat = Vec::with_capacity(tasks.len());
        for t in tasks {
            lat.extend(t.await.unwrap());
        }
        lat
    });
    let load_secs = started.elapsed().as_secs_f64();
    let stopped = Instant::now();
    while count(rt, &parts, "SELECT COUNT(*) FROM webhook_events WHERE state = 'pending'") > 0
        && stopped.elapsed() < Duration::from_secs(600)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let emptied = stopped.elapsed().as_secs_f64();
    while a.media_share > 0.0
        && count(rt, &parts, "SELECT COUNT(*) FROM media WHERE state = 'pending'") > 0
        && stopped.elapsed() < Duration::from_secs(600)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let media_done = stopped.elapsed().as_secs_f64();
    sampling.store(false, Ordering::Relaxed);
    let samples = samples.join().unwrap();
    let ok = latencies.len();
    println!("mode          sustained, {} webhooks/s for {} s, {:.0} % statuses", a.rate, a.seconds, a.status_share * 100.0);
    if a.split {
        let cap = a.worker_cpus.map_or("uncapped".to_owned(), |f| format!("capped at {f} CPUs"));
        println!("layout        split: API-only service acknowledges, worker service ({cap}) processes");
    }
    println!("offered       {total} in {load_secs:.1} s ({:.0}/s)", total as f64 / load_secs);
    println!("acknowledged  {ok}, errors {}", errors.load(Ordering::Relaxed));
    println!("ack latency   ms {}", percentiles(latencies));
    let during: Vec<i64> = samples.iter().filter(|(t, _)| *t <= load_secs).map(|(_, p)| *p).collect();
    println!("backlog       per second during the load: {during:?}");
    println!("              max {}, last {}", during.iter().max().copied().unwrap_or(0), during.last().copied().unwrap_or(0));
    println!("emptied       {emptied:.1} s after the load stopped");
    let inbound = count(rt, &parts, "SELECT COUNT(*) FROM messages WHERE direction = 'inbound'");
    let read = count(rt, &parts, "SELECT COUNT(*) FROM messages WHERE status = 'read'");
    let dead = count(rt, &parts, "SELECT COUNT(*) FROM webhook_events WHERE state = 'dead'");
    println!("check         inbound messages {inbound}, messages read {read}, dead letters {dead}");
    if a.media_share > 0.0 {
        let stored = count(rt, &parts, "SELECT COUNT(*) FROM media WHERE state = 'stored'");
        let files = count(rt, &parts, "SELECT COUNT(*) FROM media");
        let failed = count(rt, &parts, "SELECT COUNT(*) FROM media WHERE state = 'failed'");
        let retried = count(rt, &parts, "SELECT COUNT(*) FROM media WHERE attempts > 0");
        println!(
            "media         {files} photos announced ({:.0} % of messages); stored {stored}, failed {failed}, retried {retried}",
            100.0 * files as f64 / inbound.max(1) as f64
        );
        println!("              every file stored {media_done:.1} s after the load stopped");
        if a.media_store == "s3" {
            println!("              the bucket received {:.1} MB", S3_BYTES.load(Ordering::Relaxed) as f64 / 1e6);
        }
    }
    if rules().0 > 0 || a.status_share < 1.0 {
        println!("rules         {} automated responses; {:.0} % of messages match one", rules().0, rules().1 * 100.0);
        turn_report(rt, &parts);
    }
    if let Some(stop_worker) = stop_worker {
        stop_worker();
    }
    stop();
    let _ = std::fs::remove_dir_all(media_dir());
}
