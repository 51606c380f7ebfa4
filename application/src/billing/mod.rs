//! Billing: the shop's rate card, which prices the billable messages Meta's webhooks report.

pub mod get_rate_card;
pub mod ports;
pub mod set_rate_card;
