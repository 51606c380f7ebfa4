//! Privacy: a customer's personal data, as every context holds it. Erasure and export run here,
//! over the `PersonalData` port that each context implements for its own tables (customers,
//! messaging, media; the coming contexts add theirs), in one transaction, in the house's lock
//! order, with one audit entry. Raw copies (webhook bodies as Meta sent them, published event
//! envelopes) are pruned after `RAW_RETENTION_HOURS` instead (ADR 11).

pub mod erase_customer;
pub mod export_customer;
pub mod ports;
pub mod prune_raw_copies;
