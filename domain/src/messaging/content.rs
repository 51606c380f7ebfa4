//! Message content: every type Meta documents, inbound and outbound, as one typed enum.
//!
//! The serialised form (camelCase fields, a `type` tag) is what the HTTP API accepts and
//! returns and what is stored. The Cloud API adapter maps it to and from Meta's wire format.
//! [`MessageContent::validate_outbound`] checks Meta's limits before anything is sent, naming
//! the offending field.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::shared::meta::text_parameter_problem;

pub const TEXT_BODY_MAX: usize = 4096;
pub const CAPTION_MAX: usize = 1024;
pub const INTERACTIVE_BODY_MAX: usize = 1024;
pub const HEADER_TEXT_MAX: usize = 60;
pub const FOOTER_MAX: usize = 60;
pub const REPLY_BUTTONS_MAX: usize = 3;
pub const BUTTON_TITLE_MAX: usize = 20;
pub const BUTTON_ID_MAX: usize = 256;
pub const LIST_BUTTON_TEXT_MAX: usize = 20;
pub const LIST_SECTIONS_MAX: usize = 10;
pub const LIST_ROWS_MAX: usize = 10;
pub const ROW_TITLE_MAX: usize = 24;
pub const ROW_DESCRIPTION_MAX: usize = 72;
pub const ROW_ID_MAX: usize = 200;
pub const SECTION_TITLE_MAX: usize = 24;
pub const CTA_DISPLAY_TEXT_MAX: usize = 20;
pub const FLOW_CTA_MAX: usize = 30;
pub const TEMPLATE_NAME_MAX: usize = 512;

/// A photo, clip, voice note, file or sticker: by Meta media id, by public link, or by our id
/// (`mediaId`: an upload, or a customer's file the service fetched).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Media {
    /// Our id of the file (`GET /api/v1/media/{mediaId}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<crate::MediaId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Inbound audio: true for a voice note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<bool>,
    /// Inbound sticker: true if animated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animated: Option<bool>,
}

/// The header of an interactive message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Header {
    Text { text: String },
    Image(Media),
    Video(Media),
    Document(Media),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyButton {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRow {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub rows: Vec<ListRow>,
}

/// A template reference: name, language code and Meta-format components (positional or
/// named parameters are passed through as given).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRef {
    pub name: String,
    pub language: String,
    #[serde(default)]
    pub components: Vec<Value>,
}

