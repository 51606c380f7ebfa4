//! The team inbox: people working customers' threads: assignment and internal notes (the inbox
//! list, quick replies, routing and the stream join here).

pub mod add_note;
pub mod assign_conversation;
pub mod close_conversation;
pub mod list_notes;
pub mod member_conversations;
pub mod personal_data;
pub mod ports;
