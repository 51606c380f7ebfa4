//! A typed client for the WhatsApp Cloud API (`POST /{version}/{phone_number_id}/messages`).
//!
//! Resilience (seed 002): 10 s timeout per request; up to 3 retries with exponential backoff
//! (500 ms, 1.5 s, 4.5 s) for retryable Meta errors only; a circuit breaker per number (50 %
//! transient failures over 30 s, at least 10 calls, opens it for 30 s). A request whose outcome
//! is unknown (timeout, connection dropped after sending) is never retried: Meta has no
//! idempotency key, so a blind retry could deliver the message twice (docs/adr/0004).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::{Value, json};

use application::accounts::ports::{NumberDirectory, VerifiedNumber};
use application::media::ports::{MediaApi, MetaMedia};
use application::messaging::ports::{CloudApi, SendReceipt};
use application::shared::meta::{CloudApiError, CloudApiErrorKind, SenderCredentials};
use application::shared::ports::Secret;
use application::templates::ports::{Submitted, TemplateApi, TemplatePage};
use domain::messaging::{Header, Media, MessageContent};
use domain::templates::TemplateCategory;
use domain::{PhoneNumberId, WaId};

/// Meta error codes worth retrying: throttling, temporary and server-side failures.
pub fn is_retryable(code: i64) -> bool {
    matches!(code, 1 | 2 | 4 | 17 | 341 | 80007 | 130429 | 131000 | 131016 | 131056 | 133004 | 133005)
}

#[derive(Debug, Clone)]
pub struct BreakerConfig {
    pub window: Duration,
    pub failure_ratio: f64,
    pub min_calls: usize,
    pub open_for: Duration,
}

/// How long a number's circuit stays open before one call may try again.
pub const CIRCUIT_OPEN_FOR: Duration = Duration::from_secs(30);

impl Default for BreakerConfig {
    fn default() -> Self {
        Self { window: Duration::from_secs(30), failure_ratio: 0.5, min_calls: 10, open_for: CIRCUIT_OPEN_FOR }
    }
}

/// A sliding-window circuit breaker. Pure: time is passed in.
#[derive(Debug, Default)]
pub struct Breaker {
    calls: Vec<(Instant, bool)>,
    open_until: Option<Instant>,
    half_open_trial: bool,
}

impl Breaker {
    /// May a call go out now?
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.open_until {
            Some(until) if now < until => false,
            Some(_) => {
                // Half-open: one trial call decides.
                if self.half_open_trial {
                    false
                } else {
                    self.half_open_trial = true;
                    true
                }
            }
            None => true,
        }
    }

    pub fn record(&mut self, cfg: &BreakerConfig, now: Instant, success: bool) {
        if self.open_until.is_some() && self.half_open_trial {
            self.half_open_trial = false;
            if success {
                self.open_until = None;
                self.calls.clear();
            } else {
                self.open_until = Some(now + cfg.open_for);
            }
            return;
        }
        self.calls.retain(|(t, _)| now.duration_since(*t) < cfg.window);
        self.calls.push((now, success));
        let failures = self.calls.iter().filter(|(_, ok)| !ok).count();
        if self.calls.len() >= cfg.min_calls && failures as f64 / self.calls.len() as f64 >= cfg.failure_ratio {
            self.open_until = Some(now + cfg.open_for);
            self.calls.clear();
        }
    }

    pub fn is_open(&self, now: Instant) -> bool {
        self.open_until.is_some_and(|u| now < u)
    }
}

/// A file's whole transfer (a download of up to 100 MB, or an upload): longer than a call's
/// timeout, and shorter than a fetch's claim (5 minutes), so that a slow transfer fails before
/// another replica may take the same file.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(240);

pub struct CloudApiClient {
    http: reqwest::Client,
    /// A call's timeout; during a transfer, the longest wait for the answer or the next chunk.
    stall: Duration,
    base_url: String,
    version: String,
    retry_delays: Vec<Duration>,
    breaker_cfg: BreakerConfig,
    breakers: Mutex<HashMap<String, Breaker>>,
}

