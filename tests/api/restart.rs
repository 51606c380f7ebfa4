//! Kill -9 after the 200 and before processing: the acknowledged webhook is processed after
//! a restart, never lost.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) fn start(db: &str, port: u16, workers: bool) -> KillOnDrop {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_whatsapp-service"));
    cmd.arg("serve");
    if !workers {
        cmd.arg("--no-workers");
    }
    KillOnDrop(
        cmd.env_clear()
            .env("SANDBOX", "1")
            .env("RATE_LIMIT_PER_INSTANCE_PER_MINUTE", "100000000")
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", db)
            .env("META_APP_SECRET", APP_SECRET)
            .env("ADMIN_API_KEY", ADMIN_KEY)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts"),
    )
}

pub(crate) async fn wait_ready(http: &reqwest::Client, base: &str) {
    wait_for("server up", || async { http.get(format!("{base}/health/ready")).send().await.is_ok_and(|r| r.status().is_success()) }).await;
}

#[tokio::test]
async fn an_acknowledged_webhook_survives_kill_9() {
    install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/crash.db?mode=rwc", dir.path().display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    // First life: no workers, so nothing is processed after the acknowledgement.
    let mut first = start(&db, port, false);
    wait_ready(&http, &base).await;
    let shop =
        json(http.post(format!("{base}/api/v1/shops")).bearer_auth(ADMIN_KEY).json(&json!({"name": "S"})).send().await.unwrap()).await;
    let shop_id = shop["id"].as_str().unwrap();
    let key = json(
        http.post(format!("{base}/api/v1/shops/{shop_id}/api-keys"))
            .bearer_auth(ADMIN_KEY)
            .json(&json!({"name": "a", "role": "admin"}))
            .send()
            .await
            .unwrap(),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = http
        .post(format!("{base}/api/v1/accounts"))
        .bearer_auth(&key)
        .json(&json!({"phoneNumberId": "1065403522", "displayPhoneNumber": "+15550001111", "wabaId": "1", "accessToken": "EAAG-t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let payload = inbound("1065403522", "5511987654321", vec![text_message("wamid.CRASH", "5511987654321", now_ts(), "are you there?")]);
    let body = serde_json::to_vec(&payload).unwrap();
    let sig = infrastructure::crypto::sign_webhook(APP_SECRET.as_bytes(), &body);
    let r = http.post(format!("{base}/webhooks/whatsapp")).header("x-hub-signature-256", sig).body(body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    first.kill().expect("SIGKILL");
    first.wait().unwrap();
    assert!(http.get(format!("{base}/health/live")).send().await.is_err(), "the first process is gone");

    // Second life: the worker finds the stored delivery and processes it.
    let mut second = start(&db, port, true);
    wait_ready(&http, &base).await;
    let mut total = 0;
    for _ in 0..100 {
        let list = json(http.get(format!("{base}/api/v1/messages?waId=5511987654321")).bearer_auth(&key).send().await.unwrap()).await;
        total = list["total"].as_u64().unwrap();
        if total == 1 {
            assert_eq!(list["messages"][0]["messageId"], "wamid.CRASH");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second.kill().ok();
    second.wait().ok();
    assert_eq!(total, 1, "the acknowledged webhook was processed after the restart");
}

/// Group commit keeps the promise under load: webhooks from 32 concurrent clients, kill -9 in
/// the middle, and every one that was answered 200 is stored (on both databases).
async fn under_load_every_acknowledged_webhook_survives_kill_9(backend: Backend) {
    install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&backend, &dir).await;
    // Migrate first, so that the killed process is only serving.
    {
        let port = free_port();
        let mut p = start(&db, port, false);
        wait_ready(&reqwest::Client::new(), &format!("http://127.0.0.1:{port}")).await;
        p.kill().ok();
        p.wait().ok();
    }
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    let mut server = start(&db, port, false);
    wait_ready(&http, &base).await;
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for c in 0..32 {
        let (http, base, acked) = (http.clone(), base.clone(), acked.clone());
        clients.push(tokio::spawn(async move {
            for i in 0.. {
                let wamid = format!("wamid.LOAD{c}x{i}");
                let payload = inbound("1065403522", "5511987654321", vec![text_message(&wamid, "5511987654321", now_ts(), "x")]);
                let body = serde_json::to_vec(&payload).unwrap();
                let sig = infrastructure::crypto::sign_webhook(APP_SECRET.as_bytes(), &body);
                match http.post(format!("{base}/webhooks/whatsapp")).header("x-hub-signature-256", sig).body(body).send().await {
                    Ok(r) if r.status().as_u16() == 200 => acked.lock().unwrap().push(wamid),
                    _ => break,
                }
            }
        }));
    }
    wait_for("some acknowledged", || async { acked.lock().unwrap().len() >= 300 }).await;
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    for c in clients {
        let _ = c.await;
    }
    let acked = acked.lock().unwrap().clone();
    let conn = sea_orm::Database::connect(db.as_str()).await.unwrap();
    use sea_orm::{ConnectionTrait, Statement};
    let rows = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), "SELECT body FROM webhook_events".to_owned()))
        .await
        .unwrap();
    let stored: std::collections::HashSet<String> = rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .filter_map(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
        .filter_map(|v| v.pointer("/entry/0/changes/0/value/messages/0/id").and_then(|w| w.as_str()).map(str::to_owned))
        .collect();
    let lost: Vec<&String> = acked.iter().filter(|w| !stored.contains(*w)).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged webhooks lost: {:?}", lost.len(), acked.len(), &lost[..lost.len().min(5)]);
    assert!(stored.len() >= acked.len());
    conn.close().await.ok();
    if let Backend::Postgres(server) = &backend {
        let name = db.rsplit_once('/').unwrap().1.to_owned();
        if let Ok(c) = sea_orm::Database::connect(server.as_str()).await {
            let _ = c.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
        }
    }
}

crate::both_backends!(under_load_every_acknowledged_webhook_survives_kill_9);
