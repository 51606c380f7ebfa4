//! The sandbox: a built-in imitation of the WhatsApp Cloud API (`SANDBOX=1`).
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

    /// Set a template's status and tell the service, as Meta's review (or its quality checks) do.
    fn template_status(&self, template_id: &str, status: &str, reason: &str) -> Option<Value> {
        let mut st = self.lock();
        let (waba, t) = st
            .templates
            .iter_mut()
            .find_map(|(w, list)| list.iter_mut().find(|t| t["id"] == json!(template_id)).map(|t| (w.clone(), t)))?;
        t["status"] = json!(status);
        if status == "REJECTED" {
            t["rejected_reason"] = json!(reason);
        }
        let value = json!({"event": status, "message_template_id": template_id.parse::<u64>().unwrap_or(0),
            "message_template_name": t["name"], "message_template_language": t["language"], "reason": reason});
        Some(json!({"object": "whatsapp_business_account", "entry": [{"id": waba, "time": Utc::now().timestamp(),
            "changes": [{"field": "message_template_status_update", "value": value}]}]}))
    }

    /// Set a template's quality score and tell the service (`message_template_quality_update`).
    fn template_quality(&self, template_id: &str, score: &str) -> Option<Value> {
        let mut st = self.lock();
        let (waba, t) = st
            .templates
            .iter_mut()
            .find_map(|(w, list)| list.iter_mut().find(|t| t["id"] == json!(template_id)).map(|t| (w.clone(), t)))?;
        let previous = t["quality_score"]["score"].as_str().unwrap_or("UNKNOWN").to_owned();
        t["quality_score"] = json!({"score": score, "date": Utc::now().timestamp()});
        let value = json!({"previous_quality_score": previous, "new_quality_score": score,
            "message_template_id": template_id.parse::<u64>().unwrap_or(0), "message_template_name": t["name"],
            "message_template_language": t["language"]});
        Some(json!({"object": "whatsapp_business_account", "entry": [{"id": waba, "time": Utc::now().timestamp(),
            "changes": [{"field": "message_template_quality_update", "value": value}]}]}))
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
        .data(sandbox)
        .boxed()
}

/// `GET /{phone-number-id}`: the sandbox knows every number, for its own test tokens only
/// (`EAAG…`, as in the README); any other token is refused as Meta refuses a wrong one.
/// `GET /{media-id}` is the same path: a file the sandbox keeps is described as Meta does.
#[handler]
async fn graph_number(req: &Request, Path((_version, pnid)): Path<(String, String)>, sandbox: Data<&Arc<Sandbox>>) -> Response {
    let token = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or("");
    if !token.starts_with("EAAG") {
        return meta_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.", "not a sandbox test token (they start with EAAG)");
    }
    if let Some(m) = sandbox.lock().media.get(&pnid).cloned() {
        let url = format!("{}/media/{pnid}/download?issued={}", sandbox.base_url(), Utc::now().timestamp());
        return Json(json!({
            "messaging_product": "whatsapp", "url": url, "mime_type": m.mime_type, "sha256": m.sha256,
            "file_size": m.bytes.len(), "id": pnid,
        }))
        .into_response();
    }
    if pnid.starts_with(MEDIA_ID_PREFIX) {
        return meta_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter", "no such media (deleted, or never uploaded)");
    }
    Json(json!({"id": pnid, "verified_name": "Sandbox Business", "quality_rating": "GREEN"})).into_response()
}

/// Sandbox media ids: digits, as Meta's are, with a prefix no phone number id has.
const MEDIA_ID_PREFIX: &str = "990";

impl Sandbox {
    fn keep_media(&self, bytes: bytes::Bytes, mime_type: &str) -> (String, String) {
        use sha2::Digest;
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        let id = format!("{MEDIA_ID_PREFIX}{:013}", uuid::Uuid::new_v4().as_u128() % 10_000_000_000_000);
        let file = SandboxMedia { bytes, mime_type: mime_type.to_owned(), sha256: sha256.clone() };
        self.lock().media.insert(id.clone(), file);
        (id, sha256)
    }

