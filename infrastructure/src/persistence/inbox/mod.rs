//! The inbox: internal notes on conversations, routing rules and the queue.

pub mod backfill;
pub mod entities;
pub mod reads;
pub mod repository;
pub mod search;