impl CloudApiClient {
    pub fn new(base_url: &str, version: &str, timeout: Duration, retry_base: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(64)
            .user_agent(concat!("whatsapp-service/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("HTTP client builds");
        Self {
            http,
            stall: timeout,
            base_url: base_url.trim_end_matches('/').to_owned(),
            version: version.to_owned(),
            retry_delays: vec![retry_base, retry_base * 3, retry_base * 9],
            breaker_cfg: BreakerConfig::default(),
            breakers: Mutex::new(HashMap::new()),
        }
    }

    /// No in-request retries: the delivery engine owns retry policy for queued sends.
    pub fn without_retries(mut self) -> Self {
        self.retry_delays.clear();
        self
    }

    pub fn with_breaker(mut self, cfg: BreakerConfig) -> Self {
        self.breaker_cfg = cfg;
        self
    }

    fn url(&self, phone_number_id: &str) -> String {
        format!("{}/{}/{}/messages", self.base_url, self.version, phone_number_id)
    }

    fn breaker_allows(&self, key: &str) -> bool {
        let mut map = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_owned()).or_default().allow(Instant::now())
    }

    fn breaker_record(&self, key: &str, success: bool) {
        let mut map = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_owned()).or_default().record(&self.breaker_cfg, Instant::now(), success);
    }

    /// POST with retries. Returns the JSON body of a 2xx answer.
    async fn post(&self, creds: &SenderCredentials, body: &Value) -> Result<Value, CloudApiError> {
        let key = creds.phone_number_id.as_str();
        let url = self.url(key);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if !self.breaker_allows(key) {
                return Err(CloudApiError::circuit_open(attempt - 1));
            }
            let result = self.http.post(&url).bearer_auth(creds.access_token.expose()).json(body).send().await;
            let err = match result {
                Ok(resp) if resp.status().is_success() => {
                    self.breaker_record(key, true);
                    return resp.json::<Value>().await.map_err(|e| {
                        CloudApiError::outcome_unknown(format!("unreadable success response: {e}"), None).with_attempts(attempt)
                    });
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let body: Value = resp.json().await.unwrap_or(Value::Null);
                    meta_error(status, &body, attempt)
                }
                Err(e) if e.is_connect() => {
                    CloudApiError::unreachable("could not connect to the Cloud API", e.to_string()).with_attempts(attempt)
                }
                Err(e) => {
                    let title =
                        if e.is_timeout() { "the Cloud API did not answer in time" } else { "the connection to the Cloud API failed" };
                    CloudApiError::outcome_unknown(title, Some(e.to_string())).with_attempts(attempt)
                }
            };
            let transient = match err.kind {
                CloudApiErrorKind::Meta => err.code.is_some_and(is_retryable) || err.http_status.is_some_and(|s| s >= 500),
                CloudApiErrorKind::Unreachable | CloudApiErrorKind::OutcomeUnknown => true,
                CloudApiErrorKind::CircuitOpen => false,
            };
            self.breaker_record(key, !transient);
            let retry = match err.kind {
                CloudApiErrorKind::Meta => transient,
                CloudApiErrorKind::Unreachable => true,
                _ => false,
            };
            match self.retry_delays.get(attempt as usize - 1) {
                Some(delay) if retry => {
                    tracing::warn!(code = ?err.code, attempt, delay_ms = delay.as_millis() as u64, "Cloud API call failed; retrying");
                    tokio::time::sleep(*delay).await;
                }
                _ => return Err(err),
            }
        }
    }
}

#[async_trait]
impl NumberDirectory for CloudApiClient {
    async fn verify_number(&self, phone_number_id: &PhoneNumberId, token: &Secret) -> Result<VerifiedNumber, CloudApiError> {
        let url = format!("{}/{}/{}?fields=display_phone_number,verified_name", self.base_url, self.version, phone_number_id.as_str());
        let unreachable = |e: reqwest::Error| CloudApiError::unreachable("could not ask the Cloud API about the number", e.to_string());
        let resp = self.http.get(&url).bearer_auth(token.expose()).send().await.map_err(unreachable)?;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            return Err(meta_error(status, &body, 1));
        }
        // Meta answers with the object's own id: anything else is not this number.
        if body.get("id").and_then(Value::as_str) != Some(phone_number_id.as_str()) {
            return Err(meta_error(404, &serde_json::json!({"error": {"message": "the Cloud API did not return this phone number"}}), 1));
        }
        Ok(VerifiedNumber { display_phone_number: body.get("display_phone_number").and_then(Value::as_str).map(str::to_owned) })
    }
}

