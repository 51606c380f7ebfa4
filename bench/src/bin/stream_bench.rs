//! The live stream at scale (issue 20): 1,000 clients of `GET /api/v1/stream` on one replica.
//! The service runs as its own process (the release binary, sandbox mode), so that its memory is
//! read alone from `/proc/<pid>/status`; the clients run in this process.
//!
//! cargo build --release -p api --bin whatsapp-service && cargo build --release -p bench --bin stream-bench
//! ./target/release/stream-bench [--binary target/release/whatsapp-service] [--clients 1000] [--customers 100]
//!                               [--database-url postgres://postgres@127.0.0.1:5432/postgres]
//!
//! It reports the service's resident memory idle, with the clients connected, and at its peak
//! while customers write and every client receives every event; the outbox reads per second
//! with no client and with all of them (`whatsapp_live_polls_total`); and how long the last
//! client waits after the first one has an event (the fan-out). Without `--database-url` the
//! service uses SQLite in a temporary folder; with it, a fresh Postgres database (left for
//! inspection: drop `bench_*` databases afterwards).

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const ADMIN: &str = "sandbox-admin-key";
const PNID: &str = "1065403522";

struct Args {
    binary: String,
    clients: usize,
    customers: usize,
    database_url: Option<String>,
}

fn args() -> Args {
    let mut a = Args { binary: "target/release/whatsapp-service".into(), clients: 1000, customers: 100, database_url: None };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--binary" => a.binary = v,
            "--clients" => a.clients = v.parse().unwrap(),
            "--customers" => a.customers = v.parse().unwrap(),
            "--database-url" => a.database_url = Some(v),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// The service, killed when dropped.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the service's /proc status");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kb / 1024.0
}

async fn metric(http: &reqwest::Client, base: &str, name: &str) -> f64 {
    let text = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok())).unwrap_or(0.0)
}

/// Per event id: when the first client had it, when the last did, and how many have it.
type Seen = Arc<Mutex<HashMap<i64, (Instant, Instant, usize)>>>;

