//! The inbox: internal notes on conversations.

pub mod entities;
pub mod reads;
pub mod repository;
