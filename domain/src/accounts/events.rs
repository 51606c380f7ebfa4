//! Events of the accounts context.

use serde::Serialize;

use crate::shared::events::EventPayload;
use crate::{AccountId, ShopId};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountConnected {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub waba_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatusChanged {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub phone_number_id: String,
    pub status: String,
    pub previous_status: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountQualityUpdated {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub phone_number_id: String,
    pub quality_rating: String,
    pub previous_quality_rating: String,
    pub messaging_tier: String,
}

macro_rules! account_payload {
    ($($t:ident = $ty:literal),*) => {$(
        impl EventPayload for $t {
            const TYPE: &'static str = $ty;
            fn shop_id(&self) -> ShopId { self.shop_id }
            fn subject(&self) -> String { self.account_id.to_string() }
        }
    )*};
}
account_payload!(
    AccountConnected = "account.connected",
    AccountStatusChanged = "account.status.changed",
    AccountQualityUpdated = "account.quality.updated"
);

crate::context_events! {
    /// What happens to a connected WhatsApp number.
    pub enum AccountEvent { AccountConnected, AccountStatusChanged, AccountQualityUpdated }
}
