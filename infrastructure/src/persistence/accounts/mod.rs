//! Accounts: connected WhatsApp numbers (their tokens encrypted).

pub mod entities;
pub(crate) mod mapping;
pub(crate) mod queries;
pub mod reads;
pub mod repository;
