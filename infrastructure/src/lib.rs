//! Adapters for the application's ports: persistence (sea-orm on Postgres and SQLite), the
//! WhatsApp Cloud API client, AES-256-GCM secrets, webhook signatures, configuration.

pub mod cloud_api;
pub mod config;
pub mod crypto;
pub mod db;
pub mod events;
pub mod limiter;
