//! Operations endpoints: liveness, readiness with each configured dependency, Prometheus
//! metrics. Not part of `/api/v1` and not in the OpenAPI document.

use std::sync::Arc;
use std::time::{Duration, Instant};

use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use serde_json::json;

use application::shared::outbox::{EventPublisher, OutboxRelayStore};
use infrastructure::limiter::RedisPing;
use infrastructure::persistence::Db;

use crate::metrics::Metrics;

/// What the operations endpoints use, wired once at start-up.
pub struct OpsHttp {
    pub db: Db,
    pub outbox: Arc<dyn OutboxRelayStore>,
    pub publisher: Arc<dyn EventPublisher>,
    /// `AMQP_URL` is set.
    pub broker_configured: bool,
    /// `REDIS_URL` is set.
    pub redis: Option<RedisPing>,
    pub metrics: Metrics,
    pub sandbox: bool,
    pub media_store: Arc<dyn application::media::ports::MediaStore>,
}

/// The OpenAPI document (optional response fields declared nullable, as they are sent).
#[handler]
pub async fn openapi() -> Response {
    crate::http::openapi_json_cached().with_content_type("application/json; charset=utf-8").into_response()
}

#[handler]
pub async fn live() -> Response {
    poem::web::Json(json!({"status": "live"})).into_response()
}

/// Readiness: the database must answer; optional dependencies are reported, and a degraded
/// broker does not fail readiness (events wait in the outbox).
#[handler]
pub async fn ready(h: Data<&Arc<OpsHttp>>) -> Response {
    let t = Instant::now();
    let db = tokio::time::timeout(Duration::from_secs(2), h.db.ping()).await;
    let db_ok = matches!(db, Ok(Ok(())));
    let db_check = json!({"status": if db_ok { "up" } else { "down" }, "latencyMs": t.elapsed().as_secs_f64() * 1e3,
        "backend": format!("{:?}", h.db.backend()).to_lowercase()});
    let lag = h.outbox.lag().await.ok();
    let outbox = json!({"pending": lag.map(|l| l.0), "oldest": lag.and_then(|l| l.1)});
    let broker = match (h.broker_configured, h.publisher.healthy()) {
        (false, _) => json!({"status": "not_configured", "detail": "events go to in-process subscribers", "outbox": outbox}),
        (true, true) => json!({"status": "up", "outbox": outbox}),
        // A degraded broker does not fail readiness: events wait in the outbox.
        (true, false) => json!({"status": "degraded", "detail": "RabbitMQ unreachable; events wait in the outbox", "outbox": outbox}),
    };
    let redis = match &h.redis {
        None => json!({"status": "not_configured"}),
        Some(r) => match tokio::time::timeout(Duration::from_secs(2), r.ping()).await {
            Ok(Ok(())) => json!({"status": "up"}),
            Ok(Err(e)) => json!({"status": "down", "detail": e}),
            Err(_) => json!({"status": "down", "detail": "timeout"}),
        },
    };
    // A store that cannot be written does not fail readiness either: fetches are retried, and
    // only uploads and serving files wait for it.
    let media = match tokio::time::timeout(Duration::from_secs(2), h.media_store.check()).await {
        Ok(Ok(())) => json!({"status": "up"}),
        Ok(Err(e)) => json!({"status": "degraded", "detail": e.to_string()}),
        Err(_) => json!({"status": "degraded", "detail": "timeout"}),
    };
    let redis_ok = redis["status"] != "down";
    let ready = db_ok && redis_ok;
    let mut r = poem::web::Json(json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": {"database": db_check, "broker": broker, "redis": redis, "mediaStore": media},
        "sandbox": h.sandbox,
    }))
    .into_response();
    if !ready {
        r.set_status(poem::http::StatusCode::SERVICE_UNAVAILABLE);
    }
    r
}

#[handler]
pub async fn metrics(h: Data<&Arc<OpsHttp>>) -> Response {
    h.metrics.render().with_content_type("text/plain; version=0.0.4").into_response()
}
