//! Sends through the one send entry over HTTP (issue 19: `POST /api/v1/messages/template` with
//! 64 clients at ≥ 0.3× pgbench's one-row inserts, to many recipients and to a few).
//!
//! ```sh
//! cargo build --release -p bench --bin send-bench
//! ./target/release/send-bench --database-url postgres://postgres@127.0.0.1:5432/postgres [--recipients 10000] [--seconds 10] [--concurrency 64]
//! ```
//!
//! The service runs in-process on its own 2-thread runtime with no workers and `SEND_WAIT_MS=0`,
//! so each request is the send's transaction (identify the customer, the window, the template's
//! and the consent's look-ups, the message and its queue row) answered 202 `queued`: what a
//! sibling service's notifications cost. The clients run on a third thread; each request goes to
//! recipient `i % --recipients` (first-time customers at first, known ones after).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use api::startup::{Application, Options};
use sea_orm::ConnectionTrait;

const ADMIN: &str = "bench-admin-key";

fn main() {
    rustls::crypto::ring::default_provider().install_default().expect("provider");
    let (mut url, mut recipients, mut seconds, mut concurrency) = (None, 10_000u64, 10u64, 64usize);
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--database-url" => url = Some(v),
            "--recipients" => recipients = v.parse().expect("--recipients N"),
            "--seconds" => seconds = v.parse().expect("--seconds N"),
            "--concurrency" => concurrency = v.parse().expect("--concurrency N"),
            other => panic!("unknown argument {other}"),
        }
    }
    let url = url.expect("--database-url postgres://…");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let db_url = rt.block_on(async {
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(url.as_str()).await.expect("connect");
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create database");
        format!("{}/{name}", url.rsplit_once('/').unwrap().0)
    });
    let env: std::collections::HashMap<&str, String> = std::collections::HashMap::from([
        ("SANDBOX", "1".to_owned()),
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", db_url.clone()),
        ("META_APP_SECRET", "bench".to_owned()),
        ("ADMIN_API_KEY", ADMIN.to_owned()),
        ("SEND_WAIT_MS", "0".to_owned()),
        ("RATE_LIMIT_PER_MINUTE", "1000000".to_owned()),
        ("RATE_LIMIT_PER_KEY_PER_MINUTE", "1000000".to_owned()),
        ("RATE_LIMIT_PER_INSTANCE_PER_MINUTE", "100000000".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ]);
    let config = infrastructure::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let app = rt.block_on(Application::build(config, Options { workers: false, migrate: true })).expect("app");
    let base = format!("http://{}", app.addr);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let client_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (ok, errors, lat, secs) = client_rt.block_on(async move {
        let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
        let post = |path: String, key: String, body: Value| {
            let http = http.clone();
            let base = base.clone();
            async move { http.post(format!("{base}{path}")).bearer_auth(key).json(&body).send().await.unwrap() }
        };
        let shop: Value = post("/api/v1/shops".into(), ADMIN.into(), json!({"name": "bench"})).await.json().await.unwrap();
        let shop = shop["id"].as_str().unwrap().to_owned();
        let key: Value =
            post(format!("/api/v1/shops/{shop}/api-keys"), ADMIN.into(), json!({"name": "b", "role": "admin"})).await.json().await.unwrap();
        let key = key["key"].as_str().unwrap().to_owned();
        let r = post(
            "/api/v1/accounts".into(),
            key.clone(),
            json!({"phoneNumberId": "1065403522", "displayPhoneNumber": "+15550001111", "wabaId": "9001", "accessToken": "EAAG-bench"}),
        )
        .await;
        assert_eq!(r.status().as_u16(), 201, "connect");
        let (ok, errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let next = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let deadline = started + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (http, base, key, ok, errors, next) = (http.clone(), base.clone(), key.clone(), ok.clone(), errors.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let body = json!({"from": "+15550001111", "to": format!("+55119{:08}", i % recipients),
                                      "template": {"name": "order_update", "language": "en_US"}});
                    let t = Instant::now();
                    let r = http.post(format!("{base}/api/v1/messages/template")).bearer_auth(&key).json(&body).send().await;
                    match r {
                        Ok(r) if r.status().is_success() => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            lat.push(t.elapsed().as_secs_f64() * 1e3);
                        }
                        Ok(r) => {
                            if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                                eprintln!("{}: {}", r.status(), r.text().await.unwrap_or_default());
                            }
                        }
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                lat
            }));
        }
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await.unwrap());
        }
        // Contention shows as commands run again after a concurrent change.
        let metrics = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
        for line in metrics.lines().filter(|l| l.starts_with("whatsapp_command_reruns_total")) {
            println!("reruns        {line}");
        }
        (ok.load(Ordering::Relaxed), errors.load(Ordering::Relaxed), lat, started.elapsed().as_secs_f64())
    });
    let mut lat = lat;
    lat.sort_by(f64::total_cmp);
    let p = |q: f64| lat.get(((lat.len() as f64 * q) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or(f64::NAN);
    println!("sends         {ok} queued (202), {errors} errors, in {secs:.1} s: {:.0}/s", ok as f64 / secs);
    println!("recipients    {recipients}, clients {concurrency}");
    println!(
        "latency       ms p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        p(0.5),
        p(0.9),
        p(0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    let _ = tx.send(());
    server.abort();
}
