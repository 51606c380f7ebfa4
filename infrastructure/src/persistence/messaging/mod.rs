//! Messaging: conversations, messages, status reports and the durable outbound queue.

pub mod entities;
pub(crate) mod mapping;
pub mod outbound_queue;
pub(crate) mod queries;
pub mod reads;
pub mod repository;
