//! Templates: what they say, where they live at Meta, and their review status.

pub mod entities;
pub mod mapping;
pub mod reads;
pub mod repository;