    /// `http://host:port/sandbox`, from the webhook URL it was given.
    fn base_url(&self) -> String {
        let hook = self.webhook_url.get().cloned().unwrap_or_default();
        format!("{}/sandbox", hook.trim_end_matches("/webhooks/whatsapp"))
    }
}

/// `POST /{phone-number-id}/media` (multipart: `messaging_product`, `type`, `file`): Meta keeps
/// the file and answers its id.
#[handler]
async fn upload_media(req: &Request, mut form: poem::web::Multipart, sandbox: Data<&Arc<Sandbox>>) -> Response {
    if let Err(r) = sandbox_token(req) {
        return r;
    }
    let (mut file, mut kind, mut product) = (None, None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("file") => {
                let mime = field.content_type().unwrap_or("application/octet-stream").to_owned();
                match field.bytes().await {
                    Ok(b) => file = Some((b, mime)),
                    Err(_) => return meta_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter", "the file could not be read"),
                }
            }
            Some("type") => kind = field.text().await.ok(),
            Some("messaging_product") => product = field.text().await.ok(),
            _ => {}
        }
    }
    if product.as_deref() != Some("whatsapp") {
        return meta_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter", "messaging_product must be whatsapp");
    }
    let Some((bytes, mime)) = file else { return meta_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter", "file is required") };
    let mime = kind.unwrap_or(mime);
    let (id, _) = sandbox.keep_media(bytes::Bytes::from(bytes), &mime);
    Json(json!({"id": id})).into_response()
}

/// The link `GET /{media-id}` gave: the bytes, to a sandbox token, for 5 minutes.
#[handler]
async fn download_media(req: &Request, Path(id): Path<String>, sandbox: Data<&Arc<Sandbox>>) -> Response {
    if let Err(r) = sandbox_token(req) {
        return r;
    }
    let issued = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("issued=")))
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(0);
    if Utc::now().timestamp() - issued > MEDIA_LINK_LIFETIME.as_secs() as i64 {
        return meta_error(StatusCode::NOT_FOUND, 100, "Invalid parameter", "the media URL has expired");
    }
    let Some(m) = sandbox.lock().media.get(&id).cloned() else {
        return meta_error(StatusCode::NOT_FOUND, 100, "Invalid parameter", "no such media");
    };
    Response::builder().content_type(m.mime_type).body(m.bytes)
}

