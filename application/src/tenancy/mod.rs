//! Tenancy: shops, their API keys, authentication, and the shop's settings.

pub mod authenticate;
pub mod create_api_key;
pub mod create_shop;
pub mod get_audit_log;
pub mod get_shop;
pub mod get_shop_settings;
pub mod list_api_keys;
pub mod ports;
pub mod update_shop_settings;
