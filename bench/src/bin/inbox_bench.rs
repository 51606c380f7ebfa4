//! The inbox at scale (issue 20): 1,000,000 messages in 50,000 conversations of one shop on
//! Postgres, then the inbox list with its filters and the full-text search, each timed over the
//! HTTP API of the real service (in this process, on port 0).
//!
//! cargo build --release -p bench --bin inbox-bench
//! ./target/release/inbox-bench --database-url postgres://postgres@127.0.0.1:5432/postgres [--conversations 50000] [--per 20] [--runs 200]
//!
//! The rows are written with SQL (`generate_series`), shaped as the service writes them: a
//! conversation per customer, its thread, its messages (texts drawn from a 400-word vocabulary)
//! and their search documents. A fresh database is created and left for inspection (drop
//! `bench_*` databases afterwards).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use api::startup::{Application, Options};
use infrastructure::config::Config;

const ADMIN: &str = "sandbox-admin-key";

struct Args {
    database_url: String,
    conversations: u64,
    per: u64,
    runs: usize,
}

fn args() -> Args {
    let mut a = Args { database_url: String::new(), conversations: 50_000, per: 20, runs: 200 };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--database-url" => a.database_url = v,
            "--conversations" => a.conversations = v.parse().unwrap(),
            "--per" => a.per = v.parse().unwrap(),
            "--runs" => a.runs = v.parse().unwrap(),
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(a.database_url.starts_with("postgres"), "--database-url postgres://… is required");
    a
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
    ]);
    Config::from_lookup(|k| env.get(k).cloned()).unwrap()
}

fn pct(mut v: Vec<Duration>, p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1e3
}

