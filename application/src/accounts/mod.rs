//! Accounts: the WhatsApp Business numbers a shop connects.

pub mod connect_account;
pub mod disconnect_account;
pub mod get_account;
pub mod list_accounts;
pub mod ports;
pub mod record_quality_updates;
pub mod update_account;
