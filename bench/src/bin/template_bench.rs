//! Template sync at scale (issue 10): N templates made at "Meta" (the sandbox's Graph API, over
//! HTTP, pages of 100), then `POST /api/v1/templates/sync` timed over the HTTP API of the real
//! service (in this process, on port 0), then a second sync with nothing new.
//!
//! cargo build --release -p bench --bin template-bench
//! ./target/release/template-bench [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--templates 5000]
//!
//! Without `--database-url` it runs on a fresh SQLite file. A fresh Postgres database is created
//! (and left for inspection; drop `bench_*` databases afterwards).

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Value, json};

use api::startup::{Application, Options};
use infrastructure::config::Config;

const ADMIN: &str = "sandbox-admin-key";

fn args() -> (Option<String>, usize) {
    let (mut url, mut n) = (None, 5000);
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--database-url" => url = Some(v),
            "--templates" => n = v.parse().unwrap(),
            other => panic!("unknown argument {other}"),
        }
    }
    (url, n)
}

async fn fresh_db(url: Option<String>, dir: &std::path::Path) -> String {
    use sea_orm::ConnectionTrait;
    match url {
        None => format!("sqlite://{}/templates.db?mode=rwc", dir.display()),
        Some(u) => {
            let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(u.as_str()).await.expect("connect");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create database");
            format!("{}/{name}", u.rsplit_once('/').unwrap().0)
        }
    }
}

fn template(i: usize) -> Value {
    json!({"name": format!("bench_template_{i:05}"), "language": "en_US", "category": if i.is_multiple_of(3) { "MARKETING" } else { "UTILITY" },
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#123"]}},
        {"type": "BODY", "text": format!("Hi {{{{1}}}}, your order {{{{2}}}} ships today ({i})."), "example": {"body_text": [["Ana", "#123"]]}},
        {"type": "FOOTER", "text": "Thanks for shopping"},
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Thanks"}, {"type": "QUICK_REPLY", "text": "Help"}]}
    ]})
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (url, n) = args();
    let dir = tempfile::tempdir().unwrap();
    let backend = if url.is_some() { "postgres" } else { "sqlite" };
    let db_url = fresh_db(url, dir.path()).await;
    let env = HashMap::from([
        ("SANDBOX", "1".to_owned()),
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", db_url.clone()),
        ("RUST_LOG", "warn".to_owned()),
        ("RATE_LIMIT_PER_MINUTE", "1000000".to_owned()),
        ("RATE_LIMIT_PER_KEY_PER_MINUTE", "1000000".to_owned()),
        ("RATE_LIMIT_PER_INSTANCE_PER_MINUTE", "100000000".to_owned()),
        // The sandbox's review webhooks (stored, never processed: no workers) come a minute later.
        ("SANDBOX_STATUS_DELAY_MS", "60000".to_owned()),
    ]);
    let config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let app = Application::build(config, Options { workers: false, migrate: true }).await.expect("app");
    let base = format!("http://{}", app.addr);
    let (_stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stop_rx.await;
    }));
    let http = reqwest::Client::new();
    let post = |key: &str, path: &str, body: Value| http.post(format!("{base}{path}")).bearer_auth(key).json(&body).send();
    let shop: Value = post(ADMIN, "/api/v1/shops", json!({"name": "bench"})).await.unwrap().json().await.unwrap();
    let shop_id = shop["id"].as_str().unwrap();
    let key: Value = post(ADMIN, &format!("/api/v1/shops/{shop_id}/api-keys"), json!({"name": "bench", "role": "admin"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap().to_owned();
    let connect =
        json!({"phoneNumberId": "1065403522", "displayPhoneNumber": "+15550001111", "wabaId": "9001", "accessToken": "EAAG-bench"});
    assert_eq!(post(&key, "/api/v1/accounts", connect).await.unwrap().status().as_u16(), 201);

    let graph = format!("{base}/sandbox/graph/v24.0/9001/message_templates");
    for i in 0..n {
        let r = http.post(&graph).bearer_auth("EAAG-bench").json(&template(i)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    println!("{backend}: {n} templates at the fake Graph API (pages of 100)");
    for run in ["first sync (all new)", "second sync (nothing new)"] {
        let started = Instant::now();
        let out: Value = post(&key, "/api/v1/templates/sync", json!({})).await.unwrap().json().await.unwrap();
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{run}: {secs:.2} s ({:.0} templates/s): pages {}, seen {}, created {}, updated {}",
            n as f64 / secs,
            out["pages"],
            out["seen"],
            out["created"],
            out["updated"]
        );
    }
    let list: Value = http.get(format!("{base}/api/v1/templates?limit=1")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"].as_u64(), Some(n as u64), "{list}");
}
