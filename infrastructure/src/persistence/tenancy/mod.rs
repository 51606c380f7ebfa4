//! Tenancy: shops and API keys.

pub mod entities;
mod mapping;
pub mod reads;
pub mod repository;
