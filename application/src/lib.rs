//! Use cases of whatsapp-service, one folder per bounded context plus a shared kernel.
//!
//! Each use case is one file: its command or query, its handler and its own error enum.
//! Commands run through [`shared::pipeline::Pipeline`]: a tracing span with the name, request id
//! and shop; validation; one transaction (unit of work) in which the state change and its outbox
//! events are written together, run again on a concurrent change. Queries run through the same
//! pipeline (span and validation) against their context's read port. Ports are narrow traits
//! owned here, per context (`<context>/ports.rs`); `infrastructure` implements them and the
//! composition root in `api` wires them once.

pub mod accounts;
pub mod billing;
pub mod customers;
pub mod inbound;
pub mod inbox;
pub mod media;
pub mod messaging;
pub mod privacy;
pub mod shared;
pub mod team;
pub mod templates;
pub mod tenancy;
pub mod turns;
pub mod webhook_subscriptions;

#[cfg(test)]
mod testing;

pub use shared::error::{Chain, Invalid, UseCaseError};
pub use shared::pipeline::{Pipeline, RequestContext};
pub use shared::repo::{Cause, Page, Paged, RepoError, RepoResult};
