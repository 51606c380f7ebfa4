use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Response;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use api::startup::{Application, Options, Parts};
use infrastructure::config::Config;
use infrastructure::crypto::sign_webhook;

pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";
pub const ADMIN_KEY: &str = "test-platform-admin-key";

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// Postgres if `TEST_POSTGRES_URL` is set; under `CI=true` a missing URL is a failure.
    pub fn postgres() -> Option<Self> {
        match std::env::var("TEST_POSTGRES_URL") {
            Ok(u) if !u.is_empty() => Some(Self::Postgres(u)),
            _ if std::env::var("CI").as_deref() == Ok("true") => panic!("CI=true but TEST_POSTGRES_URL is not set"),
            _ => {
                eprintln!("skipping the Postgres variant: TEST_POSTGRES_URL is not set");
                None
            }
        }
    }
}

/// RabbitMQ for the broker tests: `TEST_AMQP_URL`; under `CI=true` a missing URL is a failure.
pub fn amqp_url() -> Option<String> {
    match std::env::var("TEST_AMQP_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!("CI=true but TEST_AMQP_URL is not set"),
        _ => {
            eprintln!("skipping a RabbitMQ test: TEST_AMQP_URL is not set");
            None
        }
    }
}

/// Generates `<name>::sqlite` and `<name>::postgres` tests from one `async fn(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(b) = $crate::helpers::Backend::postgres() {
                        super::$name(b).await
                    }
                }
            }
        )*
    };
}

pub struct Opts {
    pub backend: Backend,
    /// `None`: the built-in sandbox plays Meta.
    pub graph_base: Option<String>,
    pub rate_limit_per_minute: u32,
    pub workers: bool,
    pub amqp_url: Option<String>,
    pub send_wait_ms: u64,
    pub redis_url: Option<String>,
    /// Use this database instead of a fresh one (two processes sharing one queue).
    pub database_url: Option<String>,
    pub extra_env: Vec<(&'static str, String)>,
}

impl Opts {
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            graph_base: None,
            rate_limit_per_minute: 100_000,
            workers: true,
            amqp_url: None,
            send_wait_ms: 5000,
            redis_url: None,
            database_url: None,
            extra_env: Vec::new(),
        }
    }
}

pub struct TestApp {
    pub base: String,
    /// `/metrics` on its own listener, when `METRICS_BIND_ADDR` is set.
    pub metrics_base: Option<String>,
    pub db_url: String,
    pub http: reqwest::Client,
    pub state: Arc<Parts>,
    _dir: tempfile::TempDir,
    /// Postgres: (server URL, database) to drop when the test ends.
    pg_database: Option<(String, String)>,
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<()>>,
}

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // `TEST_LOG=1` shows the service's logs (filtered by `RUST_LOG`) while debugging a test.
    if std::env::var("TEST_LOG").is_ok() {
        api::telemetry::init(&infrastructure::config::LogFormat::Pretty);
    }
}

/// A fresh database URL for one test.
pub async fn fresh_database(backend: &Backend, dir: &tempfile::TempDir) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}/test.db?mode=rwc", dir.path().display()),
        Backend::Postgres(url) => {
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(url.as_str()).await.expect("connect to TEST_POSTGRES_URL");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
            admin.close().await.ok();
            let (head, _) = url.rsplit_once('/').expect("TEST_POSTGRES_URL has a database part");
            format!("{head}/{name}")
        }
    }
}

