//! Meta's webhook payload, parsed into what the use cases need (an anti-corruption layer).
//!
//! Tolerant by design: unknown fields are ignored, unknown message types become
//! `MessageContent::Unsupported` with the raw JSON kept, and a malformed single message never
//! sinks the rest of the delivery.

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;

use domain::content::{Media, MessageContent};
use domain::message::{MessageError, MessageStatus};

#[derive(Debug, Deserialize)]
pub struct Payload {
    pub object: String,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
pub struct Entry {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
pub struct Change {
    pub field: String,
    #[serde(default)]
    pub value: Value,
}

#[derive(Debug, Deserialize, Default)]
pub struct Metadata {
    #[serde(default)]
    pub display_phone_number: Option<String>,
    #[serde(default)]
    pub phone_number_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Contact {
    #[serde(default)]
    pub wa_id: Option<String>,
    #[serde(default)]
    pub profile: Option<Profile>,
}

#[derive(Debug, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct MessagesValue {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub messages: Vec<Value>,
    #[serde(default)]
    pub statuses: Vec<Value>,
}

/// An inbound customer message, parsed.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub wamid: String,
    pub from: String,
    pub timestamp: DateTime<Utc>,
    pub content: MessageContent,
    pub context: Option<Value>,
    pub referral: Option<Value>,
}

/// A delivery status for a message the business sent.
#[derive(Debug, Clone)]
pub struct StatusUpdate {
    pub wamid: String,
    pub status: Option<MessageStatus>,
    pub raw_status: String,
    pub timestamp: Option<DateTime<Utc>>,
    pub recipient_id: Option<String>,
    pub error: Option<MessageError>,
    pub pricing: Option<Value>,
    pub raw: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("not a WhatsApp Business Account webhook (object = {0:?})")]
    WrongObject(String),
}