/// One client: reads the stream, noting each event's arrival, until the process ends.
async fn client(http: reqwest::Client, base: String, key: String, seen: Seen, connected: Arc<std::sync::atomic::AtomicUsize>) {
    let mut r = http.get(format!("{base}/api/v1/stream")).bearer_auth(&key).send().await.expect("a stream");
    assert_eq!(r.status().as_u16(), 200, "the stream answers");
    connected.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let mut buffer = String::new();
    while let Ok(Some(chunk)) = r.chunk().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(cut) = buffer.find("\n\n") {
            let block: String = buffer.drain(..cut + 2).collect();
            let id = block.lines().find_map(|l| l.strip_prefix("id:")).and_then(|v| v.trim().parse::<i64>().ok());
            if let Some(id) = id {
                let now = Instant::now();
                let mut s = seen.lock().unwrap();
                let e = s.entry(id).or_insert((now, now, 0));
                e.1 = now;
                e.2 += 1;
            }
        }
    }
}

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let a = args();
    let dir = tempfile::tempdir().unwrap();
    let db_url = match &a.database_url {
        None => format!("sqlite://{}/stream.db?mode=rwc", dir.path().display()),
        Some(server) => {
            let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(server.as_str()).await.expect("connect");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create database");
            format!("{}/{name}", server.rsplit_once('/').unwrap().0)
        }
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let service = Service(
        Command::new(&a.binary)
            .env("SANDBOX", "1")
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("METRICS_BIND_ADDR", "main")
            .env("DATABASE_URL", &db_url)
            .env("MEDIA_STORE_URL", dir.path().join("media").display().to_string())
            .env("RUST_LOG", "warn")
            .env("RATE_LIMIT_PER_MINUTE", "1000000")
            .env("RATE_LIMIT_PER_KEY_PER_MINUTE", "1000000")
            .env("RATE_LIMIT_PER_INSTANCE_PER_MINUTE", "100000000")
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", a.binary)),
    );
    let mut service = service;
    let pid = service.0.id();
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    for _ in 0..600 {
        if let Some(exit) = service.0.try_wait().unwrap() {
            panic!("the service stopped: {exit}");
        }
        if http.get(format!("{base}/health/live")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let post = |key: &str, path: &str, body: Value| http.post(format!("{base}{path}")).bearer_auth(key).json(&body).send();
    let shop: Value = post(ADMIN, "/api/v1/shops", json!({"name": "bench"})).await.unwrap().json().await.unwrap();
    let shop = shop["id"].as_str().unwrap().to_owned();
    let key: Value =
        post(ADMIN, &format!("/api/v1/shops/{shop}/api-keys"), json!({"name": "b", "role": "admin"})).await.unwrap().json().await.unwrap();
    let key = key["key"].as_str().unwrap().to_owned();
    let connected = post(
        &key,
        "/api/v1/accounts",
        json!({"phoneNumberId": PNID, "displayPhoneNumber": "+15550001111", "wabaId": "2002", "accessToken": "EAAG-sandbox"}),
    )
    .await
    .unwrap();
    assert!(connected.status().is_success(), "connect the number");

    // Idle: the service with no client, after a warm-up customer.
    let say = |i: usize| {
        http.post(format!("{base}/sandbox/customers/messages"))
            .json(&json!({"phoneNumberId": PNID, "from": format!("+55119{:08}", i), "name": format!("C{i}"), "text": "Oi, tudo bem?"}))
            .send()
    };
    assert!(say(0).await.unwrap().status().is_success());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = rss_mib(pid);
    let polls0 = metric(&http, &base, "whatsapp_live_polls_total").await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let idle_polls = (metric(&http, &base, "whatsapp_live_polls_total").await - polls0) / 10.0;

    // The clients connect.
    let seen: Seen = Arc::new(Mutex::new(HashMap::new()));
    let up = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let clients_http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let started = Instant::now();
    let tasks: Vec<_> =
        (0..a.clients).map(|_| tokio::spawn(client(clients_http.clone(), base.clone(), key.clone(), seen.clone(), up.clone()))).collect();
    while up.load(std::sync::atomic::Ordering::SeqCst) < a.clients {
        assert!(started.elapsed() < Duration::from_secs(120), "only {} clients connected", up.load(std::sync::atomic::Ordering::SeqCst));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connect_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let gauge = metric(&http, &base, "whatsapp_stream_clients").await;
    let with_clients = rss_mib(pid);
    let polls1 = metric(&http, &base, "whatsapp_live_polls_total").await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let busy_polls = (metric(&http, &base, "whatsapp_live_polls_total").await - polls1) / 10.0;

    // Customers write; every client receives every event. Memory is sampled meanwhile.
    let peak = Arc::new(Mutex::new(with_clients));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(std::sync::atomic::Ordering::SeqCst) {
                let r = rss_mib(pid);
                {
                    let mut p = peak.lock().unwrap();
                    *p = p.max(r);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let burst = Instant::now();
    for i in 1..=a.customers {
        assert!(say(i).await.unwrap().status().is_success());
    }
    // Settled: no new event and every event at every client for 3 s.
    let mut last = (0, 0);
    let mut quiet_since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let s = seen.lock().unwrap();
        let now = (s.len(), s.values().map(|e| e.2).sum::<usize>());
        drop(s);
        if now != last {
            last = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() > Duration::from_secs(3) {
            break;
        }
        assert!(burst.elapsed() < Duration::from_secs(300), "events still arriving after 5 minutes");
    }
    let drained_s = (quiet_since - burst).as_secs_f64();
    sampling.store(false, std::sync::atomic::Ordering::SeqCst);
    sampler.await.unwrap();
    let after = rss_mib(pid);
    let s = seen.lock().unwrap();
    let complete = s.values().filter(|e| e.2 == a.clients).count();
    let fanout: Vec<f64> = s.values().map(|e| (e.1 - e.0).as_secs_f64() * 1e3).collect();
    let events = s.len();
    drop(s);
    for t in tasks {
        t.abort();
    }

    println!(
        "stream bench: {} clients on one replica ({}), {} customers writing",
        a.clients,
        if a.database_url.is_some() { "Postgres" } else { "SQLite" },
        a.customers
    );
    println!("  clients connected in            {connect_s:.2} s (whatsapp_stream_clients = {gauge})");
    println!("  outbox reads/s, no client       {idle_polls:.1}");
    println!("  outbox reads/s, {} clients    {busy_polls:.1}", a.clients);
    println!("  RSS idle                        {idle:.1} MiB");
    println!(
        "  RSS with the clients            {with_clients:.1} MiB  (+{:.1} MiB, {:.1} KiB a client)",
        with_clients - idle,
        (with_clients - idle) * 1024.0 / a.clients as f64
    );
    let peak = *peak.lock().unwrap();
    println!("  RSS peak while events fan out   {peak:.1} MiB  (+{:.1} MiB over idle)", peak - idle);
    println!("  RSS after                       {after:.1} MiB");
    println!("  events                          {events}, received by every client: {complete}");
    println!(
        "  fan-out (first → last client)   p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(fanout.clone(), 0.5),
        pct(fanout.clone(), 0.99),
        pct(fanout, 1.0)
    );
    println!("  burst to the last event          {drained_s:.2} s");
}
