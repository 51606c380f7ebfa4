//! The CRM at scale (issue 9): a 100,000-row CSV import with 20 custom fields and 50 tags in use,
//! then filtered, paginated lists and segment counts, each timed over the HTTP API of the real
//! service (in this process, on port 0).
//!
//! cargo build --release -p bench --bin crm-bench
//! ./target/release/crm-bench [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--rows 100000] [--runs 30]
//!
//! Without `--database-url` it runs on a fresh SQLite file. A fresh Postgres database is created
//! (and left for inspection; drop `bench_*` databases afterwards). `--reuse <database url>` runs
//! the lists and segment counts again on a database a previous run left, without importing
//! (a minute instead of three, to measure again when the machine is quieter).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use api::startup::{Application, Options};
use infrastructure::config::Config;

const ADMIN: &str = "sandbox-admin-key";
const TAGS: usize = 50;

struct Args {
    database_url: Option<String>,
    reuse: Option<String>,
    rows: usize,
    runs: usize,
}

fn args() -> Args {
    let mut a = Args { database_url: None, reuse: None, rows: 100_000, runs: 30 };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--database-url" => a.database_url = Some(v),
            "--reuse" => a.reuse = Some(v),
            "--rows" => a.rows = v.parse().unwrap(),
            "--runs" => a.runs = v.parse().unwrap(),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

async fn fresh_db(url: Option<String>, dir: &std::path::Path) -> String {
    use sea_orm::ConnectionTrait;
    match url {
        None => format!("sqlite://{}/crm.db?mode=rwc", dir.display()),
        Some(u) => {
            let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(u.as_str()).await.expect("connect");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create database");
            format!("{}/{name}", u.rsplit_once('/').unwrap().0)
        }
    }
}

fn config(db_url: &str) -> Config {
    let env = HashMap::from([
        ("SANDBOX", "1".to_owned()),
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", db_url.to_owned()),
        ("RUST_LOG", "warn".to_owned()),
        ("RATE_LIMIT_PER_MINUTE", "1000000".to_owned()),
        ("RATE_LIMIT_PER_KEY_PER_MINUTE", "1000000".to_owned()),
        ("RATE_LIMIT_PER_INSTANCE_PER_MINUTE", "100000000".to_owned()),
        ("IMPORT_MAX_BODY_BYTES", (512 * 1024 * 1024).to_string()),
    ]);
    Config::from_lookup(|k| env.get(k).cloned()).unwrap()
}

/// A deterministic pseudo-random number (no dependency): xorshift.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// 20 fields: 5 numbers, 5 single choices, 3 dates, 7 texts.
fn fields() -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..5 {
        out.push(json!({"key": format!("num{i}"), "label": format!("Number {i}"), "type": "number"}));
        out.push(
            json!({"key": format!("tier{i}"), "label": format!("Tier {i}"), "type": "single_choice", "options": ["A", "B", "C", "D", "E"]}),
        );
    }
    for i in 0..3 {
        out.push(json!({"key": format!("day{i}"), "label": format!("Day {i}"), "type": "date"}));
    }
    for i in 0..7 {
        out.push(json!({"key": format!("txt{i}"), "label": format!("Text {i}"), "type": "text"}));
    }
    out
}

fn csv(rows: usize) -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut s = String::with_capacity(rows * 260);
    s.push_str("phone,name,tags,consent");
    for f in fields() {
        let _ = write!(s, ",{}", f["key"].as_str().unwrap());
    }
    s.push('\n');
    for r in 0..rows {
        let tags: Vec<String> = (0..3).map(|_| format!("tag{}", rng.below(TAGS as u64))).collect();
        let consent = if rng.below(2) == 0 { "yes" } else { "no" };
        let _ = write!(s, "+55119{r:08},Customer {r},{},{consent}", tags.join("|"));
        for _ in 0..5 {
            let _ = write!(s, ",{},{}", rng.below(1000), ["A", "B", "C", "D", "E"][rng.below(5) as usize]);
        }
        for _ in 0..3 {
            let _ = write!(s, ",20{:02}-{:02}-{:02}", 10 + rng.below(16), 1 + rng.below(12), 1 + rng.below(28));
        }
        for i in 0..7 {
            let _ = write!(s, ",note {i} {}", rng.below(100_000));
        }
        s.push('\n');
    }
    s
}

fn pct(mut v: Vec<Duration>, p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1e3
}

