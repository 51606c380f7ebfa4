//! Rows ↔ domain types. A row that does not map is `RepoError::Corrupt`, never a panic.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use serde_json::Value;

use application::ports::{ApiKeyRecord, RepoError};
use domain::account::{AccountStatus, MessagingTier, QualityRating, WhatsAppAccount};
use domain::content::MessageContent;
use domain::conversation::{Conversation, ConversationStatus, Origin};
use domain::customer::{ConsentSource, Customer, OptInConsent, OptInStatus};
use domain::message::{Direction, Message, MessageError, MessageKind, MessageStatus};
use domain::phone::{PhoneNumber, PhoneNumberId, WaId, WabaId};
use domain::shop::Role;
use domain::window::EntryPoint;

use super::entities::*;

fn corrupt(what: &str, v: impl std::fmt::Display) -> RepoError {
    RepoError::Corrupt(format!("{what}: {v}"))
}

pub fn account(m: whatsapp_accounts::Model) -> Result<WhatsAppAccount, RepoError> {
    Ok(WhatsAppAccount {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        phone_number_id: PhoneNumberId::parse(&m.phone_number_id).map_err(|e| corrupt("phone_number_id", e))?,
        display_phone_number: PhoneNumber::parse(&m.display_phone_number).map_err(|e| corrupt("display_phone_number", e))?,
        waba_id: WabaId::parse(&m.waba_id).map_err(|e| corrupt("waba_id", e))?,
        display_name: m.display_name,
        status: AccountStatus::parse(&m.status).ok_or_else(|| corrupt("account status", &m.status))?,
        messaging_tier: MessagingTier::parse(&m.messaging_tier).ok_or_else(|| corrupt("messaging tier", &m.messaging_tier))?,
        quality_rating: QualityRating::parse(&m.quality_rating).ok_or_else(|| corrupt("quality rating", &m.quality_rating))?,
        throughput_mps: m.throughput_mps.max(1) as u32,
        connected_at: m.connected_at,
        updated_at: m.updated_at,
    })
}

pub fn account_row(a: &WhatsAppAccount, token: Option<&str>) -> whatsapp_accounts::ActiveModel {
    let mut am = whatsapp_accounts::ActiveModel {
        id: Set(a.id.as_uuid()),
        shop_id: Set(a.shop_id.as_uuid()),
        phone_number_id: Set(a.phone_number_id.to_string()),
        display_phone_number: Set(a.display_phone_number.to_string()),
        waba_id: Set(a.waba_id.to_string()),
        display_name: Set(a.display_name.clone()),
        access_token_encrypted: Default::default(),
        status: Set(a.status.as_str().to_owned()),
        messaging_tier: Set(a.messaging_tier.as_str().to_owned()),
        quality_rating: Set(a.quality_rating.as_str().to_owned()),
        throughput_mps: Set(a.throughput_mps as i32),
        connected_at: Set(a.connected_at),
        updated_at: Set(a.updated_at),
    };
    if let Some(t) = token {
        am.access_token_encrypted = Set(t.to_owned());
    }
    am
}

pub fn api_key(m: api_keys::Model) -> Result<ApiKeyRecord, RepoError> {
    Ok(ApiKeyRecord {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        name: m.name,
        role: Role::parse(&m.role).ok_or_else(|| corrupt("role", &m.role))?,
        key_hash: m.key_hash,
        key_prefix: m.key_prefix,
        created_at: m.created_at,
    })
}

pub fn customer(m: customers::Model) -> Result<Customer, RepoError> {
    Ok(Customer {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        wa_id: WaId::parse(&m.wa_id).map_err(|e| corrupt("wa_id", e))?,
        user_id: m.user_id,
        name: m.name,
        profile_picture_url: m.profile_picture_url,
        consent: OptInConsent {
            status: OptInStatus::parse(&m.opt_in_status).ok_or_else(|| corrupt("opt_in_status", &m.opt_in_status))?,
            source: m.opt_in_source.as_deref().and_then(ConsentSource::parse),
            at: m.opt_in_at,
        },
        tags: serde_json::from_value(m.tags).map_err(|e| corrupt("tags", e))?,
        custom_fields: serde_json::from_value(m.custom_fields).map_err(|e| corrupt("custom_fields", e))?,
        first_contacted_at: m.first_contacted_at,
        last_inbound_at: m.last_inbound_at,
        updated_at: m.updated_at,
    })
}

pub fn customer_row(c: &Customer) -> customers::ActiveModel {
    customers::ActiveModel {
        id: Set(c.id.as_uuid()),
        shop_id: Set(c.shop_id.as_uuid()),
        wa_id: Set(c.wa_id.to_string()),
        user_id: Set(c.user_id.clone()),
        name: Set(c.name.clone()),
        profile_picture_url: Set(c.profile_picture_url.clone()),
        opt_in_status: Set(c.consent.status.as_str().to_owned()),
        opt_in_source: Set(c.consent.source.map(|s| s.as_str().to_owned())),
        opt_in_at: Set(c.consent.at),
        tags: Set(serde_json::to_value(&c.tags).unwrap_or(Value::Null)),
        custom_fields: Set(serde_json::to_value(&c.custom_fields).unwrap_or(Value::Null)),
        first_contacted_at: Set(c.first_contacted_at),
        last_inbound_at: Set(c.last_inbound_at),
        updated_at: Set(c.updated_at),
    }
}

