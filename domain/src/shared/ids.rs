//! Typed identifiers. A `ShopId` can never be passed where a `ConversationId` is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered (UUIDv7) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

id_type!(
    /// A merchant tenant. Every row of tenant data carries one.
    ShopId
);
id_type!(
    /// Our id of a connected WhatsApp Business phone number.
    AccountId
);
id_type!(ConversationId);
id_type!(MessageId);
id_type!(CustomerId);
id_type!(ApiKeyId);
id_type!(
    /// An automation flow (seed 002's AutomationFlow). Meta's WhatsApp Flows (forms) get their own
    /// id type when they arrive; this one is never reused for them.
    FlowId
);
id_type!(
    /// An AI agent (seed 002's AIAgent): the LLM persona that answers for a shop.
    AiAgentId
);
id_type!(
    /// A teammate: a person of the shop's team who answers in the inbox
    /// (`conversations.assigned_agent_id` is one of these).
    MemberId
);
id_type!(
    /// A department of the shop's team (the team context).
    DepartmentId
);
id_type!(
    /// An internal note on a conversation, never sent to the customer (the inbox context).
    NoteId
);
id_type!(
    /// A routing rule: which department a thread that needs a person goes to (the inbox context).
    RoutingRuleId
);
id_type!(
    /// A canned reply people send with a shortcut (the inbox context).
    QuickReplyId
);
id_type!(EventId);
id_type!(
    /// A customer's burst of messages, answered once (the turns context).
    TurnId
);
id_type!(
    /// A customer's thread with one of the shop's numbers: it outlives its 24-hour windows.
    ThreadId
);
id_type!(
    /// A merchant's webhook subscription (events delivered to their URL).
    WebhookSubscriptionId
);
id_type!(
    /// One of the shop's automated responses (an answer by keyword, the greeting, the away message).
    AutomatedResponseId
);
id_type!(
    /// Our id of a media file: fetched from a customer's message, or uploaded by the shop.
    MediaId
);
