//! The CloudEvents 1.0 structured-mode envelope of an integration event (contract: Integration
//! events).
//!
//! The outbox stores what only the event knows (`data` and `dataschemaversion`); the attributes
//! its row already has as columns (id, shop, type, subject, time) are not repeated, and the relay
//! puts the envelope together ([`complete`]). A row written whole by an older version is
//! relayed as it is.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use domain::IntegrationEvent;

use super::entities::outbox;

/// What the outbox row keeps of an event beyond its columns.
pub fn stored(event: &dyn IntegrationEvent) -> Value {
    json!({ "dataschemaversion": event.schema_version(), "data": event.data() })
}

/// The envelope of a stored event.
/// A row as its readers (the relay, the consumers) see it: the whole envelope.
pub fn record(r: outbox::Model) -> application::shared::outbox::OutboxRecord {
    application::shared::outbox::OutboxRecord {
        envelope: complete(&r),
        seq: r.seq,
        event_id: r.event_id,
        event_type: r.event_type,
        subject: r.subject,
        created_at: r.created_at,
    }
}

pub fn complete(row: &outbox::Model) -> Value {
    if row.envelope.get("specversion").is_some() {
        return row.envelope.clone();
    }
    envelope(
        row.event_id,
        &row.shop_id.to_string(),
        &row.event_type,
        &row.subject,
        row.created_at,
        row.envelope.get("dataschemaversion").cloned().unwrap_or(json!(1)),
        row.envelope.get("data").cloned().unwrap_or(Value::Null),
    )
}

fn envelope(id: uuid::Uuid, shop: &str, event_type: &str, subject: &str, time: DateTime<Utc>, version: Value, data: Value) -> Value {
    json!({
        "specversion": "1.0",
        "id": id.to_string(),
        "source": format!("/shops/{shop}"),
        "type": format!("whatsapp.{event_type}"),
        "time": time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "subject": subject,
        "dataschemaversion": version,
        "datacontenttype": "application/json",
        "data": data,
    })
}