pub fn config(db_url: &str, opts: &Opts) -> Config {
    let mut env: HashMap<&str, String> = HashMap::from([
        ("SANDBOX", "1".into()),
        ("BIND_ADDR", "127.0.0.1:0".into()),
        ("DATABASE_URL", db_url.into()),
        ("META_APP_SECRET", APP_SECRET.into()),
        ("WEBHOOK_VERIFY_TOKEN", VERIFY_TOKEN.into()),
        ("ADMIN_API_KEY", ADMIN_KEY.into()),
        ("SANDBOX_STATUS_DELAY_MS", "30".into()),
        ("WHATSAPP_RETRY_BASE_MS", "5".into()),
        ("WHATSAPP_API_TIMEOUT_MS", "2000".into()),
        ("RATE_LIMIT_PER_MINUTE", opts.rate_limit_per_minute.to_string()),
        ("RATE_LIMIT_PER_INSTANCE_PER_MINUTE", "100000000".into()),
        ("RATE_LIMIT_PER_KEY_PER_MINUTE", "1000000".into()),
        ("PAIR_BURST", "45".into()),
        ("SEND_WAIT_MS", opts.send_wait_ms.to_string()),
    ]);
    for (k, v) in &opts.extra_env {
        env.insert(k, v.clone());
    }
    if let Some(r) = &opts.redis_url {
        env.insert("REDIS_URL", r.clone());
    }
    if let Some(a) = &opts.amqp_url {
        env.insert("AMQP_URL", a.clone());
    }
    if let Some(g) = &opts.graph_base {
        env.insert("WHATSAPP_API_BASE_URL", g.clone());
    }
    Config::from_lookup(|k| env.get(k).cloned()).expect("test config")
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_with(Opts::new(backend)).await
}

pub async fn spawn_with(opts: Opts) -> TestApp {
    install_crypto();
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = match &opts.database_url {
        Some(u) => u.clone(),
        None => fresh_database(&opts.backend, &dir).await,
    };
    let mut cfg = config(&db_url, &opts);
    if !opts.extra_env.iter().any(|(k, _)| *k == "MEDIA_STORE_URL") {
        cfg.media_store_url = dir.path().join("media").display().to_string();
    }
    let app = Application::build(cfg, Options { workers: opts.workers, migrate: true }).await.expect("app builds");
    let base = format!("http://{}", app.addr);
    let metrics_base = app.metrics_addr.map(|a| format!("http://{a}"));
    let state = app.parts.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        let _ = app
            .run_until(async move {
                let _ = rx.await;
            })
            .await;
    });
    let pg_database = match (&opts.backend, &opts.database_url) {
        (Backend::Postgres(server), None) => db_url.rsplit_once('/').map(|(_, name)| (server.clone(), name.to_owned())),
        _ => None,
    };
    TestApp {
        base,
        metrics_base,
        db_url: db_url.clone(),
        http: reqwest::Client::new(),
        state,
        _dir: dir,
        pg_database,
        stop: Some(tx),
        done: Some(done),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(d) = self.done.take() {
            d.abort();
        }
        if let Some((server, name)) = self.pg_database.take() {
            // A thread with its own runtime: Drop may run inside the test's runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(c) = sea_orm::Database::connect(server.as_str()).await {
                        let _ = c.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                    }
                });
            })
            .join();
        }
    }
}

pub async fn json(r: Response) -> Value {
    let status = r.status();
    let text = r.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
}

/// Assert the contract's error body and return it.
pub async fn expect_error(r: Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "status");
    let v = json(r).await;
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    assert!(v["error"]["details"].is_object(), "{v}");
    v
}

pub struct Shop {
    pub id: String,
    pub admin: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `/metrics` on the main listener, as text.
    pub async fn metrics(&self) -> String {
        self.http.get(self.url("/metrics")).send().await.unwrap().text().await.unwrap()
    }

    pub async fn post(&self, key: &str, path: &str, body: Value) -> Response {
        self.http.post(self.url(path)).bearer_auth(key).json(&body).send().await.expect("request")
    }

    /// A POST with these headers too (`Idempotency-Key`, …).
    pub async fn post_with(&self, key: &str, path: &str, body: Value, headers: &[(&str, &str)]) -> Response {
        let mut r = self.http.post(self.url(path)).bearer_auth(key).json(&body);
        for (name, value) in headers {
            r = r.header(*name, *value);
        }
        r.send().await.expect("request")
    }

    pub async fn patch(&self, key: &str, path: &str, body: Value) -> Response {
        self.http.patch(self.url(path)).bearer_auth(key).json(&body).send().await.expect("request")
    }

