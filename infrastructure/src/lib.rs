//! Adapters for the application's ports: persistence (sea-orm on Postgres and SQLite, one folder
//! per context), the WhatsApp Cloud API client, event publishers (RabbitMQ, in-process), rate
//! limiters (in-process, Redis), the media store (a folder or an S3 bucket), AES-256-GCM secrets,
//! webhook signatures, configuration.

pub mod config;
pub mod crypto;
pub mod hooks;
pub mod limiter;
pub mod media_store;
pub mod meta;
pub mod persistence;
pub mod publisher;