/// The custom fields, the CSV import (timed) and the bench's segment: the segment's id.
async fn import(http: &reqwest::Client, base: &str, key: &str, backend: &str, rows: usize) -> String {
    let post = |key: &str, path: &str, body: Value| http.post(format!("{base}{path}")).bearer_auth(key).json(&body).send();
    for f in fields() {
        assert_eq!(post(key, "/api/v1/custom-fields", f).await.unwrap().status().as_u16(), 201);
    }

    // The import.
    let body = csv(rows);
    let mut query = "phoneColumn=phone&nameColumn=name&tagsColumn=tags&consentColumn=consent".to_owned();
    for f in fields() {
        let k = f["key"].as_str().unwrap();
        let _ = write!(query, "&field={k}%3D{k}");
    }
    println!("{backend}: importing {} rows ({:.1} MB, 20 custom fields, {TAGS} tags)", rows, body.len() as f64 / 1e6);
    let started = Instant::now();
    let r = http
        .post(format!("{base}/api/v1/customers/import?{query}"))
        .bearer_auth(key)
        .header("content-type", "text/csv")
        .body(body)
        .timeout(Duration::from_secs(1800))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let out: Value = r.json().await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert!(status.is_success(), "{out}");
    println!("import: {secs:.1} s ({:.0} rows/s): created {}, failed {}", rows as f64 / secs, out["created"], out["failed"]);
    assert_eq!(out["created"].as_u64(), Some(rows as u64), "{out}");

    // The segment the counts are timed on.
    let seg: Value = post(
        key,
        "/api/v1/segments",
        json!({"name": "bench", "definition": {"match": "all", "conditions": [
            {"tags": {"any": ["tag7", "tag8"]}}, {"field": "num0", "op": "gt", "value": 500},
            {"match": "any", "conditions": [{"consent": {"purpose": "marketing", "status": "opted_in"}}, {"field": "tier1", "op": "equals", "value": "A"}]}
        ]}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    seg["id"].as_str().unwrap().to_owned()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let a = args();
    let dir = tempfile::tempdir().unwrap();
    let backend =
        if a.database_url.is_some() || a.reuse.as_deref().is_some_and(|u| u.starts_with("postgres")) { "postgres" } else { "sqlite" };
    let db_url = match a.reuse.clone() {
        Some(u) => u,
        None => fresh_db(a.database_url.clone(), dir.path()).await,
    };
    let app = Application::build(config(&db_url), Options { workers: false, migrate: true }).await.expect("app");
    let base = format!("http://{}", app.addr);
    let (_stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stop_rx.await;
    }));
    let http = reqwest::Client::new();
    let post = |key: &str, path: &str, body: Value| http.post(format!("{base}{path}")).bearer_auth(key).json(&body).send();
    let shop_id = match &a.reuse {
        Some(_) => {
            use sea_orm::{ConnectionTrait, Statement};
            let db = sea_orm::Database::connect(db_url.as_str()).await.expect("connect");
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT CAST(id AS TEXT) AS id FROM shops WHERE name = 'bench'",
                ))
                .await
                .unwrap()
                .expect("the database has the bench's shop");
            row.try_get::<String>("", "id").unwrap()
        }
        None => {
            let shop: Value = post(ADMIN, "/api/v1/shops", json!({"name": "bench"})).await.unwrap().json().await.unwrap();
            shop["id"].as_str().unwrap().to_owned()
        }
    };
    let shop_id = shop_id.as_str();
    let key: Value = post(ADMIN, &format!("/api/v1/shops/{shop_id}/api-keys"), json!({"name": "bench", "role": "admin"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap().to_owned();
    let seg_id = match a.reuse {
        Some(_) => {
            let v: Value = http.get(format!("{base}/api/v1/segments")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
            let segments = v["items"].as_array().expect("a list of segments");
            segments.iter().find(|s| s["name"] == "bench").expect("the bench's segment")["id"].as_str().unwrap().to_owned()
        }
        None => import(&http, &base, &key, backend, a.rows).await,
    };

    let lists = [
        "tag=tag3",
        "tag=tag3&tag=tag9&tagMatch=all",
        "field=tier2:equals:c",
        "field=num3:gt:900",
        "field=day1:between:2015-01-01,2015-12-31",
        "consent=marketing:opted_in&tag=tag12",
        "search=Customer%2012345",
        "field=num1:lt:100&field=tier4:equals:a&sort=name",
        "windowOpen=false&sort=-lastInboundAt",
        "tag=tag40&offset=200",
    ];
    let mut all = Vec::new();
    // Each query's first run is shown on its own (cold caches); the percentiles are of the others.
    println!("{:<55} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8}", "query (limit 50)", "total", "first ms", "p50 ms", "p95 ms", "p99 ms", "max ms");
    for q in lists {
        let mut times = Vec::new();
        let mut total = Value::Null;
        for _ in 0..=a.runs {
            let t = Instant::now();
            let r = http.get(format!("{base}/api/v1/customers?limit=50&{q}")).bearer_auth(&key).send().await.unwrap();
            assert!(r.status().is_success(), "{q}: {}", r.status());
            let v: Value = r.json().await.unwrap();
            times.push(t.elapsed());
            total = v["total"].clone();
        }
        let first = times.remove(0).as_secs_f64() * 1e3;
        println!(
            "{q:<55} {total:>8} {first:>9.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            pct(times.clone(), 0.5),
            pct(times.clone(), 0.95),
            pct(times.clone(), 0.99),
            pct(times.clone(), 1.0)
        );
        all.extend(times);
    }
    let mut seg_times = Vec::new();
    let mut count = Value::Null;
    for _ in 0..=a.runs * 3 {
        let t = Instant::now();
        let v: Value = http.get(format!("{base}/api/v1/segments/{seg_id}")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
        seg_times.push(t.elapsed());
        count = v["count"].clone();
    }
    let first = seg_times.remove(0).as_secs_f64() * 1e3;
    println!(
        "{:<55} {count:>8} {first:>9.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
        "segment count (tags any, num gt, (consent or tier))",
        pct(seg_times.clone(), 0.5),
        pct(seg_times.clone(), 0.95),
        pct(seg_times.clone(), 0.99),
        pct(seg_times.clone(), 1.0)
    );
    all.extend(seg_times);
    println!(
        "all {} requests after each query's first: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        all.len(),
        pct(all.clone(), 0.5),
        pct(all.clone(), 0.99),
        pct(all.clone(), 1.0)
    );
}