    pub async fn put(&self, key: &str, path: &str, body: Value) -> Response {
        self.http.put(self.url(path)).bearer_auth(key).json(&body).send().await.expect("request")
    }

    pub async fn get(&self, key: &str, path: &str) -> Response {
        self.http.get(self.url(path)).bearer_auth(key).send().await.expect("request")
    }

    pub async fn delete(&self, key: &str, path: &str) -> Response {
        self.http.delete(self.url(path)).bearer_auth(key).send().await.expect("request")
    }

    pub async fn create_shop(&self, name: &str) -> Shop {
        let r = self.post(ADMIN_KEY, "/api/v1/shops", json!({"name": name})).await;
        assert_eq!(r.status().as_u16(), 201);
        let id = json(r).await["id"].as_str().unwrap().to_owned();
        let admin = self.create_key(ADMIN_KEY, &id, "admin").await;
        Shop { id, admin }
    }

    pub async fn create_key(&self, with: &str, shop: &str, role: &str) -> String {
        let r = self.post(with, &format!("/api/v1/shops/{shop}/api-keys"), json!({"name": role, "role": role})).await;
        assert_eq!(r.status().as_u16(), 201);
        json(r).await["key"].as_str().unwrap().to_owned()
    }

    pub async fn connect(&self, key: &str, pnid: &str, number: &str) -> Value {
        let r = self
            .post(
                key,
                "/api/v1/accounts",
                json!({"phoneNumberId": pnid, "displayPhoneNumber": number, "wabaId": "9001", "accessToken": "EAAG-test-token"}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201, "connect");
        json(r).await
    }

    /// Deliver a webhook signed with the app secret, as Meta does.
    pub async fn webhook(&self, payload: &Value) -> Response {
        let body = serde_json::to_vec(payload).unwrap();
        self.webhook_raw(&body, Some(&sign_webhook(APP_SECRET.as_bytes(), &body))).await
    }

    pub async fn webhook_raw(&self, body: &[u8], signature: Option<&str>) -> Response {
        let mut req = self.http.post(self.url("/webhooks/whatsapp")).header("content-type", "application/json").body(body.to_vec());
        if let Some(s) = signature {
            req = req.header("x-hub-signature-256", s);
        }
        req.send().await.expect("request")
    }

    /// The sandbox plays the customer writing `text` to the number `pnid`.
    pub async fn customer_says(&self, pnid: &str, from: &str, text: &str) -> String {
        let r = self
            .http
            .post(self.url("/sandbox/customers/messages"))
            .json(&json!({"phoneNumberId": pnid, "from": from, "name": "Ana", "text": text}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        json(r).await["wamid"].as_str().unwrap().to_owned()
    }

    /// A UUID as a literal of the app's database (SQLite keeps UUIDs as 16-byte blobs).
    pub fn uuid_sql(&self, id: &str) -> String {
        if self.db_url.starts_with("sqlite") { format!("X'{}'", id.replace('-', "")) } else { format!("'{id}'") }
    }

    /// Run a statement on the app's database (to play a state the API cannot reach).
    pub async fn exec(&self, sql: &str) {
        self.state.db.conn.execute_unprepared(sql).await.unwrap();
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        let conn = &self.state.db.conn;
        let row = conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql.to_owned())).await.unwrap().unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    pub async fn text(&self, sql: &str) -> Option<String> {
        let conn = &self.state.db.conn;
        let row = conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql.to_owned())).await.unwrap()?;
        row.try_get_by_index::<Option<String>>(0).unwrap()
    }

    pub async fn texts(&self, sql: &str) -> Vec<String> {
        let conn = &self.state.db.conn;
        let rows = conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql.to_owned())).await.unwrap();
        rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()
    }

    pub async fn bytes(&self, sql: &str) -> Vec<u8> {
        let conn = &self.state.db.conn;
        let row = conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql.to_owned())).await.unwrap().unwrap();
        row.try_get_by_index::<Vec<u8>>(0).unwrap()
    }

    /// Wait until every stored webhook has been processed (or dead-lettered).
    pub async fn drained(&self) {
        wait_for("webhooks processed", || async { self.scalar("SELECT COUNT(*) FROM webhook_events WHERE state = 'pending'").await == 0 })
            .await;
    }

    pub async fn messages(&self, key: &str, query: &str) -> Value {
        let r = self.get(key, &format!("/api/v1/messages?{query}")).await;
        assert_eq!(r.status().as_u16(), 200);
        json(r).await
    }
}

