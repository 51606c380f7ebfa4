//! Messages: entities of the Conversation aggregate, and their delivery status.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::content::MessageContent;
use super::events::{MessageStatusUpdated, MessagingEvent};
use super::sender::Sender;
use super::values::{Direction, MessageError, MessageKind, MessageStatus};
use crate::shared::phone::WaId;
use crate::{AccountId, ConversationId, CustomerId, MessageId, ShopId};

/// Everything a stored message holds: what persistence reads and writes. Messages are created
/// by their [`super::conversation::Conversation`] and changed only through [`Message`]'s methods.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageSnapshot {
    pub id: MessageId,
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    pub wa_id: WaId,
    pub direction: Direction,
    /// Meta's id (`wamid.…`). Inbound: always. Outbound: once Meta accepted it.
    pub wamid: Option<String>,
    pub kind: MessageKind,
    pub content: MessageContent,
    pub status: MessageStatus,
    pub error: Option<MessageError>,
    pub pricing: Option<Value>,
    /// Inbound `context` (what it replies to), kept as Meta sent it; outbound: the wamid it
    /// replies to, as `{"message_id": …}`.
    pub context: Option<Value>,
    /// Inbound `referral` (click-to-WhatsApp ad), kept as Meta sent it.
    pub referral: Option<Value>,
    pub user_id: Option<String>,
    /// Who sent it (outbound; `None` for a customer's message, and for outbound messages
    /// stored before senders were recorded).
    pub sent_by: Option<Sender>,
    /// E.164 of the sender and recipient.
    pub from: String,
    pub to: String,
    /// When it happened: Meta's timestamp for inbound, our acceptance time for outbound.
    pub timestamp: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: bumped by every stored change.
    pub version: i64,
}

/// One message in a conversation: an entity of the Conversation aggregate, stored on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    s: MessageSnapshot,
}

impl Message {
    /// Only the conversation creates messages (`Conversation::receive`, `Conversation::queue`).
    pub(crate) fn new(snapshot: MessageSnapshot) -> Self {
        Self { s: snapshot }
    }

    /// Rebuild a stored message (persistence only).
    pub fn restore(snapshot: MessageSnapshot) -> Self {
        Self { s: snapshot }
    }

    pub fn snapshot(&self) -> &MessageSnapshot {
        &self.s
    }

    pub fn id(&self) -> MessageId {
        self.s.id
    }
    pub fn shop_id(&self) -> ShopId {
        self.s.shop_id
    }
    pub fn account_id(&self) -> AccountId {
        self.s.account_id
    }
    pub fn conversation_id(&self) -> ConversationId {
        self.s.conversation_id
    }
    pub fn wa_id(&self) -> &WaId {
        &self.s.wa_id
    }
    pub fn direction(&self) -> Direction {
        self.s.direction
    }
    pub fn wamid(&self) -> Option<&str> {
        self.s.wamid.as_deref()
    }
    /// Who sent it (outbound).
    pub fn sent_by(&self) -> Option<&Sender> {
        self.s.sent_by.as_ref()
    }
    pub fn kind(&self) -> MessageKind {
        self.s.kind
    }
    pub fn content(&self) -> &MessageContent {
        &self.s.content
    }
    pub fn status(&self) -> MessageStatus {
        self.s.status
    }
    pub fn error(&self) -> Option<&MessageError> {
        self.s.error.as_ref()
    }
    /// The wamid an outbound message replies to, if any.
    pub fn reply_to(&self) -> Option<&str> {
        self.s.context.as_ref().and_then(|c| c.get("message_id")).and_then(Value::as_str)
    }

