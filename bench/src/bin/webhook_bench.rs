//! Webhook ingestion benchmark: signed inbound-message webhooks per second acknowledged (and
//! durably stored), with ack latency percentiles. The service runs in-process on its own
//! 2-thread runtime; the load generator runs on another thread of the same machine.
//!
//! cargo run --release -p bench --bin webhook-bench -- [--database-url URL] [--concurrency 64]
//!     [--seconds 10] [--workers]
//!
//! Default database: a fresh SQLite file. For Postgres pass e.g.
//! `--database-url postgres://postgres@127.0.0.1:5432/postgres` (a fresh database is created).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use api::startup::{Application, Options};
use infrastructure::config::Config;
use infrastructure::crypto::sign_webhook;

const SECRET: &str = "bench-secret";

struct Args {
    database_url: Option<String>,
    concurrency: usize,
    seconds: u64,
    workers: bool,
}

fn args() -> Args {
    let mut a = Args { database_url: None, concurrency: 64, seconds: 10, workers: false };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        match k.as_str() {
            "--database-url" => a.database_url = it.next(),
            "--concurrency" => a.concurrency = it.next().and_then(|v| v.parse().ok()).expect("--concurrency N"),
            "--seconds" => a.seconds = it.next().and_then(|v| v.parse().ok()).expect("--seconds N"),
            "--workers" => a.workers = true,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn payload(i: u64) -> Vec<u8> {
    let ts = chrono::Utc::now().timestamp();
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"9001","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550001111","phone_number_id":"1065403522"}},"contacts":[{{"profile":{{"name":"Bench"}},"wa_id":"55119{n:08}"}}],"messages":[{{"from":"55119{n:08}","id":"wamid.BENCH{i}","timestamp":"{ts}","type":"text","text":{{"body":"benchmark message {i}"}}}}]}}}}]}}]}}"#,
        n = i % 10_000
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
            format!("{}/{name}", u.rsplit_once('/').unwrap().0)
        }
    }
}

fn main() {
    rustls::crypto::ring::default_provider().install_default().expect("provider");
    let a = args();
    let dir = tempfile::tempdir().expect("tempdir");
    let server_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let db_url = server_rt.block_on(fresh_db(a.database_url.clone(), dir.path()));
    let env = std::collections::HashMap::from([
        ("SANDBOX", "1".to_owned()),
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", db_url.clone()),
        ("META_APP_SECRET", SECRET.to_owned()),
    ]);
    let config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let app = server_rt.block_on(Application::build(config, Options { workers: a.workers, migrate: true })).expect("app");
    let addr = app.addr;
    let parts = app.parts.clone();
    server_rt.block_on(async {
        use application::accounts::connect_account::{ConnectAccountHandler, ConnectWhatsAppAccount};
        use application::tenancy::create_shop::{CreateShop, CreateShopHandler};
        let ctx = application::RequestContext::system("bench");
        let create = CreateShopHandler { clock: parts.clock.clone() };
        let shop = parts.pipeline.execute(&ctx, &create, CreateShop { name: "bench".into() }).await.unwrap();
        let cmd = ConnectWhatsAppAccount {
            shop_id: shop.id,
            phone_number_id: domain::PhoneNumberId::parse("1065403522").unwrap(),
            display_phone_number: domain::PhoneNumber::parse("+15550001111").unwrap(),
            waba_id: domain::WabaId::parse("9001").unwrap(),
            display_name: None,
            access_token: application::shared::ports::Secret::new("bench"),
        };
        let connect = ConnectAccountHandler { clock: parts.clock.clone(), cipher: parts.cipher.clone() };
        parts.pipeline.execute(&ctx, &connect, cmd).await.unwrap();
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = server_rt.spawn(app.run_until(async move {
        let _ = stop_rx.await;
    }));

    let client_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let url = format!("http://{addr}/webhooks/whatsapp");
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let started = Instant::now();
    let latencies: Vec<Vec<f64>> = client_rt.block_on(async {
        let http = reqwest::Client::builder().pool_max_idle_per_host(a.concurrency).build().unwrap();
        let mut tasks = Vec::new();
        for _ in 0..a.concurrency {
            let (http, url, counter, errors) = (http.clone(), url.clone(), counter.clone(), errors.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(100_000);
                while Instant::now() < deadline {
                    let i = counter.fetch_add(1, Ordering::Relaxed);
                    let body = payload(i);
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
            all.push(t.await.unwrap());
        }
        all
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut lat: Vec<f64> = latencies.into_iter().flatten().collect();
    lat.sort_by(|x, y| x.partial_cmp(y).unwrap());
    let ok = lat.len();
    let pct = |p: f64| lat.get(((ok as f64 * p) as usize).min(ok.saturating_sub(1))).copied().unwrap_or(f64::NAN);
    let count = |sql: &'static str| {
        let parts = parts.clone();
        server_rt.block_on(async move {
            use sea_orm::{ConnectionTrait, Statement};
            let conn = &parts.db.conn;
            let row = conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql.to_owned())).await.unwrap().unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        })
    };
    let stored = count("SELECT COUNT(*) FROM webhook_events");
    // With workers: how fast stored deliveries become messages (the worker runs during the load
    // and keeps going until the backlog is empty).
    let processing = a.workers.then(|| {
        let processed_during_load = count("SELECT COUNT(*) FROM webhook_events WHERE state <> 'pending'");
        let drain_started = Instant::now();
        while count("SELECT COUNT(*) FROM webhook_events WHERE state = 'pending'") > 0 && drain_started.elapsed() < Duration::from_secs(600)
        {
            std::thread::sleep(Duration::from_millis(200));
        }
        let total = started.elapsed().as_secs_f64();
        let messages = count("SELECT COUNT(*) FROM messages");
        (processed_during_load, drain_started.elapsed().as_secs_f64(), messages, total)
    });
    println!("database      {}", if db_url.starts_with("sqlite") { "sqlite" } else { "postgres" });
    println!("concurrency   {}", a.concurrency);
    println!("workers       {}", a.workers);
    println!("duration      {elapsed:.1} s");
    println!("acknowledged  {ok} ({:.0}/s)", ok as f64 / elapsed);
    println!("errors        {}", errors.load(Ordering::Relaxed));
    println!("stored rows   {stored} (every 200 was stored: {})", stored as usize >= ok);
    println!(
        "latency ms    p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    if let Some((during, drain, messages, total)) = processing {
        println!("processed     {during} during the load ({:.0}/s while acknowledging)", during as f64 / elapsed);
        println!(
            "drained       backlog in {drain:.1} s more; {messages} messages stored; {:.0} processed/s overall",
            messages as f64 / total
        );
    }
    let _ = stop_tx.send(());
    let _ = server_rt.block_on(server);
}
