//! Rows ↔ conversations, messages and queue rows. A row that does not map is
//! `RepoError::Corrupt`, never a panic.

use sea_orm::ActiveValue::Set;
use serde_json::Value;

use application::RepoError;
use application::messaging::ports::{Delivery, StatusRecord};
use domain::WaId;
use domain::messaging::{
    Conversation, ConversationSnapshot, ConversationStatus, Direction, EntryPoint, InboxState, Message, MessageContent, MessageError,
    MessageKind, MessageSnapshot, MessageStatus, Origin,
};

use super::entities::{conversations, deliveries, message_statuses, messages};
use crate::persistence::corrupt;
use crate::persistence::sql::json_len;

pub(crate) const CONVERSATION_COLUMNS: usize = 17;
/// Estimated encoded size of a conversation row (fixed-size columns only).
pub(crate) const CONVERSATION_BYTES: usize = 240;

/// The columns of a stored conversation that change.
pub(crate) const CONVERSATION_CHANGING_COLUMNS: [&str; 9] = [
    "status",
    "assigned_agent_id",
    "last_inbound_at",
    "last_message_at",
    "entry_referred_at",
    "entry_first_reply_at",
    "closed_at",
    "inbox_state",
    "inbox_close_reason",
];

/// A conversation's id, loaded version and new values of [`CONVERSATION_CHANGING_COLUMNS`], with
/// an estimate of their encoded size.
pub(crate) fn conversation_changes(c: &Conversation) -> (uuid::Uuid, i64, Vec<sea_orm::Value>, usize) {
    let s = c.snapshot();
    let values = vec![
        s.status.as_str().to_owned().into(),
        s.assigned_agent_id.map(|a| a.as_uuid()).into(),
        s.last_inbound_at.into(),
        s.last_message_at.into(),
        s.entry_point.map(|e| e.referred_at).into(),
        s.entry_point.and_then(|e| e.first_reply_at).into(),
        s.closed_at.into(),
        s.inbox_state.as_str().to_owned().into(),
        s.inbox_close_reason.clone().into(),
    ];
    (s.id.as_uuid(), s.version, values, 150)
}
pub(crate) const MESSAGE_COLUMNS: usize = 23;
pub(crate) const STATUS_COLUMNS: usize = 6;

pub(crate) fn conversation(m: conversations::Model) -> Result<Conversation, RepoError> {
    Ok(Conversation::restore(ConversationSnapshot {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        account_id: m.account_id.into(),
        customer_id: m.customer_id.into(),
        wa_id: WaId::parse(&m.wa_id).map_err(|e| corrupt("wa_id", e))?,
        status: ConversationStatus::parse(&m.status).ok_or_else(|| corrupt("conversation status", &m.status))?,
        origin: Origin::parse(&m.origin).ok_or_else(|| corrupt("origin", &m.origin))?,
        assigned_agent_id: m.assigned_agent_id.map(Into::into),
        last_inbound_at: m.last_inbound_at,
        last_message_at: m.last_message_at,
        entry_point: m.entry_referred_at.map(|referred_at| EntryPoint { referred_at, first_reply_at: m.entry_first_reply_at }),
        started_at: m.started_at,
        closed_at: m.closed_at,
        inbox_state: InboxState::parse(&m.inbox_state).ok_or_else(|| corrupt("inbox state", &m.inbox_state))?,
        inbox_close_reason: m.inbox_close_reason,
        unread_count: m.unread_count.max(0) as u32,
        version: m.version,
    }))
}

/// The row to insert.
pub(crate) fn conversation_row(c: &Conversation) -> conversations::ActiveModel {
    let s = c.snapshot();
    conversations::ActiveModel {
        id: Set(s.id.as_uuid()),
        shop_id: Set(s.shop_id.as_uuid()),
        account_id: Set(s.account_id.as_uuid()),
        customer_id: Set(s.customer_id.as_uuid()),
        wa_id: Set(s.wa_id.to_string()),
        status: Set(s.status.as_str().to_owned()),
        origin: Set(s.origin.as_str().to_owned()),
        assigned_agent_id: Set(s.assigned_agent_id.map(|a| a.as_uuid())),
        last_inbound_at: Set(s.last_inbound_at),
        last_message_at: Set(s.last_message_at),
        entry_referred_at: Set(s.entry_point.map(|e| e.referred_at)),
        entry_first_reply_at: Set(s.entry_point.and_then(|e| e.first_reply_at)),
        started_at: Set(s.started_at),
        closed_at: Set(s.closed_at),
        inbox_state: Set(s.inbox_state.as_str().to_owned()),
        inbox_close_reason: Set(s.inbox_close_reason.clone()),
        unread_count: sea_orm::ActiveValue::NotSet,
        version: Set(s.version),
    }
}