/// Every kind of message content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum MessageContent {
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        preview_url: bool,
    },
    Image(Media),
    Video(Media),
    Audio(Media),
    Document(Media),
    Sticker(Media),
    Location {
        latitude: f64,
        longitude: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// Contact cards, in Meta's contact object format.
    Contacts {
        contacts: Vec<Value>,
    },
    /// A reaction to a message (`emoji` empty removes it).
    Reaction {
        message_id: String,
        emoji: String,
    },
    /// Interactive reply buttons (outbound).
    Buttons {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<Header>,
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
        buttons: Vec<ReplyButton>,
    },
    /// Interactive list (outbound).
    List {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<Header>,
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
        button_text: String,
        sections: Vec<ListSection>,
    },
    /// Interactive call-to-action URL button (outbound).
    CtaUrl {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<Header>,
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
        display_text: String,
        url: String,
    },
    /// Asks the customer to share their location (outbound).
    LocationRequest {
        body: String,
    },
    /// A WhatsApp Flow (outbound).
    Flow {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<Header>,
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
        flow_id: String,
        flow_cta: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        flow_token: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        screen: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<Value>,
        #[serde(default)]
        draft: bool,
    },
    Template(TemplateRef),
    /// The customer tapped a reply button (inbound).
    ButtonReply {
        id: String,
        title: String,
    },
    /// The customer picked a list row (inbound).
    ListReply {
        id: String,
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// The customer completed a Flow (inbound `nfm_reply`).
    FlowReply {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        response_json: Value,
    },
    /// The customer tapped a template quick-reply button (inbound `button`).
    Button {
        text: String,
        payload: Option<String>,
    },
    /// A cart sent from a catalog (inbound).
    Order {
        catalog_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        product_items: Vec<Value>,
    },
    /// A system notice, e.g. the customer changed their number (inbound).
    System {
        body: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wa_id: Option<String>,
    },
    /// A type Meta does not support or one this service does not know yet; the raw payload is
    /// kept so nothing is lost.
    Unsupported {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        original_type: Option<String>,
        #[serde(default)]
        raw: Value,
    },
    /// Removed when the customer's data was erased (GDPR): what they wrote, or what was sent to
    /// them, is gone.
    Erased,
}

/// A content problem, naming the field as the API client sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ContentError {
    pub field: String,
    pub message: String,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> ContentError {
    ContentError { field: field.into(), message: message.into() }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn required_max(field: &str, value: &str, max: usize) -> Result<(), ContentError> {
    if value.trim().is_empty() {
        return Err(err(field, "must not be empty"));
    }
    optional_max(field, value, max)
}

fn optional_max(field: &str, value: &str, max: usize) -> Result<(), ContentError> {
    let n = chars(value);
    if n > max {
        return Err(err(field, format!("at most {max} characters (got {n})")));
    }
    Ok(())
}

fn http_url(field: &str, url: &str) -> Result<(), ContentError> {
    let ok = (url.starts_with("https://") || url.starts_with("http://")) && url.len() > 8 && !url.chars().any(char::is_whitespace);
    if ok { Ok(()) } else { Err(err(field, "must be an http(s) URL")) }
}

fn media(field: &str, m: &Media, caption_allowed: bool) -> Result<(), ContentError> {
    match (&m.id, &m.link) {
        // With `mediaId`, `id` is Meta's id of our file, filled in by the send.
        (_, Some(_)) if m.media_id.is_some() => return Err(err(field, "give one of mediaId, id or link")),
        (_, None) if m.media_id.is_some() => {}
        (Some(_), Some(_)) => return Err(err(field, "give either id or link, not both")),
        (None, None) => return Err(err(field, "id, link or mediaId is required")),
        (Some(id), None) if id.trim().is_empty() => return Err(err(format!("{field}.id"), "must not be empty")),
        (None, Some(link)) => http_url(&format!("{field}.link"), link)?,
        _ => {}
    }
    if let Some(c) = &m.caption {
        if !caption_allowed {
            return Err(err(format!("{field}.caption"), "this media type takes no caption"));
        }
        optional_max(&format!("{field}.caption"), c, CAPTION_MAX)?;
    }
    Ok(())
}

fn header(h: &Option<Header>) -> Result<(), ContentError> {
    match h {
        None => Ok(()),
        Some(Header::Text { text }) => required_max("content.header.text", text, HEADER_TEXT_MAX),
        Some(Header::Image(m) | Header::Video(m) | Header::Document(m)) => media("content.header", m, false),
    }
}

fn body_and_footer(body: &str, footer: &Option<String>) -> Result<(), ContentError> {
    required_max("content.body", body, INTERACTIVE_BODY_MAX)?;
    if let Some(f) = footer {
        optional_max("content.footer", f, FOOTER_MAX)?;
    }
    Ok(())
}

/// `en_US`, `pt_BR`, `en`, `es_419`... as Meta names template languages.
pub fn is_language_code(code: &str) -> bool {
    let mut parts = code.splitn(2, '_');
    let lang = parts.next().unwrap_or("");
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok = match parts.next() {
        None => true,
        Some(r) => (r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase())) || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit())),
    };
    lang_ok && region_ok
}

impl TemplateRef {
    pub fn validate(&self, field: &str) -> Result<(), ContentError> {
        required_max(&format!("{field}.name"), &self.name, TEMPLATE_NAME_MAX)?;
        if !self.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(err(format!("{field}.name"), "lowercase letters, digits and underscores only"));
        }
        if !is_language_code(&self.language) {
            return Err(err(format!("{field}.language"), "a language code such as en_US or pt_BR"));
        }
        for (i, c) in self.components.iter().enumerate() {
            let f = format!("{field}.components[{i}]");
            let ty = c.get("type").and_then(Value::as_str).ok_or_else(|| err(&f, "needs a string `type`"))?;
            let ty = ty.to_ascii_lowercase();
            if !matches!(ty.as_str(), "header" | "body" | "button" | "footer" | "carousel" | "limited_time_offer") {
                return Err(err(format!("{f}.type"), "header, body, button, footer, carousel or limited_time_offer"));
            }
            if let Some(params) = c.get("parameters") {
                let params = params.as_array().ok_or_else(|| err(format!("{f}.parameters"), "must be an array"))?;
                for (j, p) in params.iter().enumerate() {
                    let Some(kind) = p.get("type").and_then(Value::as_str) else {
                        return Err(err(format!("{f}.parameters[{j}].type"), "is required"));
                    };
                    // Meta refuses these in a body's or a header's text (132018).
                    if matches!(ty.as_str(), "body" | "header")
                        && kind.eq_ignore_ascii_case("text")
                        && let Some(problem) = p.get("text").and_then(Value::as_str).and_then(text_parameter_problem)
                    {
                        return Err(err(format!("{f}.parameters[{j}].text"), problem));
                    }
                }
            }
            if ty == "button" && c.get("index").is_none() {
                return Err(err(format!("{f}.index"), "a button component needs its index"));
            }
        }
        Ok(())
    }
}

