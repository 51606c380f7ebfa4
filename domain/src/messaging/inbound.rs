//! What Meta reports about messages, parsed out of its webhook (by the application's inbound
//! parser): a customer's message, and a delivery status of one the business sent.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::content::MessageContent;
use super::values::{MessageError, MessageStatus};
use crate::shared::phone::WaId;

/// A customer message as Meta delivered it.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub wamid: String,
    pub from: WaId,
    /// The WhatsApp profile name Meta sent along (`contacts[].profile.name`).
    pub profile_name: Option<String>,
    /// Meta's timestamp: when the customer sent it.
    pub timestamp: DateTime<Utc>,
    pub content: MessageContent,
    /// What it replies to, kept as Meta sent it.
    pub context: Option<Value>,
    /// A click-to-WhatsApp ad or Page referral, kept as Meta sent it.
    pub referral: Option<Value>,
}

/// A delivery status for a message the business sent.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub wamid: String,
    /// `sent`, `delivered`, `read` or `failed`.
    pub status: MessageStatus,
    pub timestamp: Option<DateTime<Utc>>,
    pub recipient_id: Option<String>,
    pub error: Option<MessageError>,
    pub pricing: Option<Value>,
    /// The status object as Meta sent it (kept with the status record).
    pub raw: Value,
    /// `biz_opaque_callback_data`: what we put in the send (our message id), echoed by Meta.
    pub callback_data: Option<String>,
}
