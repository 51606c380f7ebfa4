//! The outbox: written inside units of work, read and marked by the relay.

pub mod entities;
pub mod envelope;
pub mod relay_store;
pub mod subscriptions;
pub mod writer;
