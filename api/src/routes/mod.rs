//! The `/api/v1` operations. Each one authenticates, parses input into domain types (bad
//! input → `VALIDATION_FAILED` naming the field), runs a use case through the pipeline and maps
//! the result. Nothing here decides business rules.

pub mod accounts;
pub mod conversations;
pub mod messages;
pub mod shops;

use poem_openapi::Tags;

use application::RequestContext;
use domain::ShopId;
use domain::phone::{PhoneNumber, WaId};

use crate::error::ApiError;
use crate::http::RequestId;

#[derive(Tags)]
pub enum ApiTags {
    /// Tenancy: shops and their API keys (platform admin key).
    Shops,
    /// WhatsApp Business numbers connected to a shop.
    Accounts,
    /// Sending and reading messages; the 24-hour window decides free-form or template.
    Messages,
    /// Conversations and their 24-hour window.
    Conversations,
}

pub fn ctx(rid: &RequestId, shop: Option<ShopId>) -> RequestContext {
    RequestContext { request_id: rid.0.clone(), shop_id: shop }
}

pub fn phone(field: &str, raw: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(raw).map_err(|e| ApiError::validation(field, &e.to_string()))
}

pub fn wa_id(field: &str, raw: &str) -> Result<WaId, ApiError> {
    WaId::parse(raw).map_err(|e| ApiError::validation(field, &e.to_string()))
}

pub fn page(limit: Option<u64>, offset: Option<u64>) -> (u64, u64) {
    (limit.unwrap_or(50), offset.unwrap_or(0))
}
