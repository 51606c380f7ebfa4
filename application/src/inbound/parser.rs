//! Meta's webhook payload, parsed into what the use cases need (the anti-corruption layer of
//! the inbound context).
//!
//! Tolerant by design: unknown fields are ignored, unknown message types become
//! `MessageContent::Unsupported` with the raw JSON kept, and a malformed single message never
//! sinks the rest of the delivery; what is skipped is noted.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::accounts::record_quality_updates::QualityReport;
use crate::customers::record_preferences::UserPreference;
use domain::accounts::{MessagingTier, QualityRating};
use domain::messaging::{InboundMessage, Media, MessageContent, MessageError, MessageStatus, StatusUpdate};
use domain::templates::{TemplateCategory, TemplateCategoryReport, TemplateStatusReport};
use domain::{WaId, WabaId};

#[derive(Debug, Deserialize)]
struct Payload {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    id: Option<Value>,
    /// When Meta says the change happened (seconds), on WABA-level fields.
    #[serde(default)]
    time: Option<Value>,
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct Change {
    field: String,
    #[serde(default)]
    value: Value,
}

#[derive(Debug, Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    phone_number_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Contact {
    #[serde(default)]
    wa_id: Option<String>,
    #[serde(default)]
    profile: Option<Profile>,
}

#[derive(Debug, Deserialize)]
struct Profile {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
struct MessagesValue {
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<Value>,
    #[serde(default)]
    statuses: Vec<Value>,
    #[serde(default)]
    user_preferences: Vec<Value>,
}

/// Everything one stored delivery says, by kind. Messages and statuses carry the
/// `phone_number_id` they came through (routing happens afterwards).
#[derive(Debug, Default)]
pub struct ParsedDelivery {
    /// The change fields it held (`messages`, `phone_number_quality_update`, ...).
    pub fields: BTreeSet<String>,
    pub messages: Vec<(String, InboundMessage)>,
    pub statuses: Vec<(String, StatusUpdate)>,
    pub quality: Vec<QualityReport>,
    pub templates: Vec<TemplateStatusReport>,
    /// `template_category_update`: the category Meta gave a template.
    pub categories: Vec<TemplateCategoryReport>,
    /// `message_template_quality_update`: a template's new quality score.
    pub template_quality: Vec<domain::templates::TemplateQualityReport>,
    /// `user_preferences`: customers who stopped or resumed marketing messages.
    pub preferences: Vec<(String, UserPreference)>,
    /// What was skipped, and why.
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("not a WhatsApp Business Account webhook (object = {0:?})")]
    WrongObject(String),
}

fn id_string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned).or_else(|| v.as_i64().map(|n| n.to_string()))
}

