//! Customers.

pub(crate) mod audience;
pub mod entities;
pub(crate) mod mapping;
pub(crate) mod queries;
pub mod reads;
pub mod repository;
