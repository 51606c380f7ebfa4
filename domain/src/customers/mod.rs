//! Customers: the people who write to a shop, and their consent.

pub mod customer;
pub mod events;

pub use customer::{ConsentSource, Customer, CustomerSnapshot, MAX_TAG_CHARS, OptInConsent, OptInStatus, TagError};
pub use events::{CustomerCreated, CustomerEvent, CustomerOptInChanged, CustomerUpdated};
