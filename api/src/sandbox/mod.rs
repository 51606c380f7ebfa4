//! The sandbox: a built-in imitation of the WhatsApp Cloud API (`SANDBOX=1`), one file per Meta
//! resource it plays (`messages.rs`, `templates.rs`, `media.rs`, `numbers.rs`) and the customer's
//! side (`customers.rs`); this file holds its state, the webhook delivery and the routes.
//!
//! The service talks to it over real HTTP exactly as it talks to Meta. It accepts sends and
//! answers with wamids; posts correctly signed status webhooks (sent, delivered, read) back to
//! the service after a delay; enforces the 24-hour rule (131047), the per-recipient pair rate
//! (131056) and per-number throughput (130429) the way Meta does; and lets a person play the
//! customer (`POST /sandbox/customers/messages`).
//!
//! Templates (`/{waba-id}/message_templates`): a submission is PENDING, then after the status
//! delay APPROVED — or REJECTED (`INVALID_FORMAT`) when its name contains `reject` — with Meta's
//! `message_template_status_update` webhook; the same name and language twice on a WABA is
//! Meta's error 100/2388024; the list pages by `limit` and `after` as Meta's does; a template can
//! be deleted; `POST /sandbox/templates/{id}/status` plays Meta pausing or disabling one, and
//! `POST /sandbox/templates/{id}/quality` (`{"score": "RED"}`) Meta rating it.
//!
//! Media: `POST /{phone-number-id}/media` keeps an upload and answers its id; `GET /{media-id}`
//! describes a file (a link valid for 5 minutes, its type, SHA-256 and size) and the link serves
//! it to a sandbox token. A customer sends a file with `"media": {"type": "image", …}` on
//! `POST /sandbox/customers/messages` (the bytes in `dataBase64`, or a small sample).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Json, Path};
use poem::{EndpointExt, IntoResponse, Request, Response, Route, get, handler, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use infrastructure::crypto::sign_webhook;

mod customers;
mod media;
mod messages;
mod numbers;
mod receiver;
mod templates;

use customers::{customer_message, outbox};
use media::{download_media, upload_media};
use messages::graph_messages;
use numbers::graph_number;
use templates::{create_template, delete_template, edit_template, list_templates, set_template_quality, set_template_status};

/// Meta's pair rate: about one message per 6 s to one user, with a burst allowance.
const PAIR_BURST: f64 = 45.0;
const PAIR_REFILL_PER_SEC: f64 = 1.0 / 6.0;
/// Default throughput per number.
const THROUGHPUT_MPS: f64 = 80.0;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentRecord {
    pub wamid: String,
    pub phone_number_id: String,
    pub to: String,
    pub body: Value,
    pub at: DateTime<Utc>,
}

#[derive(Default)]
struct SandboxState {
    last_customer_message: HashMap<(String, String), DateTime<Utc>>,
    pair: HashMap<(String, String), (f64, Instant)>,
    throughput: HashMap<String, (f64, Instant)>,
    display_numbers: HashMap<String, String>,
    sent: VecDeque<SentRecord>,
    /// Per WABA, its templates in creation order (Meta's list shape).
    templates: HashMap<String, Vec<Value>>,
    next_template_id: u64,
    /// Files by Meta-style media id: uploads and customers' files.
    media: HashMap<String, SandboxMedia>,
}

#[derive(Clone)]
struct SandboxMedia {
    bytes: bytes::Bytes,
    mime_type: String,
    /// Hex, as the sandbox announces it.
    sha256: String,
}

/// Meta's download links die after 5 minutes.
const MEDIA_LINK_LIFETIME: Duration = Duration::from_secs(300);

pub struct Sandbox {
    app_secret: String,
    status_delay: Duration,
    webhook_url: OnceLock<String>,
    http: reqwest::Client,
    state: Mutex<SandboxState>,
    /// What the merchant's receiver got (`receiver.rs`).
    received: Mutex<std::collections::VecDeque<receiver::Received>>,
}

fn take(bucket: &mut (f64, Instant), capacity: f64, per_sec: f64) -> bool {
    let now = Instant::now();
    bucket.0 = (bucket.0 + now.duration_since(bucket.1).as_secs_f64() * per_sec).min(capacity);
    bucket.1 = now;
    if bucket.0 >= 1.0 {
        bucket.0 -= 1.0;
        true
    } else {
        false
    }
}

fn meta_error(status: StatusCode, code: i64, message: &str, details: &str) -> Response {
    let mut r = Json(json!({"error": {"message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details}, "fbtrace_id": "SandboxTrace"}}))
    .into_response();
    r.set_status(status);
    r
}

impl Sandbox {
    pub fn new(app_secret: &str, status_delay: Duration) -> Self {
        Self {
            app_secret: app_secret.to_owned(),
            status_delay,
            webhook_url: OnceLock::new(),
            http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client"),
            state: Mutex::new(SandboxState::default()),
            received: Mutex::new(std::collections::VecDeque::new()),
        }
    }

    /// Where the service receives webhooks (known once the listener is bound).
    pub fn set_webhook_url(&self, url: String) {
        let _ = self.webhook_url.set(url);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SandboxState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sign and deliver a webhook to the service, as Meta would. Returns the HTTP status.
    pub async fn deliver(&self, payload: &Value) -> Result<u16, String> {
        let url = self.webhook_url.get().ok_or("the sandbox does not know the webhook URL yet")?;
        let body = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
        let sig = sign_webhook(self.app_secret.as_bytes(), &body);
        let resp = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(resp.status().as_u16())
    }

    /// `deliver`, retried as Meta retries an unacknowledged webhook (here: 6 times within ~6 s).
    pub async fn deliver_until_acknowledged(&self, payload: &Value) {
        let mut wait = Duration::from_millis(100);
        for _ in 0..6 {
            if matches!(self.deliver(payload).await, Ok(200)) {
                return;
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
        tracing::warn!("the sandbox gave up delivering a webhook after 6 tries");
    }

    fn envelope(&self, phone_number_id: &str, value: Value) -> Value {
        let display = self.lock().display_numbers.get(phone_number_id).cloned().unwrap_or_default();
        let mut value = value;
        value["messaging_product"] = json!("whatsapp");
        value["metadata"] = json!({"display_phone_number": display.trim_start_matches('+'), "phone_number_id": phone_number_id});
        json!({"object": "whatsapp_business_account", "entry": [{"id": "SANDBOX-WABA", "changes": [{"field": "messages", "value": value}]}]})
    }

    fn status_payload(
        &self,
        phone_number_id: &str,
        wamid: &str,
        to: &str,
        status: &str,
        pricing_category: &str,
        callback: Option<&str>,
    ) -> Value {
        let mut st = json!({"id": wamid, "status": status, "timestamp": Utc::now().timestamp().to_string(), "recipient_id": to,
            "pricing": {"billable": pricing_category != "service", "pricing_model": "PMP", "category": pricing_category}});
        // Meta echoes the send's `biz_opaque_callback_data` in its status webhooks.
        if let Some(c) = callback {
            st["biz_opaque_callback_data"] = json!(c);
        }
        self.envelope(phone_number_id, json!({"statuses": [st]}))
    }

    pub fn sent(&self) -> Vec<SentRecord> {
        self.lock().sent.iter().cloned().collect()
    }
}

pub fn routes(sandbox: Arc<Sandbox>) -> poem::endpoint::BoxEndpoint<'static> {
    Route::new()
        .at("/graph/:version/:phone_number_id/messages", post(graph_messages))
        .at("/graph/:version/:phone_number_id", get(graph_number).post(edit_template))
        .at("/graph/:version/:phone_number_id/media", post(upload_media))
        .at("/media/:id/download", get(download_media))
        .at("/graph/:version/:phone_number_id/message_templates", get(list_templates).post(create_template).delete(delete_template))
        .at("/templates/:id/status", post(set_template_status))
        .at("/templates/:id/quality", post(set_template_quality))
        .at("/customers/messages", post(customer_message))
        .at("/outbox", get(outbox))
        .at("/webhook-receiver", post(receiver::receive).get(receiver::received))
        .data(sandbox)
        .boxed()
}

pub(super) fn sandbox_token(req: &Request) -> Result<(), Response> {
    let token = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or("");
    if token.starts_with("EAAG") {
        Ok(())
    } else {
        Err(meta_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.", "not a sandbox test token (they start with EAAG)"))
    }
}

/// The answer of a control route that delivered a webhook: the service's status, or 502.
pub(super) fn delivered(result: Result<u16, String>) -> Response {
    match result {
        Ok(code) => Json(json!({"delivered": code})).into_response(),
        Err(e) => {
            let mut r = Json(json!({"error": e})).into_response();
            r.set_status(StatusCode::BAD_GATEWAY);
            r
        }
    }
}