fn meta_error(http_status: u16, body: &Value, attempts: u32) -> CloudApiError {
    let e = body.get("error").unwrap_or(&Value::Null);
    let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
    let title = s("message").or_else(|| s("error_user_title")).unwrap_or_else(|| format!("HTTP {http_status} from the Cloud API"));
    CloudApiError::meta(http_status, e.get("code").and_then(Value::as_i64), title)
        .with_subcode(e.get("error_subcode").and_then(Value::as_i64))
        .with_details(e.pointer("/error_data/details").and_then(Value::as_str).map(str::to_owned))
        .with_trace(s("fbtrace_id"))
        .with_attempts(attempts)
}

#[async_trait]
impl CloudApi for CloudApiClient {
    async fn send_message(
        &self,
        creds: &SenderCredentials,
        to: &WaId,
        content: &MessageContent,
        reply_to: Option<&str>,
        callback_data: Option<&str>,
    ) -> Result<SendReceipt, CloudApiError> {
        let mut body = to_meta_message(to, content, reply_to);
        if let Some(c) = callback_data {
            // Meta allows up to 512 characters; ours is a UUID.
            body["biz_opaque_callback_data"] = Value::String(c.to_owned());
        }
        let answer = self.post(creds, &body).await?;
        answer
            .pointer("/messages/0/id")
            .and_then(Value::as_str)
            .map(|w| SendReceipt { wamid: w.to_owned() })
            .ok_or_else(|| CloudApiError::outcome_unknown("the Cloud API answered without a message id", None).with_http_status(Some(200)))
    }

    async fn mark_read(&self, creds: &SenderCredentials, wamid: &str, typing: bool) -> Result<(), CloudApiError> {
        let mut body = json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid});
        if typing {
            body["typing_indicator"] = json!({"type": "text"});
        }
        self.post(creds, &body).await.map(|_| ())
    }
}

fn media_json(m: &Media, with_caption: bool, with_filename: bool) -> Value {
    let mut v = json!({});
    if let Some(id) = &m.id {
        v["id"] = json!(id);
    }
    if let Some(link) = &m.link {
        v["link"] = json!(link);
    }
    if with_caption && let Some(c) = &m.caption {
        v["caption"] = json!(c);
    }
    if with_filename && let Some(f) = &m.filename {
        v["filename"] = json!(f);
    }
    v
}

fn header_json(h: &Header) -> Value {
    match h {
        Header::Text { text } => json!({"type": "text", "text": text}),
        Header::Image(m) => json!({"type": "image", "image": media_json(m, false, false)}),
        Header::Video(m) => json!({"type": "video", "video": media_json(m, false, false)}),
        Header::Document(m) => json!({"type": "document", "document": media_json(m, false, true)}),
    }
}

fn interactive(kind: &str, header: &Option<Header>, body: &str, footer: &Option<String>, action: Value) -> Value {
    let mut i = json!({"type": kind, "body": {"text": body}, "action": action});
    if let Some(h) = header {
        i["header"] = header_json(h);
    }
    if let Some(f) = footer {
        i["footer"] = json!({"text": f});
    }
    json!({"type": "interactive", "interactive": i})
}

