//! Use cases of whatsapp-service.
//!
//! Commands change state and run through the [`pipeline::Pipeline`]: a tracing span with the
//! command name, request id and shop; validation; one database transaction (unit of work) in
//! which the state change and its outbox events are written together. Queries read through
//! [`ports::ReadStore`] behind the same logging and validation. Ports are narrow traits owned
//! here; the `infrastructure` crate implements them and `api` wires them in one place.

pub mod accounts;
pub mod delivery;
pub mod error;
pub mod jobs;
pub mod messaging;
pub mod pipeline;
pub mod ports;
pub mod queries;
pub mod shops;
pub mod webhook;

pub use error::AppError;
pub use pipeline::{Pipeline, RequestContext};
