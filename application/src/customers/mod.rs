//! Customers: the people who write to a shop, their consent, and the CRM around them.

pub mod create_customer;
pub mod create_segment;
pub mod define_custom_field;
pub mod delete_segment;
pub mod get_consent;
pub mod get_consent_settings;
pub mod get_customer;
pub mod get_segments;
pub mod identify;
pub mod import_customers;
pub mod list_custom_fields;
pub mod list_customers;
pub mod personal_data;
pub mod ports;
pub mod record_consent;
pub mod record_preferences;
pub mod segment_customers;
pub mod start_export;
pub mod tag_customer;
pub mod update_consent_settings;
pub mod update_customer;
