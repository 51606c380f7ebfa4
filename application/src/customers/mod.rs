//! Customers: the people who write to a shop. Today: identified on first contact (the CRM
//! arrives with the Customers issue).

pub mod get_customer;
pub mod identify;
pub mod list_customers;
pub mod ports;
pub mod tag_customer;
