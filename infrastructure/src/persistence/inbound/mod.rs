//! Inbound: the durable inbox of raw webhook deliveries.

pub mod entities;
pub mod inbox;
pub mod repository;
