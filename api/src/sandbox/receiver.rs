//! A merchant's receiver, played: `POST /sandbox/webhook-receiver` records what the service's
//! merchant webhooks deliver (the Standard Webhooks headers and the body) and answers 200, or
//! the status `?status=` asks for (an outage, played); `GET /sandbox/webhook-receiver` shows the
//! last 1,000, the oldest first, so the docs can show a delivery and verify its signature.

use std::sync::Arc;

use poem::web::{Data, Json, Query};
use poem::{IntoResponse, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Sandbox;

const KEEP: usize = 1000;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Received {
    pub webhook_id: Option<String>,
    pub webhook_timestamp: Option<String>,
    pub webhook_signature: Option<String>,
    /// The body as it came (text), and parsed when it is JSON.
    pub raw: String,
    pub body: Value,
    pub status: u16,
}

#[derive(Deserialize)]
pub(super) struct ReceiveParams {
    status: Option<u16>,
}

#[poem::handler]
pub(super) async fn receive(sandbox: Data<&Arc<Sandbox>>, req: &Request, params: Query<ReceiveParams>, body: String) -> Response {
    let header = |n: &str| req.header(n).map(str::to_owned);
    let status = params.0.status.filter(|s| (200..600).contains(s)).unwrap_or(200);
    let r = Received {
        webhook_id: header("webhook-id"),
        webhook_timestamp: header("webhook-timestamp"),
        webhook_signature: header("webhook-signature"),
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
        raw: body,
        status,
    };
    {
        let mut kept = sandbox.received.lock().unwrap_or_else(|p| p.into_inner());
        kept.push_back(r);
        while kept.len() > KEEP {
            kept.pop_front();
        }
    }
    let mut resp = Json(serde_json::json!({"received": true})).into_response();
    resp.set_status(poem::http::StatusCode::from_u16(status).unwrap_or(poem::http::StatusCode::OK));
    resp
}

#[poem::handler]
pub(super) async fn received(sandbox: Data<&Arc<Sandbox>>) -> Json<Vec<Received>> {
    Json(sandbox.received.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect())
}