/// Our content → Meta's request body.
pub fn to_meta_message(to: &WaId, content: &MessageContent, reply_to: Option<&str>) -> Value {
    let payload = match content {
        MessageContent::Text { text, preview_url } => json!({"type": "text", "text": {"body": text, "preview_url": preview_url}}),
        MessageContent::Image(m) => json!({"type": "image", "image": media_json(m, true, false)}),
        MessageContent::Video(m) => json!({"type": "video", "video": media_json(m, true, false)}),
        MessageContent::Audio(m) => json!({"type": "audio", "audio": media_json(m, false, false)}),
        MessageContent::Document(m) => json!({"type": "document", "document": media_json(m, true, true)}),
        MessageContent::Sticker(m) => json!({"type": "sticker", "sticker": media_json(m, false, false)}),
        MessageContent::Location { latitude, longitude, name, address, .. } => {
            json!({"type": "location", "location": {"latitude": latitude, "longitude": longitude, "name": name, "address": address}})
        }
        MessageContent::Contacts { contacts } => json!({"type": "contacts", "contacts": contacts}),
        MessageContent::Reaction { message_id, emoji } => {
            json!({"type": "reaction", "reaction": {"message_id": message_id, "emoji": emoji}})
        }
        MessageContent::Buttons { header, body, footer, buttons } => interactive(
            "button",
            header,
            body,
            footer,
            json!({"buttons": buttons.iter().map(|b| json!({"type": "reply", "reply": {"id": b.id, "title": b.title}})).collect::<Vec<_>>()}),
        ),
        MessageContent::List { header, body, footer, button_text, sections } => interactive(
            "list",
            header,
            body,
            footer,
            json!({"button": button_text, "sections": sections.iter().map(|s| {
                let mut v = json!({"rows": s.rows.iter().map(|r| {
                    let mut row = json!({"id": r.id, "title": r.title});
                    if let Some(d) = &r.description { row["description"] = json!(d); }
                    row
                }).collect::<Vec<_>>()});
                if let Some(t) = &s.title { v["title"] = json!(t); }
                v
            }).collect::<Vec<_>>()}),
        ),
        MessageContent::CtaUrl { header, body, footer, display_text, url } => interactive(
            "cta_url",
            header,
            body,
            footer,
            json!({"name": "cta_url", "parameters": {"display_text": display_text, "url": url}}),
        ),
        MessageContent::LocationRequest { body } => {
            interactive("location_request_message", &None, body, &None, json!({"name": "send_location"}))
        }
        MessageContent::Flow { header, body, footer, flow_id, flow_cta, flow_token, screen, data, draft } => {
            let mut params = json!({"flow_message_version": "3", "flow_id": flow_id, "flow_cta": flow_cta,
                "mode": if *draft { "draft" } else { "published" }});
            if let Some(t) = flow_token {
                params["flow_token"] = json!(t);
            }
            if let Some(s) = screen {
                params["flow_action"] = json!("navigate");
                params["flow_action_payload"] = json!({"screen": s, "data": data});
            }
            interactive("flow", header, body, footer, json!({"name": "flow", "parameters": params}))
        }
        MessageContent::Template(t) => json!({"type": "template", "template": {
            "name": t.name, "language": {"code": t.language}, "components": t.components}}),
        // Inbound-only types never pass validation; send their raw form if they ever get here.
        other => json!({"type": other.type_name()}),
    };
    let mut body = json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to.as_str()});
    if let (Value::Object(dst), Value::Object(src)) = (&mut body, payload) {
        dst.extend(src);
    }
    if let Some(w) = reply_to {
        body["context"] = json!({"message_id": w});
    }
    body
}

/// Meta's template endpoints: one attempt each (a person is waiting, and a retried submission
/// could create the template twice); errors keep Meta's code for the caller's policy.
impl CloudApiClient {
    async fn graph(&self, method: reqwest::Method, path: &str, token: &Secret, body: Option<&Value>) -> Result<Value, CloudApiError> {
        let url = format!("{}/{}/{}", self.base_url, self.version, path);
        let mut req = self.http.request(method, &url).bearer_auth(token.expose());
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| transport_error(&e, "the Cloud API could not be reached"))?;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if (200..300).contains(&status) { Ok(body) } else { Err(meta_error(status, &body, 1)) }
    }
}

#[async_trait]
impl TemplateApi for CloudApiClient {
    async fn submit(&self, waba_id: &str, token: &Secret, template: &Value) -> Result<Submitted, CloudApiError> {
        let v = self.graph(reqwest::Method::POST, &format!("{waba_id}/message_templates"), token, Some(template)).await?;
        let id = v.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        if id.is_empty() {
            return Err(meta_error(502, &json!({"error": {"message": "Meta accepted the template without an id"}}), 1));
        }
        Ok(Submitted {
            id,
            status: v.get("status").and_then(Value::as_str).unwrap_or("PENDING").to_owned(),
            category: v.get("category").and_then(Value::as_str).and_then(TemplateCategory::parse),
        })
    }

