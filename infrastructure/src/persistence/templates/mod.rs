//! Templates: their review status as Meta reports it.

pub mod entities;
pub mod repository;
