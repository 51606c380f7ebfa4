//! Merchant webhooks: subscriptions and their deliveries.

pub mod entities;
mod mapping;
pub mod queue;
pub mod reads;
pub mod repository;
