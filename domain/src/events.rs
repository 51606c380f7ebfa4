//! Domain events: past-tense facts the aggregates return. The application writes them to the
//! outbox in the same transaction as the state change; `docs/EVENTS.md` documents their shape.
//!
//! Every field is always serialised (optional ones as `null`) so each type keeps one stable
//! set of keys.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::message::MessageError;
use crate::{AccountId, ConversationId, CustomerId, MessageId, ShopId};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountConnected {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub waba_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatusChanged {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub phone_number_id: String,
    pub status: String,
    pub previous_status: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountQualityUpdated {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub phone_number_id: String,
    pub quality_rating: String,
    pub previous_quality_rating: String,
    pub messaging_tier: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationStarted {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    pub wa_id: String,
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationClosed {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    pub wa_id: String,
    pub reason: String,
    pub duration_seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageReceived {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    pub message_id: MessageId,
    pub wamid: String,
    pub wa_id: String,
    pub user_id: Option<String>,
    pub content_type: String,
    pub meta_timestamp: DateTime<Utc>,
    pub has_referral: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSent {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub wamid: String,
    pub wa_id: String,
    pub user_id: Option<String>,
    pub message_type: String,
    pub content_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageStatusUpdated {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub wamid: Option<String>,
    pub wa_id: String,
    pub status: String,
    pub previous_status: String,
    pub error: Option<MessageError>,
    pub pricing: Option<Value>,
    pub meta_timestamp: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerCreated {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    pub wa_id: String,
    pub name: Option<String>,
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerOptInChanged {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    pub wa_id: String,
    pub status: String,
    pub previous_status: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateStatusUpdated {
    pub shop_id: ShopId,
    pub waba_id: String,
    pub template_id: String,
    pub template_name: String,
    pub language: String,
    pub status: String,
    pub previous_status: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DomainEvent {
    AccountConnected(AccountConnected),
    AccountStatusChanged(AccountStatusChanged),
    AccountQualityUpdated(AccountQualityUpdated),
    ConversationStarted(ConversationStarted),
    ConversationClosed(ConversationClosed),
    MessageReceived(MessageReceived),
    MessageSent(MessageSent),
    MessageStatusUpdated(MessageStatusUpdated),
    CustomerCreated(CustomerCreated),
    CustomerOptInChanged(CustomerOptInChanged),
    TemplateStatusUpdated(TemplateStatusUpdated),
}

impl DomainEvent {
    /// The short type: the RabbitMQ routing key and the suffix of the CloudEvents `type`.
    pub fn short_type(&self) -> &'static str {
        match self {
            Self::AccountConnected(_) => "account.connected",
            Self::AccountStatusChanged(_) => "account.status.changed",
            Self::AccountQualityUpdated(_) => "account.quality.updated",
            Self::ConversationStarted(_) => "conversation.started",
            Self::ConversationClosed(_) => "conversation.closed",
            Self::MessageReceived(_) => "message.received",
            Self::MessageSent(_) => "message.sent",
            Self::MessageStatusUpdated(_) => "message.status.updated",
            Self::CustomerCreated(_) => "customer.created",
            Self::CustomerOptInChanged(_) => "customer.opt_in.changed",
            Self::TemplateStatusUpdated(_) => "template.status.updated",
        }
    }

    pub fn shop_id(&self) -> ShopId {
        match self {
            Self::AccountConnected(e) => e.shop_id,
            Self::AccountStatusChanged(e) => e.shop_id,
            Self::AccountQualityUpdated(e) => e.shop_id,
            Self::ConversationStarted(e) => e.shop_id,
            Self::ConversationClosed(e) => e.shop_id,
            Self::MessageReceived(e) => e.shop_id,
            Self::MessageSent(e) => e.shop_id,
            Self::MessageStatusUpdated(e) => e.shop_id,
            Self::CustomerCreated(e) => e.shop_id,
            Self::CustomerOptInChanged(e) => e.shop_id,
            Self::TemplateStatusUpdated(e) => e.shop_id,
        }
    }

    /// The id of the aggregate the event concerns (CloudEvents `subject`; order is kept per
    /// subject). Message events belong to their conversation.
    pub fn subject(&self) -> String {
        match self {
            Self::AccountConnected(e) => e.account_id.to_string(),
            Self::AccountStatusChanged(e) => e.account_id.to_string(),
            Self::AccountQualityUpdated(e) => e.account_id.to_string(),
            Self::ConversationStarted(e) => e.conversation_id.to_string(),
            Self::ConversationClosed(e) => e.conversation_id.to_string(),
            Self::MessageReceived(e) => e.conversation_id.to_string(),
            Self::MessageSent(e) => e.conversation_id.to_string(),
            Self::MessageStatusUpdated(e) => e.conversation_id.to_string(),
            Self::CustomerCreated(e) => e.customer_id.to_string(),
            Self::CustomerOptInChanged(e) => e.customer_id.to_string(),
            Self::TemplateStatusUpdated(e) => e.template_id.clone(),
        }
    }

    /// The CloudEvents `data`, camelCase.
    pub fn data(&self) -> Value {
        let v = match self {
            Self::AccountConnected(e) => serde_json::to_value(e),
            Self::AccountStatusChanged(e) => serde_json::to_value(e),
            Self::AccountQualityUpdated(e) => serde_json::to_value(e),
            Self::ConversationStarted(e) => serde_json::to_value(e),
            Self::ConversationClosed(e) => serde_json::to_value(e),
            Self::MessageReceived(e) => serde_json::to_value(e),
            Self::MessageSent(e) => serde_json::to_value(e),
            Self::MessageStatusUpdated(e) => serde_json::to_value(e),
            Self::CustomerCreated(e) => serde_json::to_value(e),
            Self::CustomerOptInChanged(e) => serde_json::to_value(e),
            Self::TemplateStatusUpdated(e) => serde_json::to_value(e),
        };
        v.unwrap_or(Value::Null)
    }
}
