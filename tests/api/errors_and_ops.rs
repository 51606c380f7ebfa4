use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn framework_errors_use_the_contract_body() {
    let app = spawn_app(Backend::Sqlite).await;
    expect_error(app.http.get(app.url("/no/such/path")).send().await.unwrap(), 404, "NOT_FOUND").await;
    expect_error(app.http.get(app.url("/api/v1/nothing-here")).bearer_auth(ADMIN_KEY).send().await.unwrap(), 404, "NOT_FOUND").await;
    expect_error(app.http.delete(app.url("/api/v1/messages/send")).bearer_auth(ADMIN_KEY).send().await.unwrap(), 405, "METHOD_NOT_ALLOWED")
        .await;
    let r = app.http.get(app.url("/api/v1/messages/not-a-uuid")).bearer_auth(ADMIN_KEY).send().await.unwrap();
    expect_error(r, 400, "VALIDATION_FAILED").await;
    let r =
        app.http.post(app.url("/api/v1/shops")).bearer_auth(ADMIN_KEY).header("content-type", "text/plain").body("x").send().await.unwrap();
    assert!(r.status().is_client_error());
    let v = json(r).await;
    assert_eq!(v["error"]["code"], "VALIDATION_FAILED");
    // Every response carries a request id; a sane incoming one is kept.
    let r = app.http.get(app.url("/health/live")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(r.headers().get("x-request-id").unwrap(), "abc-123");
}

#[tokio::test]
async fn health_metrics_and_docs() {
    let app = spawn_app(Backend::Sqlite).await;
    let live = app.http.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(live.status().as_u16(), 200);
    let ready = json(app.http.get(app.url("/health/ready")).send().await.unwrap()).await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["checks"]["database"]["status"], "up");
    assert_eq!(ready["checks"]["broker"]["status"], "not_configured");
    assert_eq!(ready["checks"]["mediaStore"]["status"], "up", "the media store's folder is writable");
    app.http.get(app.url("/health/live")).send().await.unwrap();
    let metrics = app.metrics().await;
    for name in [
        "whatsapp_messages_received_total",
        "whatsapp_messages_sent_total",
        "whatsapp_conversation_duration_seconds",
        "whatsapp_ai_tokens_used_total",
        "whatsapp_webhook_processing_duration_ms",
        "whatsapp_media_fetches_total",
        "whatsapp_media_backlog",
        "whatsapp_webhook_ack_duration_seconds",
        "http_request_duration_seconds",
    ] {
        assert!(metrics.contains(name), "missing {name}");
    }
    assert!(metrics.contains("http_requests_total{method=\"GET\",route=\"/health/live\",status=\"200\"}"), "{metrics}");
    assert_eq!(app.http.get(app.url("/docs")).send().await.unwrap().status().as_u16(), 200);
    let spec: Value = json(app.http.get(app.url("/openapi.json")).send().await.unwrap()).await;
    assert!(spec["paths"]["/api/v1/messages/send"]["post"].is_object());
}

/// The OpenAPI document is part of the contract: any change to it must be deliberate.
/// Regenerate with `cargo run -p api --bin whatsapp-service -- openapi > docs/openapi.json`.
#[test]
fn openapi_spec_matches_the_snapshot() {
    let spec: Value = serde_json::from_str(&api::startup::openapi_json()).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::write(path, serde_json::to_string_pretty(&spec).unwrap() + "\n").unwrap();
    }
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("docs/openapi.json exists")).unwrap();
    assert!(
        spec == snapshot,
        "the OpenAPI spec changed; review it and regenerate docs/openapi.json (UPDATE_SNAPSHOTS=1 cargo test openapi)"
    );
    for p in [
        "/api/v1/shops",
        "/api/v1/accounts",
        "/api/v1/messages/send",
        "/api/v1/messages/template",
        "/api/v1/messages",
        "/api/v1/conversations/status",
    ] {
        assert!(spec["paths"][p].is_object(), "{p} missing");
    }
}

/// Every Postgres connection of the pool has `TCP_NODELAY` (sqlx leaves Nagle on; a large
/// statement would wait 40 ms for the server's delayed ACK). Linux only: elsewhere it is not set.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_have_tcp_nodelay() {
    use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
    let Some(backend) = Backend::postgres() else { return };
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&backend, &dir).await;
    let db = infrastructure::persistence::Db::connect(&url).await.unwrap();
    // Two connections at once: the pool's first and a new one.
    let (a, b) = (db.conn.begin().await.unwrap(), db.conn.begin().await.unwrap());
    for tx in [&a, &b] {
        let row = tx
            .query_one_raw(Statement::from_string(tx.get_database_backend(), "SELECT inet_client_port() AS port"))
            .await
            .unwrap()
            .unwrap();
        let port: i32 = row.try_get("", "port").unwrap();
        let nodelay = infrastructure::persistence::nodelay::nodelay_of_local_port(port as u16).unwrap();
        assert_eq!(nodelay, Some(true), "the connection on local port {port}");
    }
}
