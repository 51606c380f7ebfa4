//! Events of the messaging context: conversations and their messages.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::values::MessageError;
use crate::shared::events::EventPayload;
use crate::{AccountId, ConversationId, CustomerId, MessageId, ShopId};

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

/// `conversation.inbox_state.changed`: people closed a conversation in the inbox (with a
/// reason) or opened it again; the window (`status`) is another matter.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxStateChanged {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    pub wa_id: String,
    pub from: String,
    pub to: String,
    pub reason: String,
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
    /// Who sent it: `{"type": "api_key" | "member" | "flow_execution" | "ai_agent" | "campaign"
    /// | "system", "id": …}`; null for a message stored before senders were recorded.
    pub sent_by: Option<super::Sender>,
}

/// A send that had failed as "outcome unknown" (its answer was lost) turned out to have reached
/// Meta: a status webhook named it by our id (`biz_opaque_callback_data`). Its wamid is now known.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRecovered {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub wamid: String,
    pub wa_id: String,
    /// The failure it had been recorded with.
    pub previous_error: Option<MessageError>,
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

macro_rules! conversation_payload {
    ($($t:ident = $ty:literal),*) => {$(
        impl EventPayload for $t {
            const TYPE: &'static str = $ty;
            fn shop_id(&self) -> ShopId { self.shop_id }
            fn subject(&self) -> String { self.conversation_id.to_string() }
        }
    )*};
}
conversation_payload!(
    ConversationStarted = "conversation.started",
    ConversationClosed = "conversation.closed",
    InboxStateChanged = "conversation.inbox_state.changed",
    MessageReceived = "message.received",
    MessageSent = "message.sent",
    MessageStatusUpdated = "message.status.updated",
    MessageRecovered = "message.recovered"
);

crate::context_events! {
    /// What happens in conversations. Every one has the conversation as its subject, so a
    /// consumer sees a conversation's events in order.
    pub enum MessagingEvent { ConversationStarted, ConversationClosed, InboxStateChanged, MessageReceived, MessageSent, MessageStatusUpdated, MessageRecovered }
}
