//! The HTTP edge and process of whatsapp-service: poem + poem-openapi routes per context, the
//! webhook receiver, the sandbox Cloud API simulator, background workers, metrics and logging.
//! [`startup`] is the composition root: the only place adapters are wired.

pub mod http;
pub mod metrics;
pub mod sandbox;
pub mod startup;
pub mod telemetry;
pub mod workers;
