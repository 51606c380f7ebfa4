//! The privacy context's adapter: raw copies (webhook bodies, published event envelopes) pruned
//! after their retention.

pub mod raw_copies;
