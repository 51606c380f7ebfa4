//! The shared kernel: typed ids, the phone-number value objects Meta uses, and the event trait.

pub mod category;
pub mod events;
pub mod ids;
pub mod meta;
pub mod phone;
pub mod problem;
