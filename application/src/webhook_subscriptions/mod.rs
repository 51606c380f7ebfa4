//! Merchant webhooks: events delivered to a merchant's HTTPS URL, signed as Standard Webhooks
//! 1.0 says, retried for a day, logged; fed by a durable outbox consumer.

pub mod create_subscription;
pub mod delete_subscription;
pub mod deliver_hooks;
pub mod fan_out;
pub mod list_subscriptions;
pub mod personal_data;
pub mod ping_subscription;
pub mod ports;
pub mod prune_deliveries;
pub mod update_subscription;