#[handler]
async fn graph_messages(
    req: &Request,
    Path((_version, pnid)): Path<(String, String)>,
    body: Json<Value>,
    sandbox: Data<&Arc<Sandbox>>,
) -> Response {
    let authorized = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).is_some_and(|t| !t.trim().is_empty());
    if !authorized {
        return meta_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.", "missing bearer token");
    }
    let body = body.0;
    // Read receipts and typing indicators.
    if body.get("status").and_then(Value::as_str) == Some("read") {
        return Json(json!({"success": true})).into_response();
    }
    let Some(to) = body.get("to").and_then(Value::as_str).map(str::to_owned) else {
        return meta_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter", "`to` is required");
    };
    let ty = body.get("type").and_then(Value::as_str).unwrap_or("text").to_owned();
    let now = Utc::now();
    {
        let mut st = sandbox.lock();
        let within_window =
            st.last_customer_message.get(&(pnid.clone(), to.clone())).is_some_and(|t| now < *t + chrono::Duration::hours(24));
        if ty != "template" && !within_window {
            return meta_error(
                StatusCode::BAD_REQUEST,
                131047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
            );
        }
        let tp = st.throughput.entry(pnid.clone()).or_insert((THROUGHPUT_MPS, Instant::now()));
        if !take(tp, THROUGHPUT_MPS, THROUGHPUT_MPS) {
            return meta_error(StatusCode::BAD_REQUEST, 130429, "Rate limit hit", "Cloud API message throughput has been reached.");
        }
        let pair = st.pair.entry((pnid.clone(), to.clone())).or_insert((PAIR_BURST, Instant::now()));
        if !take(pair, PAIR_BURST, PAIR_REFILL_PER_SEC) {
            return meta_error(
                StatusCode::BAD_REQUEST,
                131056,
                "(Business Account, Consumer Account) pair rate limit hit",
                "Too many messages sent from this phone number to the same phone number in a short period of time.",
            );
        }
    }
    let wamid = format!("wamid.SANDBOX{}", uuid::Uuid::new_v4().simple());
    {
        let mut st = sandbox.lock();
        st.sent.push_back(SentRecord { wamid: wamid.clone(), phone_number_id: pnid.clone(), to: to.clone(), body: body.clone(), at: now });
        while st.sent.len() > 1000 {
            st.sent.pop_front();
        }
    }
    // Statuses come back later, signed, like Meta's.
    let sb = Arc::clone(&sandbox);
    let (w, p, t) = (wamid.clone(), pnid.clone(), to.clone());
    let callback = body.get("biz_opaque_callback_data").and_then(Value::as_str).map(str::to_owned);
    let category = if ty == "template" { "utility" } else { "service" };
    tokio::spawn(async move {
        for status in ["sent", "delivered", "read"] {
            tokio::time::sleep(sb.status_delay).await;
            let payload = sb.status_payload(&p, &w, &t, status, category, callback.as_deref());
            sb.deliver_until_acknowledged(&payload).await;
        }
    });
    let mut answer = json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]});
    if ty == "template" {
        answer["messages"][0]["message_status"] = json!("accepted");
    }
    Json(answer).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomerMessage {
    /// The business number's phone number id (as connected).
    phone_number_id: String,
    /// The business number (E.164), shown in the webhook's metadata.
    display_phone_number: Option<String>,
    /// The customer: E.164 or WhatsApp id.
    from: String,
    /// The customer's profile name.
    name: Option<String>,
    /// Shorthand for a text message.
    text: Option<String>,
    /// Any Meta message object without `id`, `from`, `timestamp` (e.g. `{"type":"image","image":{…}}`).
    message: Option<Value>,
    /// A file the customer sends: the sandbox keeps it and announces it as Meta does.
    media: Option<CustomerMedia>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CustomerMedia {
    /// `image`, `video`, `audio`, `document` or `sticker`.
    #[serde(rename = "type")]
    kind: String,
    /// Defaults by type (`image/jpeg`, `video/mp4`, `audio/ogg`, `application/pdf`, `image/webp`).
    mime_type: Option<String>,
    /// The file; a small sample of the type when absent.
    data_base64: Option<String>,
    caption: Option<String>,
    filename: Option<String>,
}

/// Play the customer: the sandbox sends a signed `messages` webhook to the service.
#[handler]
async fn customer_message(body: Json<Value>, sandbox: Data<&Arc<Sandbox>>) -> Response {
    let input: CustomerMessage = match serde_json::from_value(body.0) {
        Ok(i) => i,
        Err(e) => return crate::http::error::plain(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", &format!("body: {e}")),
    };
    let from = input.from.trim().trim_start_matches('+').to_owned();
    if from.len() < 8 || !from.bytes().all(|b| b.is_ascii_digit()) {
        return crate::http::error::plain(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", "from: must be E.164 or a WhatsApp id");
    }
    let media = match input.media.map(|m| sandbox.customer_media(m)).transpose() {
        Ok(m) => m,
        Err(e) => return crate::http::error::plain(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", &e),
    };
    let mut message = match (media.or(input.message), input.text) {
        (Some(m @ Value::Object(_)), _) => m,
        (None, Some(t)) => json!({"type": "text", "text": {"body": t}}),
        _ => return crate::http::error::plain(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", "message or text is required"),
    };
    let wamid = format!("wamid.SANDBOXIN{}", uuid::Uuid::new_v4().simple());
    let now = Utc::now();
    message["id"] = json!(wamid);
    message["from"] = json!(from);
    message["timestamp"] = json!(now.timestamp().to_string());
    {
        let mut st = sandbox.lock();
        if let Some(d) = input.display_phone_number {
            st.display_numbers.insert(input.phone_number_id.clone(), d);
        }
        st.last_customer_message.insert((input.phone_number_id.clone(), from.clone()), now);
    }
    let contact = json!({"profile": {"name": input.name.unwrap_or_else(|| "Sandbox Customer".into())}, "wa_id": from});
    let payload = sandbox.envelope(&input.phone_number_id, json!({"contacts": [contact], "messages": [message]}));
    match sandbox.deliver(&payload).await {
        Ok(status) => Json(json!({"wamid": wamid, "webhookStatus": status})).into_response(),
        Err(e) => {
            crate::http::error::plain(StatusCode::BAD_GATEWAY, "WEBHOOK_DELIVERY_FAILED", &format!("could not deliver the webhook: {e}"))
        }
    }
}

impl Sandbox {
    /// A customer's file: kept, and described as Meta's webhook describes it.
    fn customer_media(&self, m: CustomerMedia) -> Result<Value, String> {
        use base64::Engine;
        let (default_mime, sample): (&str, Vec<u8>) = match m.kind.as_str() {
            "image" => ("image/jpeg", domain::media::rules::samples::jpeg(2048)),
            "video" => ("video/mp4", domain::media::rules::samples::mp4(4096)),
            "audio" => ("audio/ogg", domain::media::rules::samples::ogg(2048)),
            "document" => ("application/pdf", domain::media::rules::samples::pdf(2048)),
            "sticker" => ("image/webp", domain::media::rules::samples::webp(2048, false)),
            _ => return Err("media.type: must be image, video, audio, document or sticker".into()),
        };
        let bytes = match m.data_base64 {
            Some(b) => base64::engine::general_purpose::STANDARD.decode(b.trim()).map_err(|e| format!("media.dataBase64: {e}"))?,
            None => sample,
        };
        let mime = m.mime_type.unwrap_or_else(|| default_mime.to_owned());
        let (id, sha256) = self.keep_media(bytes::Bytes::from(bytes), &mime);
        let mut body = json!({"id": id, "mime_type": mime, "sha256": sha256});
        if let Some(c) = m.caption {
            body["caption"] = json!(c);
        }
        if let Some(f) = m.filename {
            body["filename"] = json!(f);
        }
        if m.kind == "audio" {
            body["voice"] = json!(true);
        }
        Ok(json!({"type": m.kind, m.kind.clone(): body}))
    }
}

/// What reached the simulated Cloud API (newest last, up to 1000).
#[handler]
async fn outbox(sandbox: Data<&Arc<Sandbox>>) -> Json<Vec<SentRecord>> {
    Json(sandbox.sent())
}

fn sandbox_token(req: &Request) -> Result<(), Response> {
    let token = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or("");
    if token.starts_with("EAAG") {
        Ok(())
    } else {
        Err(meta_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.", "not a sandbox test token (they start with EAAG)"))
    }
}

/// `POST /{waba-id}/message_templates`: PENDING now; APPROVED (or REJECTED for a name with
/// `reject`) after the status delay, by webhook.
#[handler]
async fn create_template(
    req: &Request,
    Path((_version, waba)): Path<(String, String)>,
    body: Json<Value>,
    sandbox: Data<&Arc<Sandbox>>,
) -> Response {
    if let Err(r) = sandbox_token(req) {
        return r;
    }
    let (name, language) = (body["name"].as_str().unwrap_or(""), body["language"].as_str().unwrap_or(""));
    if name.is_empty() || language.is_empty() || !body["components"].is_array() {
        return meta_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter", "name, language and components are required");
    }
    let id = {
        let mut st = sandbox.lock();
        let list = st.templates.entry(waba.clone()).or_default();
        if list.iter().any(|t| t["name"] == json!(name) && t["language"] == json!(language)) {
            let mut r = Json(json!({"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100,
                "error_subcode": 2388024, "error_user_title": "Message template already exists",
                "error_user_msg": "There is already English (US) content for this template.", "fbtrace_id": "SandboxTrace"}}))
            .into_response();
            r.set_status(StatusCode::BAD_REQUEST);
            return r;
        }
        st.next_template_id += 1;
        let id = (1_000_000_000_000_000u64 + st.next_template_id).to_string();
        let mut t = body.0.clone();
        t["id"] = json!(id);
        t["status"] = json!("PENDING");
        t["category"] = json!(body["category"].as_str().unwrap_or("UTILITY").to_ascii_uppercase());
        st.templates.entry(waba.clone()).or_default().push(t);
        id
    };
    let (review, reason) = if name.contains("reject") { ("REJECTED", "INVALID_FORMAT") } else { ("APPROVED", "NONE") };
    let sb = sandbox.0.clone();
    let (id2, wait) = (id.clone(), sandbox.status_delay);
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        if let Some(payload) = sb.template_status(&id2, review, reason) {
            sb.deliver_until_acknowledged(&payload).await;
        }
    });
    let category = body["category"].as_str().unwrap_or("UTILITY").to_ascii_uppercase();
    Json(json!({"id": id, "status": "PENDING", "category": category})).into_response()
}

#[derive(Deserialize)]
struct ListParams {
    limit: Option<usize>,
    after: Option<String>,
}

/// `GET /{waba-id}/message_templates`: pages of `limit` (default 25, at most 100), with
/// `paging.cursors.after` and `paging.next` while more follow.
#[handler]
async fn list_templates(
    req: &Request,
    Path((_version, waba)): Path<(String, String)>,
    poem::web::Query(p): poem::web::Query<ListParams>,
    sandbox: Data<&Arc<Sandbox>>,
) -> Response {
    if let Err(r) = sandbox_token(req) {
        return r;
    }
    let limit = p.limit.unwrap_or(25).clamp(1, 100);
    let start: usize = p.after.as_deref().and_then(|a| a.strip_prefix("c-")).and_then(|n| n.parse().ok()).unwrap_or(0);
    let st = sandbox.lock();
    let all = st.templates.get(&waba).map_or(&[][..], Vec::as_slice);
    let page: Vec<Value> = all.iter().skip(start).take(limit).cloned().collect();
    let end = start + page.len();
    let mut paging = json!({"cursors": {"before": format!("c-{start}"), "after": format!("c-{end}")}});
    if end < all.len() {
        paging["next"] = json!(format!("sandbox://{waba}/message_templates?after=c-{end}"));
    }
    Json(json!({"data": page, "paging": paging})).into_response()
}

#[derive(Deserialize)]
struct DeleteParams {
    name: Option<String>,
    hsm_id: Option<String>,
}

/// `DELETE /{waba-id}/message_templates?name=…[&hsm_id=…]`.
#[handler]
async fn delete_template(
    req: &Request,
    Path((_version, waba)): Path<(String, String)>,
    poem::web::Query(p): poem::web::Query<DeleteParams>,
    sandbox: Data<&Arc<Sandbox>>,
) -> Response {
    if let Err(r) = sandbox_token(req) {
        return r;
    }
    let mut st = sandbox.lock();
    let list = st.templates.entry(waba).or_default();
    let before = list.len();
    list.retain(|t| {
        !(Some(t["name"].as_str().unwrap_or("")) == p.name.as_deref() && p.hsm_id.as_deref().is_none_or(|h| t["id"] == json!(h)))
    });
    if list.len() == before {
        return meta_error(StatusCode::NOT_FOUND, 100, "Template not found", "no template with this name (and id) on this WABA");
    }
    Json(json!({"success": true})).into_response()
}

/// `POST /sandbox/templates/{id}/status` `{"status": "PAUSED", "reason": "…"}`: Meta changing a
/// template's status (a pause for low quality, a disable, an approval after appeal).
#[handler]
async fn set_template_status(Path(id): Path<String>, body: Json<Value>, sandbox: Data<&Arc<Sandbox>>) -> Response {
    let status = body["status"].as_str().unwrap_or("").to_ascii_uppercase();
    if !["APPROVED", "REJECTED", "PAUSED", "DISABLED", "IN_APPEAL", "PENDING"].contains(&status.as_str()) {
        let mut r = Json(json!({"error": "status must be APPROVED, REJECTED, PAUSED, DISABLED, IN_APPEAL or PENDING"})).into_response();
        r.set_status(StatusCode::BAD_REQUEST);
        return r;
    }
    let reason = body["reason"].as_str().unwrap_or("NONE").to_owned();
    let Some(payload) = sandbox.template_status(&id, &status, &reason) else {
        let mut r = Json(json!({"error": "no such template"})).into_response();
        r.set_status(StatusCode::NOT_FOUND);
        return r;
    };
    delivered(sandbox.deliver(&payload).await)
}

/// `POST /sandbox/templates/{id}/quality` `{"score": "GREEN"|"YELLOW"|"RED"}`: Meta rating a
/// template from its recipients' feedback.
#[handler]
async fn set_template_quality(Path(id): Path<String>, body: Json<Value>, sandbox: Data<&Arc<Sandbox>>) -> Response {
    let score = body["score"].as_str().unwrap_or("").to_ascii_uppercase();
    if !["GREEN", "YELLOW", "RED", "UNKNOWN"].contains(&score.as_str()) {
        let mut r = Json(json!({"error": "score must be GREEN, YELLOW, RED or UNKNOWN"})).into_response();
        r.set_status(StatusCode::BAD_REQUEST);
        return r;
    }
    let Some(payload) = sandbox.template_quality(&id, &score) else {
        let mut r = Json(json!({"error": "no such template"})).into_response();
        r.set_status(StatusCode::NOT_FOUND);
        return r;
    };
    delivered(sandbox.deliver(&payload).await)
}

/// The answer of a control route that delivered a webhook: the service's status, or 502.
fn delivered(result: Result<u16, String>) -> Response {
    match result {
        Ok(code) => Json(json!({"delivered": code})).into_response(),
        Err(e) => {
            let mut r = Json(json!({"error": e})).into_response();
            r.set_status(StatusCode::BAD_GATEWAY);
            r
        }
    }
}

/// `POST /{template-id}`: new components (and category) for a template; it is PENDING review
/// again, and approved (or rejected) after the status delay, by webhook.
#[handler]
async fn edit_template(
    req: &Request,
    Path((_version, id)): Path<(String, String)>,
    body: Json<Value>,
    sandbox: Data<&Arc<Sandbox>>,
) -> Response {
    if let Err(r) = sandbox_token(req) {
        return r;
    }
    let name = {
        let mut st = sandbox.lock();
        let Some(t) = st.templates.values_mut().flat_map(|l| l.iter_mut()).find(|t| t["id"] == json!(id)) else {
            return meta_error(StatusCode::NOT_FOUND, 100, "Unsupported post request", "no template with this id");
        };
        if let Some(c) = body.get("components") {
            t["components"] = c.clone();
        }
        if let Some(c) = body.get("category") {
            t["category"] = c.clone();
        }
        t["status"] = json!("PENDING");
        t["name"].as_str().unwrap_or("").to_owned()
    };
    let (review, reason) = if name.contains("reject") { ("REJECTED", "INVALID_FORMAT") } else { ("APPROVED", "NONE") };
    let sb = sandbox.0.clone();
    tokio::spawn(async move {
        tokio::time::sleep(sb.status_delay).await;
        if let Some(payload) = sb.template_status(&id, review, reason) {
            sb.deliver_until_acknowledged(&payload).await;
        }
    });
    Json(json!({"success": true})).into_response()
}