pub fn parse_payload(body: &str) -> Result<Payload, PayloadError> {
    let p: Payload = serde_json::from_str(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    if p.object != "whatsapp_business_account" {
        return Err(PayloadError::WrongObject(p.object));
    }
    Ok(p)
}

fn unix_ts(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let secs = match v? {
        Value::String(s) => s.parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    Utc.timestamp_opt(secs, 0).single()
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn media(v: &Value) -> Media {
    Media {
        id: s(v, "id"),
        link: s(v, "link").or_else(|| s(v, "url")),
        caption: s(v, "caption"),
        filename: s(v, "filename"),
        mime_type: s(v, "mime_type"),
        sha256: s(v, "sha256"),
        voice: v.get("voice").and_then(Value::as_bool),
        animated: v.get("animated").and_then(Value::as_bool),
    }
}

fn unsupported(ty: Option<&str>, raw: &Value) -> MessageContent {
    MessageContent::Unsupported { original_type: ty.map(str::to_owned), raw: raw.clone() }
}

/// Map one Meta message object to typed content. Never fails: what cannot be read is kept raw.
pub fn content_of(msg: &Value) -> MessageContent {
    let ty = msg.get("type").and_then(Value::as_str);
    let body = ty.and_then(|t| msg.get(t)).unwrap_or(&Value::Null);
    let parsed = match ty {
        Some("text") => s(body, "body").map(|text| MessageContent::Text { text, preview_url: false }),
        Some("image") => Some(MessageContent::Image(media(body))),
        Some("video") => Some(MessageContent::Video(media(body))),
        Some("audio") => Some(MessageContent::Audio(media(body))),
        Some("document") => Some(MessageContent::Document(media(body))),
        Some("sticker") => Some(MessageContent::Sticker(media(body))),
        Some("location") => match (body.get("latitude").and_then(Value::as_f64), body.get("longitude").and_then(Value::as_f64)) {
            (Some(latitude), Some(longitude)) => Some(MessageContent::Location {
                latitude,
                longitude,
                name: s(body, "name"),
                address: s(body, "address"),
                url: s(body, "url"),
            }),
            _ => None,
        },
        Some("contacts") => body.as_array().map(|c| MessageContent::Contacts { contacts: c.clone() }),
        Some("reaction") => Some(MessageContent::Reaction {
            message_id: s(body, "message_id").unwrap_or_default(),
            emoji: s(body, "emoji").unwrap_or_default(),
        }),
        Some("button") => s(body, "text").map(|text| MessageContent::Button { text, payload: s(body, "payload") }),
        Some("order") => Some(MessageContent::Order {
            catalog_id: s(body, "catalog_id"),
            text: s(body, "text"),
            product_items: body.get("product_items").and_then(Value::as_array).cloned().unwrap_or_default(),
        }),
        Some("system") => Some(MessageContent::System {
            body: s(body, "body"),
            kind: s(body, "type"),
            wa_id: s(body, "wa_id").or_else(|| s(body, "new_wa_id")),
        }),
        Some("interactive") => {
            let it = body.get("type").and_then(Value::as_str);
            let inner = it.and_then(|t| body.get(t)).unwrap_or(&Value::Null);
            match it {
                Some("button_reply") => match (s(inner, "id"), s(inner, "title")) {
                    (Some(id), Some(title)) => Some(MessageContent::ButtonReply { id, title }),
                    _ => None,
                },
                Some("list_reply") => match (s(inner, "id"), s(inner, "title")) {
                    (Some(id), Some(title)) => Some(MessageContent::ListReply { id, title, description: s(inner, "description") }),
                    _ => None,
                },
                Some("nfm_reply") => {
                    let response_json = match inner.get("response_json") {
                        Some(Value::String(js)) => serde_json::from_str(js).unwrap_or(Value::String(js.clone())),
                        Some(other) => other.clone(),
                        None => Value::Null,
                    };
                    Some(MessageContent::FlowReply { name: s(inner, "name"), body: s(inner, "body"), response_json })
                }
                _ => None,
            }
        }
        _ => None,
    };
    parsed.unwrap_or_else(|| unsupported(ty, msg))
}

/// Parse a message object; `None` only if it lacks the id or sender that identify it.
pub fn inbound_message(msg: &Value) -> Option<InboundMessage> {
    Some(InboundMessage {
        wamid: s(msg, "id")?,
        from: s(msg, "from")?,
        timestamp: unix_ts(msg.get("timestamp")).unwrap_or_else(Utc::now),
        content: content_of(msg),
        context: msg.get("context").cloned(),
        referral: msg.get("referral").cloned(),
    })
}

pub fn status_update(v: &Value) -> Option<StatusUpdate> {
    let raw_status = s(v, "status")?;
    let error = v.get("errors").and_then(Value::as_array).and_then(|a| a.first()).map(|e| MessageError {
        code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
        title: s(e, "title").or_else(|| s(e, "message")).unwrap_or_else(|| "unknown error".into()),
        details: e.pointer("/error_data/details").and_then(Value::as_str).map(str::to_owned),
    });
    Some(StatusUpdate {
        wamid: s(v, "id")?,
        status: MessageStatus::parse(&raw_status).filter(|st| !matches!(st, MessageStatus::Received | MessageStatus::Queued)),
        raw_status,
        timestamp: unix_ts(v.get("timestamp")),
        recipient_id: s(v, "recipient_id"),
        error,
        pricing: v.get("pricing").cloned(),
        raw: v.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_documented_inbound_type_maps_to_typed_content() {
        let cases = [
            (json!({"type": "text", "text": {"body": "hi"}}), "text"),
            (json!({"type": "image", "image": {"id": "1", "mime_type": "image/jpeg", "sha256": "x", "caption": "c"}}), "image"),
            (json!({"type": "audio", "audio": {"id": "1", "voice": true}}), "audio"),
            (json!({"type": "video", "video": {"id": "1"}}), "video"),
            (json!({"type": "document", "document": {"id": "1", "filename": "a.pdf"}}), "document"),
            (json!({"type": "sticker", "sticker": {"id": "1", "animated": false}}), "sticker"),
            (json!({"type": "location", "location": {"latitude": 1.5, "longitude": 2.5, "name": "Shop"}}), "location"),
            (json!({"type": "contacts", "contacts": [{"name": {"formatted_name": "Ana"}}]}), "contacts"),
            (
                json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}}),
                "button_reply",
            ),
            (
                json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": "r1", "title": "Row"}}}),
                "list_reply",
            ),
            (
                json!({"type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"a\":1}"}}}),
                "flow_reply",
            ),
            (json!({"type": "button", "button": {"text": "Stop", "payload": "STOP"}}), "button"),
            (json!({"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👍"}}), "reaction"),
            (json!({"type": "order", "order": {"catalog_id": "c", "product_items": [{"product_retailer_id": "p"}]}}), "order"),
            (json!({"type": "system", "system": {"body": "changed", "type": "user_changed_number", "wa_id": "123"}}), "system"),
            (json!({"type": "unsupported", "errors": [{"code": 131051}]}), "unsupported"),
            (json!({"type": "hologram", "hologram": {}}), "unsupported"),
        ];
        for (v, expected) in cases {
            assert_eq!(content_of(&v).type_name(), expected, "{v}");
        }
        let flow =
            content_of(&json!({"type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {"response_json": "{\"a\":1}"}}}));
        assert_eq!(flow, MessageContent::FlowReply { name: None, body: None, response_json: json!({"a": 1}) });
    }

    #[test]
    fn a_broken_known_type_is_kept_raw() {
        let v = json!({"type": "text", "text": {}});
        match content_of(&v) {
            MessageContent::Unsupported { original_type, raw } => {
                assert_eq!(original_type.as_deref(), Some("text"));
                assert_eq!(raw, v);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn statuses_parse_errors_and_pricing() {
        let v = json!({"id": "wamid.A", "status": "failed", "timestamp": "1700000000", "recipient_id": "5511",
            "errors": [{"code": 131047, "title": "Re-engagement message", "error_data": {"details": "more than 24h"}}],
            "pricing": {"billable": true, "category": "service"}});
        let s = status_update(&v).unwrap();
        assert_eq!(s.status, Some(MessageStatus::Failed));
        assert_eq!(s.error.as_ref().unwrap().code, 131047);
        assert_eq!(s.error.unwrap().details.as_deref(), Some("more than 24h"));
        assert!(s.pricing.is_some());
        assert_eq!(s.timestamp.unwrap().timestamp(), 1_700_000_000);
        let unknown = status_update(&json!({"id": "w", "status": "deleted"})).unwrap();
        assert_eq!(unknown.status, None);
    }

    #[test]
    fn wrong_object_and_garbage_are_errors() {
        assert!(matches!(parse_payload("{\"object\":\"page\"}"), Err(PayloadError::WrongObject(_))));
        assert!(matches!(parse_payload("not json"), Err(PayloadError::NotJson(_))));
        assert!(parse_payload("{\"object\":\"whatsapp_business_account\",\"entry\":[]}").is_ok());
    }
}