/// Estimated encoded size of a message row.
pub(crate) fn message_bytes(m: &Message) -> usize {
    let s = m.snapshot();
    360 + json_len(&s.content)
        + s.context.as_ref().map_or(0, json_len)
        + s.referral.as_ref().map_or(0, json_len)
        + s.pricing.as_ref().map_or(0, json_len)
        + s.error.as_ref().map_or(0, json_len)
}

/// The columns of a stored message that change: its delivery facts.
pub(crate) const MESSAGE_CHANGING_COLUMNS: [&str; 5] = ["wamid", "status", "error", "pricing", "updated_at"];

/// A message's id, loaded version, and new values of [`MESSAGE_CHANGING_COLUMNS`], with an
/// estimate of their encoded size.
pub(crate) fn message_changes(m: &Message) -> (uuid::Uuid, i64, Vec<sea_orm::Value>, usize) {
    let s = m.snapshot();
    let error = s.error.as_ref().and_then(|e| serde_json::to_value(e).ok());
    let bytes = 120 + s.wamid.as_ref().map_or(0, String::len) + error.as_ref().map_or(0, json_len) + s.pricing.as_ref().map_or(0, json_len);
    let values =
        vec![s.wamid.clone().into(), s.status.as_str().to_owned().into(), error.into(), s.pricing.clone().into(), s.updated_at.into()];
    (s.id.as_uuid(), s.version, values, bytes)
}

pub(crate) fn message(m: messages::Model) -> Result<Message, RepoError> {
    let content: MessageContent = serde_json::from_value(m.content.clone())
        .unwrap_or(MessageContent::Unsupported { original_type: Some(m.content_type.clone()), raw: m.content });
    Ok(Message::restore(MessageSnapshot {
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
        sent_by: match m.sent_by.as_deref() {
            None => None,
            Some(s) => Some(domain::messaging::Sender::parse_stored(s).ok_or_else(|| corrupt("sent_by", s))?),
        },
        from: m.from_number,
        to: m.to_number,
        timestamp: m.timestamp,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }))
}

/// The row to insert.
pub(crate) fn message_row(m: &Message) -> messages::ActiveModel {
    let s = m.snapshot();
    messages::ActiveModel {
        id: Set(s.id.as_uuid()),
        shop_id: Set(s.shop_id.as_uuid()),
        account_id: Set(s.account_id.as_uuid()),
        conversation_id: Set(s.conversation_id.as_uuid()),
        customer_id: Set(s.customer_id.as_uuid()),
        wa_id: Set(s.wa_id.to_string()),
        direction: Set(s.direction.as_str().to_owned()),
        wamid: Set(s.wamid.clone()),
        kind: Set(s.kind.as_str().to_owned()),
        content_type: Set(s.content.type_name().to_owned()),
        content: Set(serde_json::to_value(&s.content).unwrap_or(Value::Null)),
        status: Set(s.status.as_str().to_owned()),
        error: Set(s.error.as_ref().and_then(|e| serde_json::to_value(e).ok())),
        pricing: Set(s.pricing.clone()),
        context: Set(s.context.clone()),
        referral: Set(s.referral.clone()),
        user_id: Set(s.user_id.clone()),
        sent_by: Set(s.sent_by.as_ref().map(domain::messaging::Sender::to_stored)),
        from_number: Set(s.from.clone()),
        to_number: Set(s.to.clone()),
        timestamp: Set(s.timestamp),
        created_at: Set(s.created_at),
        updated_at: Set(s.updated_at),
        version: Set(s.version),
    }
}

pub(crate) fn status(m: message_statuses::Model) -> Option<StatusRecord> {
    Some(StatusRecord { wamid: m.wamid, status: MessageStatus::parse(&m.status)?, occurred_at: m.occurred_at, payload: m.payload })
}

pub(crate) fn delivery(m: deliveries::Model) -> Result<Delivery, RepoError> {
    Ok(Delivery {
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
