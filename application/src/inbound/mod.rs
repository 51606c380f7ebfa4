//! Inbound: Meta's webhook deliveries, from the durable inbox to the contexts that handle what
//! they say (the parser is this context's anti-corruption layer).

pub mod parser;
pub mod ports;
pub mod process_webhooks;
pub mod raw_body;
