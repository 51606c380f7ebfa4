//! The outbound delivery engine: Meta's error codes, priorities, pacing, several processes
//! sharing one queue, and a crash in the middle of a burst.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{body_partial_json, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";

fn meta_error(code: i64, status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"error": {"message": format!("error {code}"), "code": code, "fbtrace_id": "T"}}))
}

async fn with_meta(meta: &MockServer, backend: Backend, send_wait_ms: u64) -> (TestApp, Shop) {
    let mut opts = Opts::new(backend);
    opts.graph_base = Some(meta.uri());
    opts.send_wait_ms = send_wait_ms;
    let app = spawn_with(opts).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    (app, shop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_error_codes_follow_the_delivery_policy() {
    let meta = fake_meta().await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"to": "5511000000050"})))
        .respond_with(meta_error(131050, 400))
        .mount(&meta)
        .await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"to": "5511000000429"})))
        .respond_with(meta_error(130429, 400))
        .up_to_n_times(1)
        .mount(&meta)
        .await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"to": "5511000000190"})))
        .respond_with(meta_error(190, 401))
        .mount(&meta)
        .await;
    Mock::given(method("POST")).respond_with(UniqueWamid(AtomicU64::new(0), Duration::ZERO)).mount(&meta).await;
    let (app, shop) = with_meta(&meta, Backend::Sqlite, 5000).await;

    // 131050: failed, and the customer's marketing opt-out is recorded.
    let e = expect_error(
        app.post(&shop.admin, "/api/v1/messages/template", template_to(NUMBER, "+5511000000050")).await,
        422,
        "WHATSAPP_API_ERROR",
    )
    .await;
    assert_eq!(e["error"]["details"]["metaCode"], 131050);
    assert_eq!(app.text("SELECT opt_in_status FROM customers WHERE wa_id = '5511000000050'").await.as_deref(), Some("opted_out"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'customer.opt_in.changed'").await, 1);

    // 130429: the number slows down; the message goes out on the next try.
    let started = Instant::now();
    let r = app.post(&shop.admin, "/api/v1/messages/template", template_to(NUMBER, "+5511000000429")).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_millis(900), "waited about a second");
    assert_eq!(recipients(&meta).await.iter().filter(|t| *t == "5511000000429").count(), 2);

    // 190: failed, and the whole number is paused.
    expect_error(
        app.post(&shop.admin, "/api/v1/messages/template", template_to(NUMBER, "+5511000000190")).await,
        422,
        "WHATSAPP_API_ERROR",
    )
    .await;
    let accounts = json(app.get(&shop.admin, "/api/v1/accounts").await).await;
    assert_eq!(accounts["accounts"][0]["status"], "suspended");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'account.status.changed'").await, 1);
    expect_error(
        app.post(&shop.admin, "/api/v1/messages/template", template_to(NUMBER, "+5511000000001")).await,
        409,
        "ACCOUNT_NOT_ACTIVE",
    )
    .await;
    let metrics = app.metrics().await;
    assert!(metrics.contains("whatsapp_accounts_paused_total 1"), "an alertable metric");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_go_ahead_of_bulk_and_the_rate_is_held() {
    let app = {
        let mut opts = Opts::new(Backend::Sqlite);
        opts.send_wait_ms = 0;
        spawn_with(opts).await
    };
    let shop = app.create_shop("s").await;
    let acc = app.connect(&shop.admin, PNID, NUMBER).await;
    let id = acc["id"].as_str().unwrap();
    // 10 messages per second, less 10 % headroom: 9 per second, a burst of one.
    let r = json(app.patch(&shop.admin, &format!("/api/v1/accounts/{id}"), json!({"throughputMps": 10})).await).await;
    assert_eq!(r["throughputMps"], 10);
    app.customer_says(PNID, "+5511987654321", "hi").await;
    app.drained().await;
    for i in 0..20 {
        let r = app.post(&shop.admin, "/api/v1/messages/template", template_to(NUMBER, &format!("+55110000{i:05}"))).await;
        assert_eq!(r.status().as_u16(), 202);
    }
    let r = app
        .post(
            &shop.admin,
            "/api/v1/messages/send",
            json!({"from": NUMBER, "to": "+5511987654321", "content": {"type": "text", "text": "reply"}}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 202);
    wait_for("all sent", || async { app.scalar("SELECT COUNT(*) FROM deliveries").await == 0 }).await;
    let out: Vec<serde_json::Value> =
        json(app.http.get(app.url("/sandbox/outbox")).send().await.unwrap()).await.as_array().unwrap().clone();
    assert_eq!(out.len(), 21);
    let reply_at = out.iter().position(|m| m["body"]["type"] == "text").unwrap();
    assert!(reply_at <= 4, "the reply overtook the queued templates (position {reply_at})");
    let times: Vec<chrono::DateTime<chrono::Utc>> = out.iter().map(|m| m["at"].as_str().unwrap().parse().unwrap()).collect();
    // The limit is never exceeded: any 10 consecutive sends span at least 9 intervals.
    for w in times.windows(10) {
        let span = (w[9] - w[0]).num_milliseconds();
        assert!(span >= 900, "10 sends in {span} ms: faster than 9 per second");
    }
    // And it is used: the typical gap is the configured interval (111 ms).
    let mut gaps: Vec<i64> = times.windows(2).map(|w| (w[1] - w[0]).num_milliseconds()).collect();
    gaps.sort();
    let median = gaps[gaps.len() / 2];
    assert!((95..=135).contains(&median), "median gap {median} ms, gaps {gaps:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_the_queue_without_double_sends() {
    let Some(pg) = Backend::postgres() else { return };
    let meta = fake_meta().await;
    Mock::given(method("POST")).respond_with(UniqueWamid(AtomicU64::new(0), Duration::from_millis(5))).mount(&meta).await;
    let mut a_opts = Opts::new(pg.clone());
    a_opts.graph_base = Some(meta.uri());
    a_opts.send_wait_ms = 0;
    a_opts.redis_url = redis_url();
    let a = spawn_with(a_opts).await;
    let mut b_opts = Opts::new(pg);
    b_opts.graph_base = Some(meta.uri());
    b_opts.database_url = Some(a.db_url.clone());
    b_opts.redis_url = redis_url();
    let b = spawn_with(b_opts).await;
    let shop = a.create_shop("s").await;
    a.connect(&shop.admin, PNID, NUMBER).await;
    for i in 0..60 {
        let app = if i % 2 == 0 { &a } else { &b };
        let r = app.post(&shop.admin, "/api/v1/messages/template", template_to(NUMBER, &format!("+55110001{i:04}"))).await;
        assert!(matches!(r.status().as_u16(), 200 | 202));
    }
    wait_for("queue drained", || async { a.scalar("SELECT COUNT(*) FROM deliveries").await == 0 }).await;
    let to = recipients(&meta).await;
    let unique: BTreeSet<&String> = to.iter().collect();
    assert_eq!(to.len(), 60, "each message sent once");
    assert_eq!(unique.len(), 60);
    assert_eq!(a.scalar("SELECT COUNT(*) FROM messages WHERE status = 'sent'").await, 60);
}

fn start(db: &str, port: u16, meta: &str) -> KillOnDrop {
    KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_whatsapp-service"))
            .arg("serve")
            .env_clear()
            .env("SANDBOX", "1")
            .env("RATE_LIMIT_PER_INSTANCE_PER_MINUTE", "100000000")
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", db)
            .env("ADMIN_API_KEY", ADMIN_KEY)
            .env("WHATSAPP_API_BASE_URL", meta)
            .env("WHATSAPP_API_TIMEOUT_MS", "1000")
            .env("SEND_WAIT_MS", "0")
            .env("RATE_LIMIT_PER_MINUTE", "100000")
            .env("RATE_LIMIT_PER_KEY_PER_MINUTE", "100000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts"),
    )
}

/// kill -9 while sends are in flight: after the restart nothing is sent twice; what was in
/// flight is reported failed ("outcome unknown"), the rest is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_burst_never_sends_a_message_twice() {
    install_crypto();
    let meta = fake_meta().await;
    Mock::given(method("POST")).respond_with(UniqueWamid(AtomicU64::new(0), Duration::from_millis(400))).mount(&meta).await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/crash.db?mode=rwc", dir.path().display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let ready = || async { http.get(format!("{base}/health/ready")).send().await.is_ok_and(|r| r.status().is_success()) };
    let mut first = start(&db, port, &meta.uri());
    wait_for("first start", ready).await;
    let post =
        |path: &str, key: &str, body: serde_json::Value| http.post(format!("{base}{path}")).bearer_auth(key.to_owned()).json(&body).send();
    let shop = json(post("/api/v1/shops", ADMIN_KEY, json!({"name": "s"})).await.unwrap()).await;
    let sid = shop["id"].as_str().unwrap();
    let key =
        json(post(&format!("/api/v1/shops/{sid}/api-keys"), ADMIN_KEY, json!({"name": "a", "role": "admin"})).await.unwrap()).await["key"]
            .as_str()
            .unwrap()
            .to_owned();
    let r = post(
        "/api/v1/accounts",
        &key,
        json!({"phoneNumberId": PNID, "displayPhoneNumber": NUMBER, "wabaId": "1", "accessToken": "EAAG-t"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    for i in 0..30 {
        let r = post("/api/v1/messages/template", &key, template_to(NUMBER, &format!("+55110002{i:04}"))).await.unwrap();
        assert_eq!(r.status().as_u16(), 202);
    }
    // Let a first wave reach Meta (400 ms each), then kill -9 with calls in flight.
    wait_for("sends in flight", || async { !posts(&meta).await.is_empty() }).await;
    first.kill().unwrap();
    first.wait().unwrap();
    let before_restart = recipients(&meta).await.len();
    assert!(before_restart > 0 && before_restart < 30, "the crash interrupted the burst ({before_restart} reached Meta)");

    let mut second = start(&db, port, &meta.uri());
    wait_for("second start", ready).await;
    let mut list = serde_json::Value::Null;
    for _ in 0..400 {
        list = json(http.get(format!("{base}/api/v1/messages?limit=200")).bearer_auth(&key).send().await.unwrap()).await;
        let queued = list["messages"].as_array().unwrap().iter().filter(|m| m["status"] == "queued").count();
        if queued == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second.kill().ok();
    second.wait().ok();
    let msgs = list["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 30);
    let sent = msgs.iter().filter(|m| m["status"] == "sent").count();
    let unknown =
        msgs.iter().filter(|m| m["status"] == "failed" && m["error"]["title"].as_str().unwrap_or("").contains("outcome unknown")).count();
    assert_eq!(sent + unknown, 30, "every message ended sent or failed-unknown: {list}");
    let to = recipients(&meta).await;
    let unique: BTreeSet<&String> = to.iter().collect();
    assert_eq!(to.len(), unique.len(), "no recipient got the same message twice");
    // Every sent message reached Meta exactly once; whatever else reached Meta is one of the
    // interrupted ones (reported failed, outcome unknown). An interrupted one may not have
    // left the process at all: that is what "unknown" means.
    for m in msgs.iter().filter(|m| m["status"] == "sent") {
        let wa = m["waId"].as_str().unwrap();
        assert_eq!(to.iter().filter(|t| *t == wa).count(), 1, "{wa}");
    }
    for t in &to {
        let m = msgs.iter().find(|m| m["waId"] == t.as_str()).unwrap();
        assert!(m["status"] == "sent" || m["status"] == "failed", "{m}");
    }
    assert!(to.len() >= sent && to.len() <= sent + unknown);
    assert!(unknown > 0, "the crash interrupted calls in flight");
}
