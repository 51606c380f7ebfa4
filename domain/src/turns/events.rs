//! Events of the turns context: who owns a customer's thread, and a turn left to people.

use serde::Serialize;

use super::owner::Owner;
use crate::shared::events::EventPayload;
use crate::{AccountId, ConversationId, CustomerId, ShopId, ThreadId, TurnId};

/// `conversation.owner.changed`: the thread's owner changed (people took it, or handed it back
/// when their time ran out). Its subject is the thread's latest conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerChanged {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    pub thread_id: ThreadId,
    pub wa_id: String,
    pub from: Owner,
    pub to: Owner,
    /// `no_responder`, `outside_hours`, `opted_out`, `expired`, `failed`, …
    pub reason: String,
}

/// `conversation.handed_off`: a customer's turn that no automated responder took; the thread
/// waits for people.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandedOff {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    pub thread_id: ThreadId,
    pub turn_id: TurnId,
    pub wa_id: String,
    /// Why no responder answered: `no_responder`, `outside_hours`, `opted_out`, `failed`.
    pub reason: String,
}

impl EventPayload for OwnerChanged {
    const TYPE: &'static str = "conversation.owner.changed";
    fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    fn subject(&self) -> String {
        self.conversation_id.to_string()
    }
}

impl EventPayload for HandedOff {
    const TYPE: &'static str = "conversation.handed_off";
    fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    fn subject(&self) -> String {
        self.conversation_id.to_string()
    }
}

crate::context_events! {
    /// What happens to customers' threads and turns. The subject is the thread's latest
    /// conversation, so a consumer sees them in order with the conversation's own events.
    pub enum TurnEvent { OwnerChanged, HandedOff }
}
