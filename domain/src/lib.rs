//! The domain model of whatsapp-service.
//!
//! Pure Rust: no I/O, no framework, no clock. Every function that depends on time takes
//! `now` as an argument so the 24-hour customer-service window can be tested at its exact
//! boundaries. Aggregates decide and return past-tense events; `apply` only mutates.

pub mod account;
pub mod ai_agent;
pub mod automation;
pub mod content;
pub mod conversation;
pub mod customer;
pub mod events;
pub mod ids;
pub mod message;
pub mod phone;
pub mod shop;
pub mod window;

pub use ids::*;
