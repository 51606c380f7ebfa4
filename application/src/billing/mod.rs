//! Billing: the shop's rate card, which prices the billable messages Meta's webhooks report.

pub mod ports;
pub mod rate_card;
