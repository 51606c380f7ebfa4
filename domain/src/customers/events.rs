//! Events of the customers context.

use serde::Serialize;

use crate::shared::events::EventPayload;
use crate::{CustomerId, ShopId};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerCreated {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    pub wa_id: String,
    pub name: Option<String>,
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerOptInChanged {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    pub wa_id: String,
    /// `marketing` or `utility`.
    pub purpose: String,
    pub status: String,
    pub previous_status: String,
    pub source: String,
}

/// A merchant changed a customer's profile (today: tags). `fields` names what changed; `tags`
/// is the whole new set.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerUpdated {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    pub wa_id: String,
    pub fields: Vec<String>,
    pub tags: Vec<String>,
}

/// A customer's personal data was erased (GDPR): name, `userId`, custom fields, tags and the
/// contents of their messages are gone; `waId` is now a keyed pseudonym. Counts, times and the
/// consent history stay.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerErased {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    /// The pseudonym that replaced the `waId`.
    pub wa_id: String,
    pub erased_at: chrono::DateTime<chrono::Utc>,
}

macro_rules! customer_payload {
    ($($t:ident = $ty:literal),*) => {$(
        impl EventPayload for $t {
            const TYPE: &'static str = $ty;
            fn shop_id(&self) -> ShopId { self.shop_id }
            fn subject(&self) -> String { self.customer_id.to_string() }
        }
    )*};
}
customer_payload!(
    CustomerCreated = "customer.created",
    CustomerOptInChanged = "customer.opt_in.changed",
    CustomerUpdated = "customer.updated",
    CustomerErased = "customer.erased"
);

crate::context_events! {
    /// What happens to a shop's customers.
    pub enum CustomerEvent { CustomerCreated, CustomerOptInChanged, CustomerUpdated, CustomerErased }
}
