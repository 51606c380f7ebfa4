//! Outbound delivery benchmark: messages per second sustained across 10 numbers, the rate each
//! number achieved against its configured throughput, pair-rate violations, and CPU per 1,000
//! messages, with one or two `whatsapp-service` processes sharing Postgres (and Redis).
//!
//! cargo build --release -p api -p bench --bins
//! ./target/release/delivery-bench --database-url postgres://postgres@127.0.0.1:5432/postgres \
//!     [--processes 2 --redis-url redis://127.0.0.1:6379] [--seconds 10] [--slow-mps 80] [--fast-mps 400]
//!
//! Meta is a fast local fake in this process that records every send (number, recipient, time).

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use poem::web::{Data, Json, Path};
use poem::{EndpointExt, Route, Server, handler, listener::TcpListener, post};
use serde_json::{Value, json};

use api::startup::{Application, Options};
use application::RequestContext;
use application::accounts::connect_account::{ConnectAccountHandler, ConnectWhatsAppAccount};
use application::accounts::update_account::{UpdateAccountHandler, UpdateWhatsAppAccount};
use application::messaging::send_message::{SendMessage, SendMessageHandler, Via};
use application::shared::ports::Secret;
use application::tenancy::create_shop::{CreateShop, CreateShopHandler};
use domain::messaging::TemplateRef;
use domain::{PhoneNumber, PhoneNumberId, WabaId};
use infrastructure::config::Config;

const NUMBERS: usize = 10;
const RECIPIENTS: usize = 1000;
const PAIR_BURST: f64 = 10.0;

struct Args {
    database_url: String,
    redis_url: Option<String>,
    processes: usize,
    seconds: u64,
    slow: u32,
    fast: u32,
}

fn args() -> Args {
    let mut a = Args { database_url: String::new(), redis_url: None, processes: 1, seconds: 10, slow: 80, fast: 400 };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--database-url" => a.database_url = v,
            "--redis-url" => a.redis_url = Some(v),
            "--processes" => a.processes = v.parse().unwrap(),
            "--seconds" => a.seconds = v.parse().unwrap(),
            "--slow-mps" => a.slow = v.parse().unwrap(),
            "--fast-mps" => a.fast = v.parse().unwrap(),
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(a.database_url.starts_with("postgres"), "--database-url postgres://… is required (several processes share it)");
    assert!(a.processes == 1 || a.redis_url.is_some(), "two processes need --redis-url to share the limits");
    a
}

type Log = Arc<Mutex<Vec<(String, String, Instant)>>>;