pub async fn wait_for<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    // 20 s: the whole suite shares 2 cores with Postgres; a passing check returns at once.
    for _ in 0..800 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for: {what}");
}

// ---- Meta payloads ----

pub fn messages_change(pnid: &str, display: &str, value: Value) -> Value {
    let mut value = value;
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({"display_phone_number": display, "phone_number_id": pnid});
    json!({"object": "whatsapp_business_account", "entry": [{"id": "9001", "changes": [{"field": "messages", "value": value}]}]})
}

pub fn inbound(pnid: &str, from: &str, messages: Vec<Value>) -> Value {
    messages_change(pnid, "15550001111", json!({"contacts": [{"profile": {"name": "Ana"}, "wa_id": from}], "messages": messages}))
}

pub fn text_message(wamid: &str, from: &str, ts: i64, text: &str) -> Value {
    json!({"from": from, "id": wamid, "timestamp": ts.to_string(), "type": "text", "text": {"body": text}})
}

pub fn status(pnid: &str, wamid: &str, status: &str, ts: i64) -> Value {
    messages_change(
        pnid,
        "15550001111",
        json!({"statuses": [{"id": wamid, "status": status, "timestamp": ts.to_string(), "recipient_id": "5511987654321"}]}),
    )
}

pub fn now_ts() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A wiremock responder that answers every send with a fresh wamid, like Meta.
pub struct UniqueWamid(pub std::sync::atomic::AtomicU64, pub Duration);

impl wiremock::Respond for UniqueWamid {
    fn respond(&self, _: &wiremock::Request) -> wiremock::ResponseTemplate {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        wiremock::ResponseTemplate::new(200).set_delay(self.1).set_body_json(json!({"messages": [{"id": format!("wamid.U{n}")}]}))
    }
}

/// The `to` of every request Meta (wiremock) received.
pub async fn recipients(meta: &wiremock::MockServer) -> Vec<String> {
    posts(meta)
        .await
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .filter_map(|b| b["to"].as_str().map(str::to_owned))
        .collect()
}

pub fn template_to(from: &str, to: &str) -> Value {
    json!({"from": from, "to": to, "template": {"name": "order_update", "language": "en_US"}})
}

pub fn redis_url() -> Option<String> {
    match std::env::var("TEST_REDIS_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!("CI=true but TEST_REDIS_URL is not set"),
        _ => None,
    }
}

/// Meta's `GET /{phone-number-id}`, which connecting a number asks first: a fake Meta knows every
/// number for any token.
pub struct NumberLookup;

impl wiremock::Respond for NumberLookup {
    fn respond(&self, req: &wiremock::Request) -> wiremock::ResponseTemplate {
        let id = req.url.path().rsplit('/').next().unwrap_or_default().to_owned();
        wiremock::ResponseTemplate::new(200).set_body_json(json!({"id": id, "verified_name": "Test Business"}))
    }
}

/// A fake Meta, with the number lookup mounted.
pub async fn fake_meta() -> wiremock::MockServer {
    let meta = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path_regex(r"^/v[0-9.]+/[0-9]+$"))
        .respond_with(NumberLookup)
        .mount(&meta)
        .await;
    meta
}

/// What the fake Meta was sent (its POSTs: the number lookups are left out).
pub async fn posts(meta: &wiremock::MockServer) -> Vec<wiremock::Request> {
    meta.received_requests().await.unwrap().into_iter().filter(|r| r.method == wiremock::http::Method::POST).collect()
}

/// A service process that dies with the test: a failed assertion must not leave it running
/// (and holding its port and database) for the rest of the suite.
pub struct KillOnDrop(pub std::process::Child);

impl std::ops::Deref for KillOnDrop {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
