//! The team: members, departments and who belongs to which.

pub mod entities;
mod mapping;
pub mod reads;
pub mod repository;