#[handler]
async fn fake_send(Path((_v, pnid)): Path<(String, String)>, body: Json<Value>, log: Data<&Log>, n: Data<&Arc<AtomicU64>>) -> Json<Value> {
    let to = body.0["to"].as_str().unwrap_or("").to_owned();
    log.lock().unwrap().push((pnid, to, Instant::now()));
    let id = n.fetch_add(1, Ordering::Relaxed);
    Json(json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.BENCH{id}")}]}))
}

fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0) + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn main() {
    rustls::crypto::ring::default_provider().install_default().expect("provider");
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let log: Log = Arc::new(Mutex::new(Vec::with_capacity(100_000)));

    // Fake Meta.
    let meta_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = Route::new().at("/:v/:pnid/messages", post(fake_send)).data(log.clone()).data(Arc::new(AtomicU64::new(0)));
    rt.spawn(Server::new(TcpListener::bind(format!("127.0.0.1:{meta_port}"))).run(app));
    let meta = format!("http://127.0.0.1:{meta_port}");

    // A fresh database.
    let db_url = rt.block_on(async {
        use sea_orm::ConnectionTrait;
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(a.database_url.as_str()).await.unwrap();
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
        format!("{}/{name}", a.database_url.rsplit_once('/').unwrap().0)
    });

    // Enqueue: 10 numbers, their throughput set, `seconds` worth of templates each.
    let rates: Vec<u32> = (0..NUMBERS).map(|i| if i < NUMBERS / 2 { a.slow } else { a.fast }).collect();
    let env = HashMap::from([
        ("SANDBOX", "1".to_owned()),
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", db_url.clone()),
        ("WHATSAPP_API_BASE_URL", meta.clone()),
        ("RATE_LIMIT_PER_MINUTE", "1000000".to_owned()),
        ("RATE_LIMIT_PER_KEY_PER_MINUTE", "1000000".to_owned()),
    ]);
    let enqueue_started = Instant::now();
    let total: usize = rt.block_on(async {
        let config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        let app = Application::build(config, Options { workers: false, migrate: true }).await.unwrap();
        let parts = app.parts.clone();
        let ctx = RequestContext::system("bench");
        let create = CreateShopHandler { clock: parts.clock.clone() };
        let connect = ConnectAccountHandler { clock: parts.clock.clone(), cipher: parts.cipher.clone() };
        let update = UpdateAccountHandler { clock: parts.clock.clone(), cipher: parts.cipher.clone() };
        let send = Arc::new(SendMessageHandler { clock: parts.clock.clone() });
        let shop = parts.pipeline.execute(&ctx, &create, CreateShop { name: "bench".into() }).await.unwrap();
        let mut numbers = Vec::new();
        for (i, rate) in rates.iter().enumerate() {
            let number = PhoneNumber::parse(&format!("+1555000{i:04}")).unwrap();
            let cmd = ConnectWhatsAppAccount {
                shop_id: shop.id,
                phone_number_id: PhoneNumberId::parse(&format!("10000000{i:02}")).unwrap(),
                display_phone_number: number.clone(),
                waba_id: WabaId::parse("9001").unwrap(),
                display_name: None,
                access_token: Secret::new("bench"),
            };
            let acc = parts.pipeline.execute(&ctx, &connect, cmd).await.unwrap();
            let upd = UpdateWhatsAppAccount { shop_id: shop.id, account_id: acc.id(), throughput_mps: Some(*rate), ..Default::default() };
            parts.pipeline.execute(&ctx, &update, upd).await.unwrap();
            numbers.push((number, *rate as usize * a.seconds as usize));
        }
        let mut jobs = Vec::new();
        for (ni, (number, count)) in numbers.into_iter().enumerate() {
            for worker in 0..2 {
                let (parts, send, number) = (parts.clone(), send.clone(), number.clone());
                jobs.push(tokio::spawn(async move {
                    let ctx = RequestContext::system("bench");
                    for k in (worker..count).step_by(2) {
                        let cmd = SendMessage {
                            shop_id: shop.id,
                            via: Via::Numbers {
                                from: number.clone(),
                                to: PhoneNumber::parse(&format!("+55{ni:02}9{:07}", k % RECIPIENTS)).unwrap(),
                            },
                            content: None,
                            template: Some(TemplateRef { name: "bench".into(), language: "en_US".into(), components: vec![] }),
                            force_template: true,
                            user_id: None,
                            reply_to: None,
                            idempotency: None,
                            sent_by: domain::messaging::Sender::System("bench".into()),
                        };
                        parts.pipeline.execute(&ctx, send.as_ref(), cmd).await.unwrap();
                    }
                }));
            }
        }
        for j in jobs {
            j.await.unwrap();
        }
        rates.iter().map(|r| *r as usize * a.seconds as usize).sum()
    });
    println!("enqueued      {total} messages in {:.1} s", enqueue_started.elapsed().as_secs_f64());

    // Dispatch: 1 or 2 real service processes on the shared queue.
    let bin = std::env::current_exe().unwrap().parent().unwrap().join("whatsapp-service");
    let started = Instant::now();
    let mut children: Vec<Child> = (0..a.processes)
        .map(|_| {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut c = Command::new(&bin);
            c.args(["serve", "--skip-migrations"])
                .env_clear()
                .env("SANDBOX", "1")
                .env("RATE_LIMIT_PER_INSTANCE_PER_MINUTE", "100000000")
                .env("BIND_ADDR", format!("127.0.0.1:{port}"))
                .env("DATABASE_URL", &db_url)
                .env("WHATSAPP_API_BASE_URL", &meta)
                .env("OUTBOUND_HEADROOM_PERCENT", "0")
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if let Some(r) = &a.redis_url {
                c.env("REDIS_URL", r);
            }
            c.spawn().expect("whatsapp-service binary next to the bench (cargo build --release -p api --bins)")
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(a.seconds * 4 + 60);
    let cpu = loop {
        std::thread::sleep(Duration::from_millis(200));
        let sent = log.lock().unwrap().len();
        let cpu: f64 = children.iter().map(|c| cpu_seconds(c.id())).sum();
        if sent >= total || Instant::now() > deadline {
            break cpu;
        }
    };
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    let wall = started.elapsed().as_secs_f64();

    let log = log.lock().unwrap();
    let first = log.iter().map(|e| e.2).min().unwrap();
    let last = log.iter().map(|e| e.2).max().unwrap();
    let span = (last - first).as_secs_f64();
    println!("processes     {} ({} limits)", a.processes, if a.redis_url.is_some() { "Redis-shared" } else { "in-process" });
    println!("sent          {} of {total} in {span:.2} s: {:.0} messages/s aggregate", log.len(), log.len() as f64 / span);
    let mut by_number: HashMap<&str, Vec<Instant>> = HashMap::new();
    let mut by_pair: HashMap<(&str, &str), Vec<Instant>> = HashMap::new();
    for (pnid, to, t) in log.iter() {
        by_number.entry(pnid.as_str()).or_default().push(*t);
        by_pair.entry((pnid.as_str(), to.as_str())).or_default().push(*t);
    }
    let mut keys: Vec<&&str> = by_number.keys().collect();
    keys.sort();
    let mut worst: f64 = 0.0;
    for k in keys {
        let mut ts = by_number[*k].clone();
        ts.sort();
        let i: usize = k[8..].parse().unwrap();
        let configured = rates[i] as f64;
        // Steady state: from the end of the first second (after the burst) to the last send.
        let t1 = ts[0] + Duration::from_secs(1);
        let steady: Vec<&Instant> = ts.iter().filter(|t| **t >= t1).collect();
        let rate =
            if steady.len() > 1 { (steady.len() - 1) as f64 / (*steady[steady.len() - 1] - *steady[0]).as_secs_f64() } else { f64::NAN };
        let dev = (rate - configured) / configured * 100.0;
        worst = worst.max(dev.abs());
        println!("  number {k}: {} sent, configured {configured:.0}/s, achieved {rate:.1}/s ({dev:+.2} %)", ts.len());
    }
    // Pair violations: replay each recipient's sends through the pair rule (1 per 6 s, burst 10).
    let interval = 6.0;
    let mut violations = 0;
    for ts in by_pair.values_mut() {
        ts.sort();
        let mut tat = 0.0f64;
        for t in ts.iter() {
            let now = (*t - first).as_secs_f64();
            let tat0 = tat.max(now);
            if tat0 - now > PAIR_BURST * interval - interval + 0.05 {
                violations += 1;
            }
            tat = tat0 + interval;
        }
    }
    println!("worst number  {worst:.2} % from configured");
    println!("pair limit    {violations} violations");
    println!(
        "cpu           {:.2} s in the service process(es): {:.0} ms per 1,000 messages (wall {wall:.1} s)",
        cpu,
        cpu * 1e6 / log.len() as f64
    );
    rt.block_on(async {
        use sea_orm::ConnectionTrait;
        let admin = sea_orm::Database::connect(a.database_url.as_str()).await.unwrap();
        let name = db_url.rsplit_once('/').unwrap().1;
        let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
    });
}