fn origin_str(o: Origin) -> &'static str {
    match o {
        Origin::Customer => "customer",
        Origin::Business => "business",
    }
}

pub fn conversation(m: conversations::Model) -> Result<Conversation, RepoError> {
    Ok(Conversation {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        account_id: m.account_id.into(),
        customer_id: m.customer_id.into(),
        wa_id: WaId::parse(&m.wa_id).map_err(|e| corrupt("wa_id", e))?,
        status: ConversationStatus::parse(&m.status).ok_or_else(|| corrupt("conversation status", &m.status))?,
        origin: if m.origin == "business" { Origin::Business } else { Origin::Customer },
        assigned_agent_id: m.assigned_agent_id.map(Into::into),
        last_inbound_at: m.last_inbound_at,
        last_message_at: m.last_message_at,
        entry_point: m.entry_referred_at.map(|referred_at| EntryPoint { referred_at, first_reply_at: m.entry_first_reply_at }),
        started_at: m.started_at,
        closed_at: m.closed_at,
    })
}

pub fn conversation_row(c: &Conversation) -> conversations::ActiveModel {
    conversations::ActiveModel {
        id: Set(c.id.as_uuid()),
        shop_id: Set(c.shop_id.as_uuid()),
        account_id: Set(c.account_id.as_uuid()),
        customer_id: Set(c.customer_id.as_uuid()),
        wa_id: Set(c.wa_id.to_string()),
        status: Set(c.status.as_str().to_owned()),
        origin: Set(origin_str(c.origin).to_owned()),
        assigned_agent_id: Set(c.assigned_agent_id.map(|a| a.as_uuid())),
        last_inbound_at: Set(c.last_inbound_at),
        last_message_at: Set(c.last_message_at),
        entry_referred_at: Set(c.entry_point.map(|e| e.referred_at)),
        entry_first_reply_at: Set(c.entry_point.and_then(|e| e.first_reply_at)),
        started_at: Set(c.started_at),
        closed_at: Set(c.closed_at),
    }
}

