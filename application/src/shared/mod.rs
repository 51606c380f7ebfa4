//! The application's shared kernel: the pipeline, errors, the unit of work and the ports every
//! context may use.

pub mod audit;
pub mod error;
pub mod leases;
pub mod meta;
pub mod outbox;
pub mod personal_data;
pub mod pipeline;
pub mod ports;
pub mod repo;
pub mod subscription;
pub mod unit_of_work;
