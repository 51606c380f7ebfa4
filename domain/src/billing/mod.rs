//! Billing: what Meta charges for the messages a shop sends. Meta's status webhooks say whether
//! a message is billable and under which pricing category, never the price; the price comes from
//! the shop's rate card (Meta's rates for its markets, in the shop's currency).

pub mod rate_card;

pub use rate_card::{Cost, Rate, RateCard};