/// Parse one delivery. `Err` only if the body is not a WhatsApp Business Account webhook at
/// all; `now` stands in for a message without a readable timestamp.
pub fn parse_delivery(body: &str, now: DateTime<Utc>) -> Result<ParsedDelivery, PayloadError> {
    // `\u0000` is valid JSON that Postgres cannot store: such strings get U+FFFD (README).
    let p: Payload = if body.contains("\\u0000") {
        let mut v: Value = serde_json::from_str(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
        super::raw_body::scrub_nul(&mut v);
        serde_json::from_value(v)
    } else {
        serde_json::from_str(body)
    }
    .map_err(|e| PayloadError::NotJson(e.to_string()))?;
    if p.object != "whatsapp_business_account" {
        return Err(PayloadError::WrongObject(p.object));
    }
    let mut out = ParsedDelivery::default();
    for entry in p.entry {
        let waba = entry.id.as_ref().and_then(id_string).and_then(|w| WabaId::parse(&w).ok());
        for change in entry.changes {
            out.fields.insert(change.field.clone());
            match change.field.as_str() {
                // `user_preferences` has the shape of a messages change.
                "messages" | "user_preferences" => messages_change(change.value, now, &mut out),
                "template_category_update" => match category_report(waba.clone(), &change.value) {
                    Some(r) => out.categories.push(r),
                    None => out.notes.push("a template category update without WABA, template or a known category".into()),
                },
                "phone_number_quality_update" => out.quality.push(quality_report(waba.clone(), &change.value)),
                "message_template_quality_update" => match template_quality(waba.clone(), &change.value) {
                    Some(r) => out.template_quality.push(r),
                    None => out.notes.push("a template quality update without WABA, template id or score".into()),
                },
                "message_template_status_update" => match template_report(waba.clone(), &change.value, unix_ts(entry.time.as_ref())) {
                    Some(r) => out.templates.push(r),
                    None => out.notes.push("a template status update without WABA, template id or event".into()),
                },
                // Other fields (account updates, ...) stay stored in the raw event for the
                // issues that handle them; nothing is lost.
                _ => {}
            }
        }
    }
    Ok(out)
}

fn messages_change(value: Value, now: DateTime<Utc>, out: &mut ParsedDelivery) {
    let value: MessagesValue = match serde_json::from_value(value) {
        Ok(v) => v,
        Err(e) => {
            out.notes.push(format!("unreadable messages change: {e}"));
            return;
        }
    };
    let pnid = value.metadata.phone_number_id.clone().unwrap_or_default();
    for m in &value.messages {
        match inbound_message(m, &value.contacts, now) {
            Ok(msg) => out.messages.push((pnid.clone(), msg)),
            Err(note) => out.notes.push(note),
        }
    }
    for s in &value.statuses {
        match status_update(s) {
            Ok(st) => out.statuses.push((pnid.clone(), st)),
            Err(note) => out.notes.push(note),
        }
    }
    for p in &value.user_preferences {
        match user_preference(p, now) {
            Ok(pref) => out.preferences.push((pnid.clone(), pref)),
            Err(note) => out.notes.push(note),
        }
    }
}

fn user_preference(v: &Value, now: DateTime<Utc>) -> Result<UserPreference, String> {
    let wa_id = v.get("wa_id").and_then(id_string).and_then(|w| WaId::parse(&w).ok()).ok_or("a user preference without a valid wa_id")?;
    Ok(UserPreference {
        wa_id,
        category: s(v, "category").unwrap_or_default(),
        value: s(v, "value").unwrap_or_default(),
        detail: s(v, "detail"),
        timestamp: unix_ts(v.get("timestamp")).unwrap_or(now),
    })
}

fn category_report(waba_id: Option<WabaId>, v: &Value) -> Option<TemplateCategoryReport> {
    let text = |k: &str| v.get(k).and_then(id_string);
    Some(TemplateCategoryReport {
        waba_id: waba_id?,
        meta_template_id: text("message_template_id")?,
        name: text("message_template_name")?,
        language: text("message_template_language")?,
        category: TemplateCategory::parse(&text("new_category")?)?,
    })
}

fn quality_report(waba_id: Option<WabaId>, v: &Value) -> QualityReport {
    QualityReport {
        waba_id,
        display_digits: v.get("display_phone_number").and_then(Value::as_str).unwrap_or("").trim_start_matches('+').to_owned(),
        rating: match v.get("event").and_then(Value::as_str) {
            Some("FLAGGED") => Some(QualityRating::Red),
            Some("UNFLAGGED") => Some(QualityRating::Green),
            _ => None,
        },
        tier: v.get("current_limit").and_then(Value::as_str).and_then(MessagingTier::parse),
    }
}

fn template_quality(waba_id: Option<WabaId>, v: &Value) -> Option<domain::templates::TemplateQualityReport> {
    let text = |k: &str| v.get(k).and_then(id_string);
    Some(domain::templates::TemplateQualityReport {
        waba_id: waba_id?,
        meta_template_id: text("message_template_id")?,
        quality: text("new_quality_score")?.to_ascii_uppercase(),
    })
}

fn template_report(waba_id: Option<WabaId>, v: &Value, at: Option<DateTime<Utc>>) -> Option<TemplateStatusReport> {
    let text = |k: &str| v.get(k).and_then(id_string);
    Some(TemplateStatusReport {
        waba_id: waba_id?,
        meta_template_id: text("message_template_id")?,
        name: text("message_template_name").unwrap_or_default(),
        language: text("message_template_language").unwrap_or_default(),
        status: domain::templates::ReviewStatus::parse(&text("event")?),
        reason: text("reason"),
        at,
    })
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
        media_id: None,
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

/// One message object, with the sender's profile name from `contacts`. `Err` (a note) if it
/// lacks the id or a valid sender that identify it.
fn inbound_message(msg: &Value, contacts: &[Contact], now: DateTime<Utc>) -> Result<InboundMessage, String> {
    let (Some(wamid), Some(from)) = (s(msg, "id"), s(msg, "from")) else {
        return Err("a message without id or from was skipped".into());
    };
    let Ok(from) = WaId::parse(&from) else {
        return Err(format!("message {wamid} has an invalid sender"));
    };
    let profile_name = contacts
        .iter()
        .find(|c| c.wa_id.as_deref() == Some(from.as_str()))
        .or(contacts.first())
        .and_then(|c| c.profile.as_ref())
        .and_then(|p| p.name.clone());
    Ok(InboundMessage {
        wamid,
        from,
        profile_name,
        timestamp: unix_ts(msg.get("timestamp")).unwrap_or(now),
        content: content_of(msg),
        context: msg.get("context").cloned(),
        referral: msg.get("referral").cloned(),
    })
}

/// One status object. `Err` (a note) if it lacks its id or status, or is a status this service
/// does not track.
fn status_update(v: &Value) -> Result<StatusUpdate, String> {
    let (Some(wamid), Some(raw_status)) = (s(v, "id"), s(v, "status")) else {
        return Err("a status without id or status was skipped".into());
    };
    let Some(status) = MessageStatus::parse(&raw_status).filter(|st| !matches!(st, MessageStatus::Received | MessageStatus::Queued)) else {
        return Err(format!("status '{raw_status}' is not tracked"));
    };
    Ok(StatusUpdate {
        wamid,
        status,
        timestamp: unix_ts(v.get("timestamp")),
        recipient_id: s(v, "recipient_id"),
        error: MessageError::from_meta_status(v),
        pricing: v.get("pricing").cloned(),
        raw: v.clone(),
        callback_data: s(v, "biz_opaque_callback_data"),
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
        assert_eq!(s.status, MessageStatus::Failed);
        assert_eq!(s.error.as_ref().unwrap().code, 131047);
        assert_eq!(s.error.unwrap().details.as_deref(), Some("more than 24h"));
        assert!(s.pricing.is_some());
        assert_eq!(s.timestamp.unwrap().timestamp(), 1_700_000_000);
        assert_eq!(status_update(&json!({"id": "w", "status": "deleted"})).unwrap_err(), "status 'deleted' is not tracked");
    }

    #[test]
    fn wrong_object_and_garbage_are_errors() {
        let now = Utc::now();
        assert!(matches!(parse_delivery("{\"object\":\"page\"}", now), Err(PayloadError::WrongObject(_))));
        assert!(matches!(parse_delivery("not json", now), Err(PayloadError::NotJson(_))));
        assert!(parse_delivery("{\"object\":\"whatsapp_business_account\",\"entry\":[]}", now).is_ok());
    }

    #[test]
    fn a_delivery_is_split_by_kind_with_what_was_skipped_noted() {
        let body = json!({"object": "whatsapp_business_account", "entry": [
        {"id": "9001", "changes": [
            {"field": "messages", "value": {"metadata": {"phone_number_id": "106"},
                "contacts": [{"wa_id": "5511987654321", "profile": {"name": "Ana"}}],
                "messages": [
                    {"from": "5511987654321", "id": "wamid.1", "timestamp": "1700000000", "type": "text", "text": {"body": "oi"}},
                    {"from": "not-a-number", "id": "wamid.2", "type": "text", "text": {"body": "x"}},
                    {"id": "wamid.3"}
                ],
                "statuses": [{"id": "wamid.9", "status": "read", "timestamp": "1700000001"}]}},
            {"field": "phone_number_quality_update", "value": {"display_phone_number": "15550001111", "event": "FLAGGED", "current_limit": "TIER_10K"}},
            {"field": "message_template_status_update", "value": {"event": "APPROVED", "message_template_id": 77, "message_template_name": "hi", "message_template_language": "en_US", "reason": "NONE"}},
            {"field": "account_update", "value": {}}
        ]}]});
        let p = parse_delivery(&body.to_string(), Utc::now()).unwrap();
        assert_eq!(
            p.fields.iter().cloned().collect::<Vec<_>>(),
            ["account_update", "message_template_status_update", "messages", "phone_number_quality_update"]
        );
        assert_eq!(p.messages.len(), 1);
        let (pnid, m) = &p.messages[0];
        assert_eq!(
            (pnid.as_str(), m.wamid.as_str(), m.from.as_str(), m.profile_name.as_deref()),
            ("106", "wamid.1", "5511987654321", Some("Ana"))
        );
        assert_eq!(m.timestamp.timestamp(), 1_700_000_000);
        assert_eq!(p.statuses.len(), 1);
        assert_eq!(p.notes, ["message wamid.2 has an invalid sender", "a message without id or from was skipped"]);
        assert_eq!(p.quality[0].rating, Some(QualityRating::Red));
        assert_eq!(p.quality[0].tier, Some(MessagingTier::Tier10K));
        assert_eq!(p.templates[0].meta_template_id, "77");
        assert_eq!(p.templates[0].waba_id.as_str(), "9001");
    }
}
