//! Something Meta reported through one of the shop's numbers, with the number it came through:
//! what the inbound router (anti-corruption layer) hands each context.

use std::sync::Arc;

use domain::accounts::WhatsAppAccount;

/// An item of a webhook, routed to the connected number it came through.
#[derive(Debug, Clone)]
pub struct Routed<T> {
    pub account: Arc<WhatsAppAccount>,
    pub item: T,
}