/// 400 words: `w0` … `w399`, the first ones far more frequent in the texts than the last.
fn seed_sql(shop: &str, account: &str, members: &[String], department: &str, conversations: u64, per: u64) -> Vec<String> {
    let m = |i: usize| members[i % members.len()].clone();
    vec![
        format!(
            "INSERT INTO customers (id, shop_id, wa_id, name, opt_in_status, tags, custom_fields, first_contacted_at, last_inbound_at, updated_at)
             SELECT md5('c' || i)::uuid, '{shop}', (5511000000000 + i)::text, 'Cliente ' || i || ' Souza', 'pending', '[]', '{{}}',
                    now() - interval '30 days', now() - (i || ' seconds')::interval, now()
             FROM generate_series(1, {conversations}) i"
        ),
        format!(
            "INSERT INTO conversations (id, shop_id, account_id, customer_id, wa_id, status, origin, assigned_agent_id, last_inbound_at,
                    last_message_at, started_at, inbox_state, unread_count)
             SELECT md5('v' || i)::uuid, '{shop}', '{account}', md5('c' || i)::uuid, (5511000000000 + i)::text,
                    CASE WHEN i % 3 = 0 THEN 'active' ELSE 'expired' END, 'customer',
                    CASE i % 4 WHEN 0 THEN '{m0}'::uuid WHEN 1 THEN '{m1}'::uuid WHEN 2 THEN '{m2}'::uuid ELSE NULL END,
                    now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval, now() - interval '30 days',
                    CASE WHEN i % 5 = 0 THEN 'closed' ELSE 'open' END, i % 4
             FROM generate_series(1, {conversations}) i",
            m0 = m(0),
            m1 = m(1),
            m2 = m(2)
        ),
        format!(
            "INSERT INTO threads (id, shop_id, account_id, customer_id, wa_id, conversation_id, owner, owner_member_id, waiting_since,
                    updated_at, version, department_id)
             SELECT md5('t' || i)::uuid, '{shop}', '{account}', md5('c' || i)::uuid, (5511000000000 + i)::text, md5('v' || i)::uuid,
                    CASE WHEN i % 2 = 0 THEN 'people' ELSE 'none' END, NULL,
                    CASE WHEN i % 2 = 0 THEN now() - (i || ' seconds')::interval END, now(), 0,
                    CASE WHEN i % 5 = 0 THEN '{department}'::uuid END
             FROM generate_series(1, {conversations}) i"
        ),
        format!(
            "INSERT INTO messages (id, shop_id, account_id, conversation_id, customer_id, wa_id, direction, wamid, kind, content_type,
                    content, status, from_number, to_number, timestamp, created_at, updated_at)
             SELECT md5('m' || i || '.' || j)::uuid, '{shop}', '{account}', md5('v' || i)::uuid, md5('c' || i)::uuid,
                    (5511000000000 + i)::text, CASE WHEN j % 2 = 0 THEN 'outbound' ELSE 'inbound' END, 'wamid.b' || i || '.' || j,
                    'text', 'text',
                    jsonb_build_object('type', 'text', 'text',
                        'w' || ((i * 7 + j) % 20) || ' w' || ((i * 13 + j * 3) % 100) || ' w' || ((i * 31 + j * 17) % 400) || ' pedido ' || i),
                    CASE WHEN j % 2 = 0 THEN 'delivered' ELSE 'received' END, '+15550001111', '+' || (5511000000000 + i),
                    now() - ((i + {per} - j) || ' seconds')::interval, now(), now()
             FROM generate_series(1, {conversations}) i, generate_series(1, {per}) j"
        ),
        "INSERT INTO search_documents (doc_id, shop_id, customer_id, conversation_id, body)
         SELECT id, shop_id, customer_id, conversation_id, content->>'text' FROM messages"
            .to_owned(),
        format!(
            "INSERT INTO search_documents (doc_id, shop_id, customer_id, conversation_id, body)
             SELECT md5('c' || i)::uuid, '{shop}', md5('c' || i)::uuid, NULL, 'cliente ' || i || ' souza' FROM generate_series(1, {conversations}) i"
        ),
        "ANALYZE".to_owned(),
    ]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let a = args();
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(a.database_url.as_str()).await.expect("connect");
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create database");
    let db_url = format!("{}/{name}", a.database_url.rsplit_once('/').unwrap().0);
    println!("database {db_url}");

    let app = Application::build(config(&db_url), Options { workers: false, migrate: true }).await.expect("app");
    let base = format!("http://{}", app.addr);
    let (_stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stop_rx.await;
    }));
    let http = reqwest::Client::new();
    let post = |key: &str, path: &str, body: Value| http.post(format!("{base}{path}")).bearer_auth(key).json(&body).send();
    let shop: Value = post(ADMIN, "/api/v1/shops", json!({"name": "bench"})).await.unwrap().json().await.unwrap();
    let shop = shop["id"].as_str().unwrap().to_owned();
    let key: Value = post(ADMIN, &format!("/api/v1/shops/{shop}/api-keys"), json!({"name": "bench", "role": "admin"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap().to_owned();
    let account: Value = post(
        &key,
        "/api/v1/accounts",
        json!({"phoneNumberId": "1065403522", "displayPhoneNumber": "+15550001111", "wabaId": "2002", "accessToken": "EAAG-bench"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let account = account["id"].as_str().unwrap().to_owned();
    let mut members = Vec::new();
    for n in ["Ana", "Bruno", "Carla"] {
        let m: Value = post(&key, "/api/v1/agents", json!({"name": n, "email": format!("{n}@bench.example.com"), "capacity": 100}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        members.push(m["id"].as_str().unwrap().to_owned());
    }
    let dep: Value = post(&key, "/api/v1/departments", json!({"name": "Billing", "routingPolicy": "manual", "memberIds": [members[0]]}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dep = dep["id"].as_str().unwrap().to_owned();

    let db = sea_orm::Database::connect(db_url.as_str()).await.expect("connect");
    let started = Instant::now();
    for sql in seed_sql(&shop, &account, &members, &dep, a.conversations, a.per) {
        let t = Instant::now();
        db.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
        println!("  {:>6.1} s  {}", t.elapsed().as_secs_f64(), sql.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    }
    println!("seeded {} conversations, {} messages in {:.0} s", a.conversations, a.conversations * a.per, started.elapsed().as_secs_f64());

    let queries: Vec<(&str, String)> = vec![
        ("the inbox, newest first (limit 50)", "/api/v1/conversations?limit=50".into()),
        ("open and unread", "/api/v1/conversations?inboxState=open&unread=true&limit=50".into()),
        ("assigned to a member", format!("/api/v1/conversations?assigneeId={}&limit=50", members[0])),
        ("unassigned, window open", "/api/v1/conversations?unassigned=true&window=open&limit=50".into()),
        ("a department", format!("/api/v1/conversations?departmentId={dep}&limit=50")),
        ("longest waiting", "/api/v1/conversations?sort=longest_waiting&limit=50".into()),
        ("search: a rare word (w399)", "/api/v1/conversations?q=w399&limit=50".into()),
        ("search: a common word (w3)", "/api/v1/conversations?q=w3&limit=50".into()),
        ("search: two words (w7 w77)", "/api/v1/conversations?q=w7%20w77&limit=50".into()),
        ("search: a customer's name (cliente 4242)", "/api/v1/conversations?q=cliente%204242&limit=50".into()),
        ("search + filter (w11, open, unread)", "/api/v1/conversations?q=w11&inboxState=open&unread=true&limit=50".into()),
    ];
    println!("{:<45} {:>8} {:>9} {:>8} {:>8} {:>8}", "query", "total", "first ms", "p50 ms", "p99 ms", "max ms");
    for (label, path) in queries {
        let url = format!("{base}{path}");
        let t = Instant::now();
        let first: Value = http.get(&url).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
        let first_ms = t.elapsed().as_secs_f64() * 1e3;
        assert!(first["conversations"].is_array(), "{label}: {first}");
        let mut times = Vec::with_capacity(a.runs);
        for _ in 0..a.runs {
            let t = Instant::now();
            let r = http.get(&url).bearer_auth(&key).send().await.unwrap();
            assert!(r.status().is_success());
            let _ = r.bytes().await.unwrap();
            times.push(t.elapsed());
        }
        let max = times.iter().max().copied().unwrap_or_default().as_secs_f64() * 1e3;
        println!("{label:<45} {:>8} {first_ms:>9.1} {:>8.1} {:>8.1} {max:>8.1}", first["total"], pct(times.clone(), 0.5), pct(times, 0.99));
    }
}
