//! The domain model of whatsapp-service, one module per bounded context plus a shared kernel.
//!
//! Pure Rust: no I/O, no framework, no clock. Every function that depends on time takes
//! `now` as an argument so the 24-hour customer-service window can be tested at its exact
//! boundaries. Aggregates own their construction and state changes (their fields are private;
//! persistence reads a snapshot and restores from one) and return past-tense events.

pub mod accounts;
pub mod billing;
pub mod customers;
pub mod inbox;
pub mod media;
pub mod messaging;
pub mod shared;
pub mod team;
pub mod templates;
pub mod tenancy;
pub mod turns;
pub mod webhook_subscriptions;

pub use shared::events::{Events, IntegrationEvent};
pub use shared::ids::*;
pub use shared::phone::{PhoneError, PhoneNumber, PhoneNumberId, WaId, WabaId};
