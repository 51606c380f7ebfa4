//! The customer's side: a person plays the customer (`POST /sandbox/customers/messages`), and
//! `GET /sandbox/outbox` shows what reached the simulated Cloud API.

use super::*;

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
pub(super) async fn customer_message(body: Json<Value>, sandbox: Data<&Arc<Sandbox>>) -> Response {
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
pub(super) async fn outbox(sandbox: Data<&Arc<Sandbox>>) -> Json<Vec<SentRecord>> {
    Json(sandbox.sent())
}
