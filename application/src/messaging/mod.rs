//! Messaging: sends (decided by the 24-hour window, queued durably, recorded when Meta answers),
//! received messages and delivery statuses, conversations and their expiry.

pub mod apply_statuses;
pub mod count_stuck_messages;
pub mod delivery_policy;
pub mod expire_conversations;
pub mod get_conversation;
pub mod get_conversation_status;
pub mod get_message;
pub mod get_messages;
pub mod list_conversations;
pub mod mark_read;
pub mod personal_data;
pub mod ports;
pub mod prune_idempotency_keys;
pub mod receive_messages;
pub mod record_delivery_outcomes;
pub mod record_first_answer;
pub mod send_media;
pub mod send_message;
pub mod via;

/// A message content Meta would refuse: the field and why, as any invalid input.
impl From<domain::messaging::ContentError> for crate::shared::error::Invalid {
    fn from(e: domain::messaging::ContentError) -> Self {
        Self { field: e.field, message: e.message }
    }
}
