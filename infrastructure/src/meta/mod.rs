//! Meta's Graph API, one file per Meta resource, so onboarding and WhatsApp Flows add files:
//! - `client.rs`: the HTTP client, retries and the circuit breaker, Meta's error answer;
//! - `messages.rs`: sends and mark-read (`messaging::ports::CloudApi`);
//! - `templates.rs`: message templates (`templates::ports::TemplateApi`);
//! - `media.rs`: media ids, downloads and uploads (`media::ports::MediaApi`);
//! - `numbers.rs`: a number's details (`accounts::ports::NumberDirectory`).
//!
//! Resilience (seed 002): 10 s timeout per request; up to 3 retries with exponential backoff
//! (500 ms, 1.5 s, 4.5 s) for retryable Meta errors only; a circuit breaker per number (50 %
//! transient failures over 30 s, at least 10 calls, opens it for 30 s). A request whose outcome
//! is unknown (timeout, connection dropped after sending) is never retried: Meta has no
//! idempotency key, so a blind retry could deliver the message twice (docs/adr/0004).

mod client;
mod media;
mod messages;
mod numbers;
mod templates;

pub use client::{Breaker, BreakerConfig, CIRCUIT_OPEN_FOR, CloudApiClient, TRANSFER_TIMEOUT, is_retryable};
pub use messages::to_meta_message;
