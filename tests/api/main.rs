//! Integration tests: the real application on port 0, a fresh database per test (SQLite
//! always; Postgres too when `TEST_POSTGRES_URL` is set, and required when `CI=true`), and the
//! Cloud API played by the built-in sandbox over HTTP or by a wiremock server.

mod helpers;

mod concurrency;
mod consent;
mod console;
mod context_map;
mod customers;
mod delivery;
mod errors_and_ops;
mod events;
mod gdpr;
mod hardening;
mod idempotency;
mod import_export;
mod inbox;
mod jobs;
mod media;
mod merchant_webhooks;
mod messaging;
mod outside_checks;
mod quick_replies;
pub(crate) mod restart;
mod routing;
mod segments;
mod shop_settings;
mod stream;
mod subscriptions;
mod team;
mod templates;
mod tenancy;
mod turns;
mod webhooks;
