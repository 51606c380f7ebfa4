//! Billing: each shop's rate card.

pub mod entities;
pub mod reads;
pub mod repository;
