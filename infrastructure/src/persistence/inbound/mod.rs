//! Inbound: the durable inbox of raw webhook deliveries.

pub mod entities;
pub mod group_commit;
pub mod inbox;
pub mod repository;