    async fn list(&self, waba_id: &str, token: &Secret, after: Option<&str>) -> Result<TemplatePage, CloudApiError> {
        let fields = "id,name,language,status,category,components,parameter_format,rejected_reason,quality_score";
        let mut path = format!("{waba_id}/message_templates?limit=100&fields={fields}");
        if let Some(a) = after {
            path.push_str("&after=");
            path.push_str(&url_escape(a));
        }
        let v = self.graph(reqwest::Method::GET, &path, token, None).await?;
        let templates = v.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        // Meta gives `paging.next` only when there is a next page.
        let after = v
            .get("paging")
            .filter(|p| p.get("next").is_some())
            .and_then(|p| p.get("cursors"))
            .and_then(|c| c.get("after"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(TemplatePage { templates, after })
    }

    async fn delete(&self, waba_id: &str, token: &Secret, name: &str, meta_template_id: &str) -> Result<(), CloudApiError> {
        let path = format!("{waba_id}/message_templates?hsm_id={}&name={}", url_escape(meta_template_id), url_escape(name));
        self.graph(reqwest::Method::DELETE, &path, token, None).await.map(|_| ())
    }

    async fn edit(&self, meta_template_id: &str, token: &Secret, change: &Value) -> Result<(), CloudApiError> {
        self.graph(reqwest::Method::POST, &url_escape(meta_template_id), token, Some(change)).await.map(|_| ())
    }
}

/// Meta's media endpoints: one attempt each (the fetch job owns retries).
#[async_trait]
impl MediaApi for CloudApiClient {
    async fn media(&self, meta_media_id: &str, token: &Secret) -> Result<MetaMedia, CloudApiError> {
        let v = self.graph(reqwest::Method::GET, &url_escape(meta_media_id), token, None).await?;
        let url = v.get("url").and_then(Value::as_str).unwrap_or_default().to_owned();
        if url.is_empty() {
            return Err(meta_error(502, &json!({"error": {"message": "Meta described the media without a url"}}), 1));
        }
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(MetaMedia {
            url,
            mime_type: text("mime_type"),
            sha256: text("sha256"),
            file_size: v.get("file_size").and_then(|s| s.as_u64().or_else(|| s.as_str().and_then(|s| s.parse().ok()))),
        })
    }

    async fn download(&self, url: &str, token: &Secret, max_bytes: u64) -> Result<bytes::Bytes, CloudApiError> {
        let unreachable = |e: reqwest::Error| transport_error(&e, "the media could not be downloaded");
        // The whole download may take TRANSFER_TIMEOUT; the answer and each chunk must come within
        // a call's timeout (a stalled CDN fails fast, a large file on a slow link does not).
        let stalled = |what: &str| stall_error(self.stall, what);
        let request = self.http.get(url).bearer_auth(token.expose()).timeout(TRANSFER_TIMEOUT).send();
        let mut resp = tokio::time::timeout(self.stall, request).await.map_err(|_| stalled("an answer"))?.map_err(unreachable)?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            return Err(meta_error(status, &body, 1));
        }
        let too_large = || meta_error(413, &json!({"error": {"message": format!("the media is larger than {max_bytes} bytes")}}), 1);
        let declared = resp.content_length();
        if declared.is_some_and(|n| n > max_bytes) {
            return Err(too_large());
        }
        // Sized once from the declared length: growing by doubling would hold up to twice the file.
        let mut out = bytes::BytesMut::with_capacity(declared.unwrap_or(0) as usize);
        while let Some(chunk) =
            tokio::time::timeout(self.stall, resp.chunk()).await.map_err(|_| stalled("the next chunk"))?.map_err(unreachable)?
        {
            if (out.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    async fn upload(
        &self,
        phone_number_id: &str,
        token: &Secret,
        bytes: bytes::Bytes,
        mime_type: &str,
        filename: Option<&str>,
    ) -> Result<String, CloudApiError> {
        let url = format!("{}/{}/{}/media", self.base_url, self.version, url_escape(phone_number_id));
        let part = reqwest::multipart::Part::stream_with_length(reqwest::Body::from(bytes.clone()), bytes.len() as u64)
            .file_name(filename.unwrap_or("file").to_owned())
            .mime_str(mime_type)
            .map_err(|e| meta_error(400, &json!({"error": {"message": e.to_string()}}), 1))?;
        let form =
            reqwest::multipart::Form::new().text("messaging_product", "whatsapp").text("type", mime_type.to_owned()).part("file", part);
        let resp = self
            .http
            .post(&url)
            .bearer_auth(token.expose())
            .multipart(form)
            .timeout(TRANSFER_TIMEOUT)
            .send()
            .await
            .map_err(|e| transport_error(&e, "the Cloud API could not be reached"))?;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            return Err(meta_error(status, &body, 1));
        }
        body.get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| meta_error(502, &json!({"error": {"message": "Meta accepted the media without an id"}}), 1))
    }
}

/// A transfer waited longer than `stall` for `what`.
fn stall_error(stall: Duration, what: &str) -> CloudApiError {
    CloudApiError::outcome_unknown("the media could not be downloaded", Some(format!("no {what} within {} ms", stall.as_millis())))
}

/// A request that failed below HTTP: Meta never saw it (could not connect), or its outcome is
/// unknown (it broke or timed out after it was sent).
fn transport_error(e: &reqwest::Error, title: &str) -> CloudApiError {
    if e.is_connect() {
        CloudApiError::unreachable(title, e.to_string())
    } else {
        CloudApiError::outcome_unknown(title, Some(e.to_string()))
    }
}

/// A query-string value, percent-encoded (RFC 3986 unreserved characters kept).
fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::messaging::{ReplyButton, TemplateRef};

    fn wa() -> WaId {
        WaId::parse("5511999990000").unwrap()
    }

    #[test]
    fn text_and_reply_context() {
        let b = to_meta_message(&wa(), &MessageContent::Text { text: "Oi".into(), preview_url: false }, Some("wamid.X"));
        assert_eq!(b["messaging_product"], "whatsapp");
        assert_eq!(b["to"], "5511999990000");
        assert_eq!(b["text"]["body"], "Oi");
        assert_eq!(b["context"]["message_id"], "wamid.X");
    }

    #[test]
    fn buttons_and_template_shapes() {
        let c = MessageContent::Buttons {
            header: Some(Header::Text { text: "H".into() }),
            body: "Pick".into(),
            footer: None,
            buttons: vec![ReplyButton { id: "y".into(), title: "Yes".into() }],
        };
        let b = to_meta_message(&wa(), &c, None);
        assert_eq!(b["interactive"]["type"], "button");
        assert_eq!(b["interactive"]["action"]["buttons"][0]["reply"]["id"], "y");
        assert_eq!(b["interactive"]["header"]["text"], "H");
        let t = MessageContent::Template(TemplateRef {
            name: "hello".into(),
            language: "pt_BR".into(),
            components: vec![json!({"type": "body"})],
        });
        let b = to_meta_message(&wa(), &t, None);
        assert_eq!(b["template"]["language"]["code"], "pt_BR");
        assert_eq!(b["type"], "template");
    }

    #[test]
    fn breaker_opens_at_half_failures_and_half_opens_after_the_break() {
        let cfg = BreakerConfig { window: Duration::from_secs(30), failure_ratio: 0.5, min_calls: 4, open_for: Duration::from_secs(30) };
        let mut b = Breaker::default();
        let t0 = Instant::now();
        b.record(&cfg, t0, true);
        b.record(&cfg, t0, true);
        b.record(&cfg, t0, false);
        assert!(b.allow(t0));
        b.record(&cfg, t0, false);
        assert!(b.is_open(t0), "2 of 4 failed");
        assert!(!b.allow(t0 + Duration::from_secs(29)));
        let later = t0 + Duration::from_secs(30);
        assert!(b.allow(later), "one trial call");
        assert!(!b.allow(later), "only one");
        b.record(&cfg, later, true);
        assert!(b.allow(later));
    }

    #[test]
    fn old_failures_leave_the_window() {
        let cfg = BreakerConfig { window: Duration::from_secs(30), failure_ratio: 0.5, min_calls: 4, open_for: Duration::from_secs(30) };
        let mut b = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            b.record(&cfg, t0, false);
        }
        let t1 = t0 + Duration::from_secs(31);
        for _ in 0..3 {
            b.record(&cfg, t1, true);
        }
        b.record(&cfg, t1, false);
        assert!(!b.is_open(t1), "1 of 4 in the window");
    }

