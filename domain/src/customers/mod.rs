//! Customers: the people who write to a shop, and their consent.

pub mod customer;
pub mod events;

pub use customer::{ConsentSource, Customer, CustomerSnapshot, OptInConsent, OptInStatus};
pub use events::{CustomerCreated, CustomerEvent, CustomerOptInChanged};
