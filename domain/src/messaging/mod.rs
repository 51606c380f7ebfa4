//! Messaging: conversations with customers, their messages, and the 24-hour window.

pub mod content;
pub mod conversation;
pub mod events;
pub mod idempotency;
pub mod inbound;
pub mod message;
pub mod sender;
pub mod values;
pub mod window;

pub use content::{ContentError, Header, ListRow, ListSection, Media, MessageContent, ReplyButton, TemplateRef};
pub use conversation::{
    AlreadyClosed, AlreadyPending, Conversation, ConversationSnapshot, ConversationStatus, InboxState, Origin, Outbound, SendRefusal,
    choose_outbound,
};
pub use events::{
    ConversationClosed, ConversationStarted, InboxStateChanged, MessageReceived, MessageRecovered, MessageSent, MessageStatusUpdated,
    MessagingEvent,
};
pub use idempotency::{FirstAnswer, IdempotencyKey, IdempotencyRecord, Reuse};
pub use inbound::{InboundMessage, StatusUpdate};
pub use message::{Message, MessageSnapshot, MessageStateError};
pub use sender::Sender;
pub use values::{Direction, MessageError, MessageKind, MessageStatus};
pub use window::{EntryPoint, WindowKind, WindowState};
