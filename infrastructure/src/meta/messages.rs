//! `POST /{phone-number-id}/messages`: sends and mark-read (the messaging context's port).

use async_trait::async_trait;
use serde_json::{Value, json};

use super::client::CloudApiClient;
use application::messaging::ports::{CloudApi, SendReceipt};
use application::shared::meta::{CloudApiError, SenderCredentials};
use domain::WaId;
use domain::messaging::{Header, Media, MessageContent};

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
}