/// The envelope of an event recorded at `recorded_at` with the id `event_id`.
pub fn cloud_event(event: &dyn IntegrationEvent, event_id: uuid::Uuid, recorded_at: DateTime<Utc>) -> Value {
    envelope(
        event_id,
        &event.shop_id().to_string(),
        event.event_type(),
        &event.subject(),
        recorded_at,
        json!(event.schema_version()),
        event.data(),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use chrono::Utc;
    use serde_json::Value;

    use domain::accounts::*;
    use domain::customers::*;
    use domain::messaging::*;
    use domain::templates::*;
    use domain::{AccountId, ConversationId, CustomerId, IntegrationEvent, MessageId, ShopId};

    /// One of every event type.
    fn samples() -> Vec<Box<dyn IntegrationEvent>> {
        let (s, a, c, cu, m) = (ShopId::new(), AccountId::new(), ConversationId::new(), CustomerId::new(), MessageId::new());
        let w = || "5511987654321".to_owned();
        vec![
            Box::new(MessagingEvent::from(MessageReceived {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                customer_id: cu,
                message_id: m,
                wamid: "wamid.X".into(),
                wa_id: w(),
                user_id: None,
                content_type: "text".into(),
                meta_timestamp: Utc::now(),
                has_referral: false,
            })),
            Box::new(MessagingEvent::from(MessageSent {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                message_id: m,
                wamid: "wamid.X".into(),
                wa_id: w(),
                user_id: None,
                message_type: "free".into(),
                content_type: "text".into(),
                sent_by: Some(domain::messaging::Sender::ApiKey(domain::ApiKeyId::new())),
            })),
            Box::new(MessagingEvent::from(MessageStatusUpdated {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                message_id: m,
                wamid: None,
                wa_id: w(),
                status: "failed".into(),
                previous_status: "sent".into(),
                error: Some(MessageError { code: 1, title: "t".into(), details: None }),
                pricing: None,
                meta_timestamp: None,
            })),
            Box::new(CustomerEvent::from(CustomerUpdated {
                shop_id: s,
                customer_id: domain::CustomerId::new(),
                wa_id: w(),
                fields: vec!["tags".into()],
                tags: vec!["VIP".into()],
            })),
            Box::new(MessagingEvent::from(MessageRecovered {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                message_id: m,
                wamid: "wamid.X".into(),
                wa_id: w(),
                previous_error: Some(MessageError { code: 0, title: "outcome unknown".into(), details: None }),
            })),
            Box::new(MessagingEvent::from(ConversationStarted {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                customer_id: cu,
                wa_id: w(),
                origin: "customer".into(),
            })),
            Box::new(MessagingEvent::from(ConversationClosed {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                customer_id: cu,
                wa_id: w(),
                reason: "expired".into(),
                duration_seconds: 1,
            })),
            Box::new(CustomerEvent::from(CustomerCreated { shop_id: s, customer_id: cu, wa_id: w(), name: None, user_id: None })),
            Box::new(CustomerEvent::from(CustomerErased {
                shop_id: s,
                customer_id: cu,
                wa_id: "012345678901234".into(),
                erased_at: chrono::Utc::now(),
            })),
            Box::new(CustomerEvent::from(CustomerOptInChanged {
                shop_id: s,
                customer_id: cu,
                wa_id: w(),
                purpose: "marketing".into(),
                status: "opted_in".into(),
                previous_status: "pending".into(),
                source: "web".into(),
            })),
            Box::new(AccountEvent::from(AccountConnected {
                shop_id: s,
                account_id: a,
                phone_number_id: "1".into(),
                display_phone_number: "+15550001111".into(),
                waba_id: "2".into(),
            })),
            Box::new(AccountEvent::from(AccountStatusChanged {
                shop_id: s,
                account_id: a,
                phone_number_id: "1".into(),
                status: "suspended".into(),
                previous_status: "active".into(),
                reason: None,
            })),
            Box::new(AccountEvent::from(AccountQualityUpdated {
                shop_id: s,
                account_id: a,
                phone_number_id: "1".into(),
                quality_rating: "yellow".into(),
                previous_quality_rating: "green".into(),
                messaging_tier: "tier_1k".into(),
            })),
            Box::new(TemplateEvent::from(TemplateStatusUpdated {
                shop_id: s,
                waba_id: "1".into(),
                template_id: "2".into(),
                template_name: "t".into(),
                language: "en_US".into(),
                status: "approved".into(),
                previous_status: None,
                reason: None,
                meta_event: "approved".into(),
            })),
            Box::new(TemplateEvent::from(domain::templates::TemplateCreated {
                shop_id: s,
                id: uuid::Uuid::now_v7(),
                waba_id: "1".into(),
                template_id: "2".into(),
                template_name: "t".into(),
                language: "en_US".into(),
                category: "UTILITY".into(),
                status: "pending".into(),
            })),
            Box::new(TemplateEvent::from(domain::templates::TemplateQualityUpdated {
                shop_id: s,
                waba_id: "1".into(),
                template_id: "2".into(),
                template_name: "t".into(),
                language: "en_US".into(),
                quality: "RED".into(),
                previous_quality: Some("GREEN".into()),
            })),
            Box::new(domain::media::MediaEvent::from(domain::media::MediaStored {
                shop_id: s,
                media_id: domain::MediaId::new(),
                message_id: Some(domain::MessageId::new()),
                kind: "image".into(),
                mime_type: Some("image/jpeg".into()),
                size: 10,
            })),
            Box::new(domain::media::MediaEvent::from(domain::media::MediaFailed {
                shop_id: s,
                media_id: domain::MediaId::new(),
                message_id: Some(domain::MessageId::new()),
                attempts: 10,
                reason: "timeout".into(),
            })),
            Box::new(domain::turns::TurnEvent::from(domain::turns::OwnerChanged {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                customer_id: cu,
                thread_id: domain::ThreadId::new(),
                wa_id: w(),
                from: domain::turns::Owner::None,
                to: domain::turns::Owner::People { member: None },
                reason: "no_responder".into(),
            })),
            Box::new(domain::turns::TurnEvent::from(domain::turns::HandedOff {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                customer_id: cu,
                thread_id: domain::ThreadId::new(),
                turn_id: domain::TurnId::new(),
                wa_id: w(),
                reason: "no_responder".into(),
            })),
            Box::new(domain::webhook_subscriptions::WebhookSubscriptionEvent::from(
                domain::webhook_subscriptions::WebhookSubscriptionDisabled {
                    shop_id: s,
                    subscription_id: domain::WebhookSubscriptionId::new(),
                    url: "https://hooks.example.com/whatsapp".into(),
                    reason: "failures".into(),
                    consecutive_failures: 50,
                },
            )),
            Box::new(domain::team::TeamEvent::from(domain::team::MemberCreated {
                shop_id: s,
                member_id: domain::MemberId::new(),
                name: "Ana Souza".into(),
                email: "ana@shop.example.com".into(),
                status: "offline".into(),
                capacity: 5,
                skills: vec!["billing".into()],
            })),
            Box::new(domain::team::TeamEvent::from(domain::team::MemberUpdated {
                shop_id: s,
                member_id: domain::MemberId::new(),
                name: "Ana Souza".into(),
                email: "ana@shop.example.com".into(),
                capacity: 8,
                skills: vec!["billing".into()],
                active: true,
            })),
            Box::new(domain::team::TeamEvent::from(domain::team::MemberStatusChanged {
                shop_id: s,
                member_id: domain::MemberId::new(),
                from: "offline".into(),
                to: "available".into(),
            })),
            Box::new(domain::inbox::InboxEvent::from(domain::inbox::ConversationAssigned {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                customer_id: cu,
                thread_id: domain::ThreadId::new(),
                wa_id: w(),
                member_id: Some(domain::MemberId::new()),
                previous_member_id: None,
                reason: "assigned".into(),
                department_id: None,
            })),
            Box::new(domain::inbox::InboxEvent::from(domain::inbox::NoteAdded {
                shop_id: s,
                conversation_id: c,
                customer_id: cu,
                note_id: domain::NoteId::new(),
                author: "api-key:0193a4b2-0000-7000-8000-000000000002".into(),
                member_id: Some(domain::MemberId::new()),
            })),
            Box::new(domain::inbox::InboxEvent::from(domain::inbox::ConversationTagsChanged {
                shop_id: s,
                conversation_id: c,
                customer_id: cu,
                tags: vec!["refund".into(), "urgent".into()],
                added: vec!["urgent".into()],
                removed: vec![],
            })),
            Box::new(MessagingEvent::from(domain::messaging::InboxStateChanged {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                customer_id: cu,
                wa_id: w(),
                from: "open".into(),
                to: "closed".into(),
                reason: "resolved".into(),
            })),
        ]
    }

    /// `### \`type\`` headings of docs/EVENTS.md, each with the keys of its first JSON block.
    fn documented() -> BTreeMap<String, BTreeSet<String>> {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/EVENTS.md")).expect("docs/EVENTS.md");
        let mut out = BTreeMap::new();
        for section in text.split("\n### `").skip(1) {
            let name = section.split('`').next().unwrap().to_owned();
            let Some(start) = section.find("```json\n") else { continue };
            let rest = &section[start + 8..];
            let block = &rest[..rest.find("```").unwrap()];
            let v: Value = serde_json::from_str(block).unwrap_or_else(|e| panic!("EVENTS.md {name}: {e}"));
            out.insert(name, v.as_object().unwrap().keys().cloned().collect());
        }
        out
    }

    #[test]
    fn events_are_documented() {
        let docs = documented();
        for e in samples() {
            let keys: BTreeSet<String> = e.data().as_object().unwrap().keys().cloned().collect();
            let documented = docs.get(e.event_type()).unwrap_or_else(|| panic!("{} is not in docs/EVENTS.md", e.event_type()));
            assert_eq!(&keys, documented, "{}: the event and docs/EVENTS.md disagree", e.event_type());
        }
        assert_eq!(docs.len(), samples().len(), "docs/EVENTS.md documents an event that does not exist");
    }

    /// A merchant may subscribe to exactly the documented event types.
    #[test]
    fn merchant_webhooks_offer_every_documented_event_type() {
        let documented: BTreeSet<String> = documented().into_keys().collect();
        let offered: BTreeSet<String> = application::webhook_subscriptions::ports::EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect();
        assert_eq!(offered, documented);
    }

    #[test]
    fn a_stored_event_comes_back_as_its_whole_envelope() {
        let e = &samples()[1];
        let id = uuid::Uuid::now_v7();
        let at = Utc::now();
        let row = super::outbox::Model {
            seq: 1,
            event_id: id,
            shop_id: e.shop_id().as_uuid(),
            event_type: e.event_type().to_owned(),
            subject: e.subject(),
            envelope: super::stored(e.as_ref()),
            created_at: at,
            published_at: None,
        };
        assert_eq!(super::complete(&row), super::cloud_event(e.as_ref(), id, at));
        let old = super::outbox::Model { envelope: super::cloud_event(e.as_ref(), id, at), ..row };
        assert_eq!(super::complete(&old), old.envelope, "a row written whole is relayed as it is");
    }

    #[test]
    fn envelope_is_cloudevents_1_0() {
        let e = &samples()[0];
        let id = uuid::Uuid::now_v7();
        let env = super::cloud_event(e.as_ref(), id, Utc::now());
        assert_eq!(env["specversion"], "1.0");
        assert_eq!(env["id"], id.to_string());
        assert_eq!(env["type"], "whatsapp.message.received");
        assert_eq!(env["source"], format!("/shops/{}", e.shop_id()));
        assert_eq!(env["subject"], e.subject());
        assert_eq!(env["dataschemaversion"], 1);
        assert_eq!(env["datacontenttype"], "application/json");
        assert!(env["data"]["userId"].is_null(), "optional keys are present as null");
    }
}