    /// Meta accepted an outbound message and gave it its wamid (the conversation records it:
    /// `Conversation::record_sent`).
    pub(crate) fn accept(&mut self, wamid: String, now: DateTime<Utc>) -> Result<(), MessageStateError> {
        if self.s.direction != Direction::Outbound {
            return Err(MessageStateError::NotOutbound);
        }
        if self.s.wamid.as_ref().is_some_and(|w| *w != wamid) {
            return Err(MessageStateError::AlreadyAccepted);
        }
        self.s.wamid = Some(wamid);
        if let Some(next) = self.s.status.advance(MessageStatus::Sent) {
            self.s.status = next;
        }
        self.s.updated_at = now;
        Ok(())
    }

    /// Apply a delivery status Meta reported. Monotonic: statuses only move forward, `failed`
    /// wins and is final. Returns the event when the status changed; pricing is kept either way.
    pub fn apply_status(
        &mut self,
        status: MessageStatus,
        error: Option<MessageError>,
        pricing: Option<Value>,
        meta_timestamp: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<MessagingEvent> {
        if pricing.is_some() && self.s.status != MessageStatus::Failed {
            self.s.pricing = pricing;
            self.s.updated_at = now;
        }
        let next = self.s.status.advance(status)?;
        let previous = self.s.status;
        self.s.status = next;
        if next == MessageStatus::Failed {
            self.s.error = error;
        }
        self.s.updated_at = now;
        Some(self.status_event(previous, meta_timestamp))
    }

    /// A status webhook names this failed send by our id, so Meta did accept it: record its
    /// wamid and move it back to `sent`, ready for that status. Only an outbound message that
    /// failed without ever getting a wamid (its answer was lost) can be recovered.
    pub fn recover(&mut self, wamid: String, now: DateTime<Utc>) -> Result<MessagingEvent, MessageStateError> {
        if self.s.direction != Direction::Outbound || self.s.wamid.is_some() || self.s.status != MessageStatus::Failed {
            return Err(MessageStateError::NotRecoverable);
        }
        let previous_error = self.s.error.take();
        self.s.wamid = Some(wamid.clone());
        self.s.status = MessageStatus::Sent;
        self.s.updated_at = now;
        Ok(MessagingEvent::from(super::events::MessageRecovered {
            shop_id: self.s.shop_id,
            account_id: self.s.account_id,
            conversation_id: self.s.conversation_id,
            message_id: self.s.id,
            wamid,
            wa_id: self.s.wa_id.to_string(),
            previous_error,
        }))
    }

    /// The send failed for good (Meta refused it, retries ran out, or its outcome is unknown).
    pub fn fail(&mut self, error: MessageError, now: DateTime<Utc>) -> Option<MessagingEvent> {
        self.apply_status(MessageStatus::Failed, Some(error), None, None, now)
    }

    /// The business read a customer's message (blue ticks). `false` if it already was.
    pub fn mark_read(&mut self, now: DateTime<Utc>) -> Result<bool, MessageStateError> {
        if self.s.direction != Direction::Inbound {
            return Err(MessageStateError::NotInbound);
        }
        match self.s.status.advance(MessageStatus::Read) {
            Some(next) => {
                self.s.status = next;
                self.s.updated_at = now;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn status_event(&self, previous: MessageStatus, meta_timestamp: Option<DateTime<Utc>>) -> MessagingEvent {
        MessagingEvent::from(MessageStatusUpdated {
            shop_id: self.s.shop_id,
            account_id: self.s.account_id,
            conversation_id: self.s.conversation_id,
            message_id: self.s.id,
            wamid: self.s.wamid.clone(),
            wa_id: self.s.wa_id.to_string(),
            status: self.s.status.as_str().to_owned(),
            previous_status: previous.as_str().to_owned(),
            error: self.s.error.clone(),
            pricing: self.s.pricing.clone(),
            meta_timestamp,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageStateError {
    #[error("only a message the business sent can be accepted by Meta")]
    NotOutbound,
    #[error("only a message the customer sent can be marked read")]
    NotInbound,
    #[error("the message already has another wamid")]
    AlreadyAccepted,
    #[error("the message belongs to another conversation")]
    OtherConversation,
    #[error("only a failed outbound message without a wamid can be recovered")]
    NotRecoverable,
}
