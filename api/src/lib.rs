//! The HTTP edge and process of whatsapp-service: poem + poem-openapi routes per context, the
//! webhook receiver, the sandbox Cloud API simulator, background workers, metrics and logging.
//! [`startup`] is the composition root: it builds the [`adapters`] once, and each context wires its
//! own HTTP handle from them (`http::<context>::wire`).

pub mod adapters;
pub mod http;
pub mod metrics;
pub mod sandbox;
pub mod startup;
pub mod telemetry;
pub mod workers;
