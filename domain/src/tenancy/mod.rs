//! Tenancy: shops, the roles of their API keys, and the shop's settings (time zone, business
//! hours, the quiet time of a turn).

pub mod role;
pub mod settings;

pub use role::Role;
pub use settings::{SettingsDraft, ShopSettings};