pub fn message(m: messages::Model) -> Result<Message, RepoError> {
    let content: MessageContent = serde_json::from_value(m.content.clone())
        .unwrap_or(MessageContent::Unsupported { original_type: Some(m.content_type.clone()), raw: m.content });
    Ok(Message {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        account_id: m.account_id.into(),
        conversation_id: m.conversation_id.into(),
        customer_id: m.customer_id.into(),
        wa_id: WaId::parse(&m.wa_id).map_err(|e| corrupt("wa_id", e))?,
        direction: Direction::parse(&m.direction).ok_or_else(|| corrupt("direction", &m.direction))?,
        wamid: m.wamid,
        kind: MessageKind::parse(&m.kind).ok_or_else(|| corrupt("kind", &m.kind))?,
        content,
        status: MessageStatus::parse(&m.status).ok_or_else(|| corrupt("status", &m.status))?,
        error: m.error.and_then(|e| serde_json::from_value::<MessageError>(e).ok()),
        pricing: m.pricing,
        context: m.context,
        referral: m.referral,
        user_id: m.user_id,
        from: m.from_number,
        to: m.to_number,
        timestamp: m.timestamp,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

pub fn message_row(m: &Message) -> messages::ActiveModel {
    messages::ActiveModel {
        id: Set(m.id.as_uuid()),
        shop_id: Set(m.shop_id.as_uuid()),
        account_id: Set(m.account_id.as_uuid()),
        conversation_id: Set(m.conversation_id.as_uuid()),
        customer_id: Set(m.customer_id.as_uuid()),
        wa_id: Set(m.wa_id.to_string()),
        direction: Set(m.direction.as_str().to_owned()),
        wamid: Set(m.wamid.clone()),
        kind: Set(m.kind.as_str().to_owned()),
        content_type: Set(m.content.type_name().to_owned()),
        content: Set(serde_json::to_value(&m.content).unwrap_or(Value::Null)),
        status: Set(m.status.as_str().to_owned()),
        error: Set(m.error.as_ref().and_then(|e| serde_json::to_value(e).ok())),
        pricing: Set(m.pricing.clone()),
        context: Set(m.context.clone()),
        referral: Set(m.referral.clone()),
        user_id: Set(m.user_id.clone()),
        from_number: Set(m.from.clone()),
        to_number: Set(m.to.clone()),
        timestamp: Set(m.timestamp),
        created_at: Set(m.created_at),
        updated_at: Set(m.updated_at),
    }
}

pub fn delivery(m: deliveries::Model) -> Result<application::ports::Delivery, RepoError> {
    Ok(application::ports::Delivery {
        message_id: m.message_id.into(),
        shop_id: m.shop_id.into(),
        account_id: m.account_id.into(),
        wa_id: WaId::parse(&m.wa_id).map_err(|e| corrupt("wa_id", e))?,
        priority: m.priority,
        attempts: m.attempts,
        pair_retries: m.pair_retries,
        next_attempt_at: m.next_attempt_at,
        created_at: m.created_at,
    })
}

/// The CloudEvents 1.0 structured-mode envelope of a domain event (contract: Integration events).
pub fn cloud_event(event: &domain::events::DomainEvent, event_id: uuid::Uuid, recorded_at: DateTime<Utc>) -> Value {
    serde_json::json!({
        "specversion": "1.0",
        "id": event_id.to_string(),
        "source": format!("/shops/{}", event.shop_id()),
        "type": format!("whatsapp.{}", event.short_type()),
        "time": recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "subject": event.subject(),
        "datacontenttype": "application/json",
        "data": event.data(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use chrono::Utc;
    use serde_json::Value;

    use domain::events::*;
    use domain::message::MessageError;
    use domain::{AccountId, ConversationId, CustomerId, MessageId, ShopId};

    fn samples() -> Vec<DomainEvent> {
        let (s, a, c, cu, m) = (ShopId::new(), AccountId::new(), ConversationId::new(), CustomerId::new(), MessageId::new());
        let w = || "5511987654321".to_owned();
        vec![
            DomainEvent::MessageReceived(MessageReceived {
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
            }),
            DomainEvent::MessageSent(MessageSent {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                message_id: m,
                wamid: "wamid.X".into(),
                wa_id: w(),
                user_id: None,
                message_type: "free".into(),
                content_type: "text".into(),
            }),
            DomainEvent::MessageStatusUpdated(MessageStatusUpdated {
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
            }),
            DomainEvent::ConversationStarted(ConversationStarted {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                customer_id: cu,
                wa_id: w(),
                origin: "customer".into(),
            }),
            DomainEvent::ConversationClosed(ConversationClosed {
                shop_id: s,
                account_id: a,
                conversation_id: c,
                customer_id: cu,
                wa_id: w(),
                reason: "expired".into(),
                duration_seconds: 1,
            }),
            DomainEvent::CustomerCreated(CustomerCreated { shop_id: s, customer_id: cu, wa_id: w(), name: None, user_id: None }),
            DomainEvent::CustomerOptInChanged(CustomerOptInChanged {
                shop_id: s,
                customer_id: cu,
                wa_id: w(),
                status: "opted_in".into(),
                previous_status: "pending".into(),
                source: "web".into(),
            }),
            DomainEvent::AccountConnected(AccountConnected {
                shop_id: s,
                account_id: a,
                phone_number_id: "1".into(),
                display_phone_number: "+15550001111".into(),
                waba_id: "2".into(),
            }),
            DomainEvent::AccountStatusChanged(AccountStatusChanged {
                shop_id: s,
                account_id: a,
                phone_number_id: "1".into(),
                status: "suspended".into(),
                previous_status: "active".into(),
                reason: None,
            }),
            DomainEvent::AccountQualityUpdated(AccountQualityUpdated {
                shop_id: s,
                account_id: a,
                phone_number_id: "1".into(),
                quality_rating: "yellow".into(),
                previous_quality_rating: "green".into(),
                messaging_tier: "tier_1k".into(),
            }),
            DomainEvent::TemplateStatusUpdated(TemplateStatusUpdated {
                shop_id: s,
                waba_id: "1".into(),
                template_id: "2".into(),
                template_name: "t".into(),
                language: "en_US".into(),
                status: "approved".into(),
                previous_status: None,
                reason: None,
            }),
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
            let documented = docs.get(e.short_type()).unwrap_or_else(|| panic!("{} is not in docs/EVENTS.md", e.short_type()));
            assert_eq!(&keys, documented, "{}: the event and docs/EVENTS.md disagree", e.short_type());
        }
        assert_eq!(docs.len(), samples().len(), "docs/EVENTS.md documents an event that does not exist");
    }

    #[test]
    fn envelope_is_cloudevents_1_0() {
        let e = &samples()[0];
        let id = uuid::Uuid::now_v7();
        let env = super::cloud_event(e, id, Utc::now());
        assert_eq!(env["specversion"], "1.0");
        assert_eq!(env["id"], id.to_string());
        assert_eq!(env["type"], "whatsapp.message.received");
        assert_eq!(env["source"], format!("/shops/{}", e.shop_id()));
        assert_eq!(env["subject"], e.subject());
        assert_eq!(env["datacontenttype"], "application/json");
        assert!(env["data"]["userId"].is_null(), "optional keys are present as null");
    }
}
