//! The HTTP edge and process of whatsapp-service: poem + poem-openapi routes, the webhook
//! receiver, the sandbox Cloud API simulator, background workers, metrics and logging.

pub mod auth;
pub mod dispatcher;
pub mod dto;
pub mod error;
pub mod http;
pub mod json_body;
pub mod metrics;
pub mod routes;
pub mod sandbox;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod webhooks;
pub mod workers;
