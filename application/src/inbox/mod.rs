//! The team inbox: people working customers' threads. Assignment first; the inbox list, notes,
//! quick replies, routing and the stream join here.

pub mod assign_conversation;
