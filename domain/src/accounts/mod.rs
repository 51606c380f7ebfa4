//! Accounts: the WhatsApp Business numbers a shop connects.

pub mod account;
pub mod events;

pub use account::{
    AccountError, AccountSnapshot, AccountStatus, DEFAULT_THROUGHPUT_MPS, MAX_THROUGHPUT_MPS, MessagingTier, QualityRating, WhatsAppAccount,
};
pub use events::{AccountConnected, AccountEvent, AccountQualityUpdated, AccountStatusChanged};
