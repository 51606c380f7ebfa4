//! Tenancy: shops and the roles of their API keys.

pub mod role;

pub use role::Role;