    #[test]
    fn retryable_codes() {
        for c in [130429, 131000, 1, 2, 4, 80007, 131056] {
            assert!(is_retryable(c), "{c}");
        }
        for c in [131047, 131026, 131050, 190, 132000, 132001, 100] {
            assert!(!is_retryable(c), "{c}");
        }
    }

    /// Downloads over a real socket from a CDN that sends its body slowly (wiremock answers at
    /// once, so it cannot show the difference between a slow link and a stalled one).
    mod transfers {
        use super::*;
        use application::media::ports::MediaApi;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        /// A CDN that declares `declared` bytes and sends `chunks`, waiting `gaps[i]` before each.
        async fn cdn(declared: usize, chunks: Vec<Vec<u8>>, gaps: Vec<Duration>) -> String {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = sock.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buf[..n]);
                }
                let answer = format!("HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ncontent-length: {declared}\r\n\r\n");
                sock.write_all(answer.as_bytes()).await.unwrap();
                for (chunk, gap) in chunks.into_iter().zip(gaps) {
                    tokio::time::sleep(gap).await;
                    if sock.write_all(&chunk).await.is_err() {
                        return;
                    }
                    let _ = sock.flush().await;
                }
                // Hold the connection open a while: a stalled CDN does not hang up.
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
            format!("http://{addr}/cdn/file")
        }

        fn client(call_timeout: Duration) -> CloudApiClient {
            let _ = rustls::crypto::ring::default_provider().install_default();
            CloudApiClient::new("http://127.0.0.1:9", "v24.0", call_timeout, Duration::ZERO)
        }

        #[tokio::test]
        async fn a_file_on_a_slow_link_arrives_whole_though_it_takes_longer_than_a_call() {
            // 6 chunks, 200 ms apart: 1.2 s in all against a call timeout of 500 ms.
            let chunks: Vec<Vec<u8>> = (0..6u8).map(|i| vec![i; 10_000]).collect();
            let whole = chunks.concat();
            let url = cdn(whole.len(), chunks, vec![Duration::from_millis(200); 6]).await;
            let got = client(Duration::from_millis(500)).download(&url, &Secret::new("tok"), 1_000_000).await.expect("downloaded");
            assert_eq!(got.to_vec(), whole);
        }

        #[tokio::test]
        async fn a_download_that_stalls_mid_file_fails_as_a_stall_with_an_unknown_outcome() {
            // The first chunk at once, then nothing for 3 s, against a call timeout of 300 ms.
            let chunks = vec![vec![1u8; 1000], vec![2u8; 1000]];
            let url = cdn(2000, chunks, vec![Duration::ZERO, Duration::from_secs(3)]).await;
            let e = client(Duration::from_millis(300)).download(&url, &Secret::new("tok"), 1_000_000).await.unwrap_err();
            assert_eq!(e.kind, CloudApiErrorKind::OutcomeUnknown);
            assert_eq!(e.details.as_deref(), Some("no the next chunk within 300 ms"));
        }

        #[tokio::test]
        async fn a_download_declared_larger_than_allowed_is_refused_before_its_body_is_read() {
            // The body would come only after 3 s, past the 1 s stall guard: reading it would fail
            // as a stall, so a 413 shows that the declared length alone decided.
            let url = cdn(5000, vec![vec![0u8; 5000]], vec![Duration::from_secs(3)]).await;
            let e = client(Duration::from_secs(1)).download(&url, &Secret::new("tok"), 4000).await.unwrap_err();
            assert_eq!(e.http_status, Some(413));
            assert_eq!(e.title, "the media is larger than 4000 bytes");
        }
    }
}