impl MessageContent {
    /// The `type` tag, as stored and filtered on.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Image(_) => "image",
            Self::Video(_) => "video",
            Self::Audio(_) => "audio",
            Self::Document(_) => "document",
            Self::Sticker(_) => "sticker",
            Self::Location { .. } => "location",
            Self::Contacts { .. } => "contacts",
            Self::Reaction { .. } => "reaction",
            Self::Buttons { .. } => "buttons",
            Self::List { .. } => "list",
            Self::CtaUrl { .. } => "cta_url",
            Self::LocationRequest { .. } => "location_request",
            Self::Flow { .. } => "flow",
            Self::Template(_) => "template",
            Self::ButtonReply { .. } => "button_reply",
            Self::ListReply { .. } => "list_reply",
            Self::FlowReply { .. } => "flow_reply",
            Self::Button { .. } => "button",
            Self::Order { .. } => "order",
            Self::System { .. } => "system",
            Self::Unsupported { .. } => "unsupported",
            Self::Erased => "erased",
        }
    }

    pub fn is_template(&self) -> bool {
        matches!(self, Self::Template(_))
    }

    /// A short human preview (for logs at debug level this is still redacted; used in lists).
    pub fn preview(&self) -> Option<&str> {
        match self {
            Self::Text { text, .. } => Some(text),
            Self::Buttons { body, .. } | Self::List { body, .. } | Self::CtaUrl { body, .. } => Some(body),
            Self::ButtonReply { title, .. } | Self::ListReply { title, .. } => Some(title),
            Self::Button { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Check the content against Meta's limits for a message the business sends.
    pub fn validate_outbound(&self) -> Result<(), ContentError> {
        match self {
            Self::Text { text, .. } => required_max("content.text", text, TEXT_BODY_MAX),
            Self::Image(m) | Self::Video(m) | Self::Document(m) => media("content", m, true),
            Self::Audio(m) | Self::Sticker(m) => media("content", m, false),
            Self::Location { latitude, longitude, .. } => {
                if !(-90.0..=90.0).contains(latitude) {
                    return Err(err("content.latitude", "between -90 and 90"));
                }
                if !(-180.0..=180.0).contains(longitude) {
                    return Err(err("content.longitude", "between -180 and 180"));
                }
                Ok(())
            }
            Self::Contacts { contacts } => {
                if contacts.is_empty() {
                    return Err(err("content.contacts", "at least one contact"));
                }
                for (i, c) in contacts.iter().enumerate() {
                    let has_name = c.pointer("/name/formatted_name").and_then(Value::as_str).is_some_and(|s| !s.is_empty());
                    if !has_name {
                        return Err(err(format!("content.contacts[{i}].name.formatted_name"), "is required"));
                    }
                }
                Ok(())
            }
            Self::Reaction { message_id, emoji } => {
                required_max("content.messageId", message_id, 256)?;
                if chars(emoji) > 8 {
                    return Err(err("content.emoji", "a single emoji, or empty to remove the reaction"));
                }
                Ok(())
            }
            Self::Buttons { header: h, body, footer, buttons } => {
                header(h)?;
                body_and_footer(body, footer)?;
                if buttons.is_empty() || buttons.len() > REPLY_BUTTONS_MAX {
                    return Err(err("content.buttons", format!("1 to {REPLY_BUTTONS_MAX} buttons")));
                }
                for (i, b) in buttons.iter().enumerate() {
                    required_max(&format!("content.buttons[{i}].id"), &b.id, BUTTON_ID_MAX)?;
                    required_max(&format!("content.buttons[{i}].title"), &b.title, BUTTON_TITLE_MAX)?;
                    if buttons[..i].iter().any(|o| o.id == b.id) {
                        return Err(err(format!("content.buttons[{i}].id"), "button ids must be unique"));
                    }
                    if buttons[..i].iter().any(|o| o.title == b.title) {
                        return Err(err(format!("content.buttons[{i}].title"), "button titles must be unique"));
                    }
                }
                Ok(())
            }
            Self::List { header: h, body, footer, button_text, sections } => {
                if matches!(h, Some(Header::Image(_) | Header::Video(_) | Header::Document(_))) {
                    return Err(err("content.header", "a list header can only be text"));
                }
                header(h)?;
                body_and_footer(body, footer)?;
                required_max("content.buttonText", button_text, LIST_BUTTON_TEXT_MAX)?;
                if sections.is_empty() || sections.len() > LIST_SECTIONS_MAX {
                    return Err(err("content.sections", format!("1 to {LIST_SECTIONS_MAX} sections")));
                }
                let total: usize = sections.iter().map(|s| s.rows.len()).sum();
                if total == 0 || total > LIST_ROWS_MAX {
                    return Err(err("content.sections", format!("1 to {LIST_ROWS_MAX} rows in all (got {total})")));
                }
                let mut ids = Vec::new();
                for (i, s) in sections.iter().enumerate() {
                    if sections.len() > 1 {
                        let t = s.title.as_deref().unwrap_or("");
                        required_max(&format!("content.sections[{i}].title"), t, SECTION_TITLE_MAX)?;
                    } else if let Some(t) = &s.title {
                        optional_max(&format!("content.sections[{i}].title"), t, SECTION_TITLE_MAX)?;
                    }
                    for (j, r) in s.rows.iter().enumerate() {
                        let f = format!("content.sections[{i}].rows[{j}]");
                        required_max(&format!("{f}.id"), &r.id, ROW_ID_MAX)?;
                        required_max(&format!("{f}.title"), &r.title, ROW_TITLE_MAX)?;
                        if let Some(d) = &r.description {
                            optional_max(&format!("{f}.description"), d, ROW_DESCRIPTION_MAX)?;
                        }
                        if ids.contains(&r.id.as_str()) {
                            return Err(err(format!("{f}.id"), "row ids must be unique"));
                        }
                        ids.push(r.id.as_str());
                    }
                }
                Ok(())
            }
            Self::CtaUrl { header: h, body, footer, display_text, url } => {
                header(h)?;
                body_and_footer(body, footer)?;
                required_max("content.displayText", display_text, CTA_DISPLAY_TEXT_MAX)?;
                http_url("content.url", url)
            }
            Self::LocationRequest { body } => required_max("content.body", body, INTERACTIVE_BODY_MAX),
            Self::Flow { header: h, body, footer, flow_id, flow_cta, .. } => {
                header(h)?;
                body_and_footer(body, footer)?;
                required_max("content.flowId", flow_id, 64)?;
                required_max("content.flowCta", flow_cta, FLOW_CTA_MAX)
            }
            Self::Template(t) => t.validate("content"),
            Self::ButtonReply { .. }
            | Self::ListReply { .. }
            | Self::FlowReply { .. }
            | Self::Button { .. }
            | Self::Order { .. }
            | Self::System { .. }
            | Self::Unsupported { .. }
            | Self::Erased => {
                Err(err("content.type", format!("'{}' is a type customers send, not one a business can send", self.type_name())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> MessageContent {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn text_round_trips_in_the_seed_004_shape() {
        let c = parse(json!({"type": "text", "text": "Hello, how can I help you?"}));
        assert_eq!(c.type_name(), "text");
        assert_eq!(serde_json::to_value(&c).unwrap(), json!({"type": "text", "text": "Hello, how can I help you?"}));
        assert!(c.validate_outbound().is_ok());
    }

    #[test]
    fn text_limit_is_4096_characters() {
        let ok = MessageContent::Text { text: "é".repeat(4096), preview_url: false };
        assert!(ok.validate_outbound().is_ok());
        let long = MessageContent::Text { text: "a".repeat(4097), preview_url: false };
        assert_eq!(long.validate_outbound().unwrap_err().field, "content.text");
        let empty = MessageContent::Text { text: "  ".into(), preview_url: false };
        assert!(empty.validate_outbound().is_err());
    }

    #[test]
    fn buttons_limits() {
        let b = |n: usize, title: &str| MessageContent::Buttons {
            header: None,
            body: "Pick one".into(),
            footer: None,
            buttons: (0..n).map(|i| ReplyButton { id: format!("b{i}"), title: format!("{title}{i}") }).collect(),
        };
        assert!(b(3, "Yes").validate_outbound().is_ok());
        assert_eq!(b(4, "Yes").validate_outbound().unwrap_err().field, "content.buttons");
        assert_eq!(b(0, "Yes").validate_outbound().unwrap_err().field, "content.buttons");
        assert_eq!(b(1, &"x".repeat(20)).validate_outbound().unwrap_err().field, "content.buttons[0].title");
    }

    #[test]
    fn list_limits() {
        let rows = |n: usize| (0..n).map(|i| ListRow { id: format!("r{i}"), title: format!("Row {i}"), description: None }).collect();
        let list = |n| MessageContent::List {
            header: None,
            body: "Menu".into(),
            footer: Some("Thanks".into()),
            button_text: "Open".into(),
            sections: vec![ListSection { title: None, rows: rows(n) }],
        };
        assert!(list(10).validate_outbound().is_ok());
        let e = list(11).validate_outbound().unwrap_err();
        assert_eq!(e.field, "content.sections");
        assert!(e.message.contains("got 11"));
    }

    #[test]
    fn media_needs_exactly_one_source() {
        let img = parse(json!({"type": "image", "link": "https://example.com/a.jpg", "caption": "hi"}));
        assert!(img.validate_outbound().is_ok());
        let both = parse(json!({"type": "image", "link": "https://example.com/a.jpg", "id": "123"}));
        assert!(both.validate_outbound().is_err());
        let none = parse(json!({"type": "document"}));
        assert!(none.validate_outbound().is_err());
        let audio_caption = parse(json!({"type": "audio", "id": "1", "caption": "no"}));
        assert_eq!(audio_caption.validate_outbound().unwrap_err().field, "content.caption");
    }

    #[test]
    fn template_validation() {
        let t = parse(json!({"type": "template", "name": "appointment_reminder", "language": "pt_BR",
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Dr. Silva"}]}]}));
        assert!(t.validate_outbound().is_ok());
        let bad_lang = parse(json!({"type": "template", "name": "x", "language": "portuguese"}));
        assert_eq!(bad_lang.validate_outbound().unwrap_err().field, "content.language");
        let bad_button = parse(json!({"type": "template", "name": "x", "language": "en", "components": [{"type": "button"}]}));
        assert_eq!(bad_button.validate_outbound().unwrap_err().field, "content.components[0].index");
        // What Meta refuses in a body's or header's text (132018) is refused here, naming it.
        for text in ["", "line\nbreak", "a\ttab", "five     spaces"] {
            let t = parse(json!({"type": "template", "name": "x", "language": "en", "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "ok"}]},
                {"type": "body", "parameters": [{"type": "text", "text": "ok"}, {"type": "text", "text": text}]}]}));
            assert_eq!(t.validate_outbound().unwrap_err().field, "content.components[1].parameters[1].text", "{text:?}");
        }
        let button = parse(json!({"type": "template", "name": "x", "language": "en", "components": [
            {"type": "button", "index": "0", "sub_type": "url", "parameters": [{"type": "text", "text": "a\tb"}]}]}));
        assert!(button.validate_outbound().is_ok(), "a button's suffix is not a body text");
        assert!(is_language_code("es_419"));
        assert!(!is_language_code("EN_us"));
    }

    #[test]
    fn inbound_only_types_cannot_be_sent() {
        let c = parse(json!({"type": "button_reply", "id": "a", "title": "Yes"}));
        assert_eq!(c.validate_outbound().unwrap_err().field, "content.type");
    }

    #[test]
    fn location_bounds() {
        let c = parse(json!({"type": "location", "latitude": 91.0, "longitude": 0.0}));
        assert_eq!(c.validate_outbound().unwrap_err().field, "content.latitude");
    }
}
