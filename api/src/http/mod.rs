//! The HTTP side: one folder per context (`routes.rs` with its operations, `dto.rs` with its
//! bodies, `mod.rs` with the context's handle and the mapping of its use cases' errors), plus
//! what every route shares: authentication, the error policy, request ids and access logs.
//!
//! Each operation authenticates, parses input into domain types (bad input →
//! `VALIDATION_FAILED` naming the field), runs a use case through the pipeline with its context's
//! handle (`Data<&Arc<…Http>>`, wired once at start-up) and maps the result. Nothing here
//! decides business rules.

pub mod accounts;
pub mod auth;
pub mod error;
pub mod guard;
pub mod inbound;
pub mod json_body;
pub mod listener;
pub mod messaging;
pub mod middleware;
pub mod ops;
pub mod rate_limit;
pub mod tenancy;

use poem_openapi::{OpenApiService, Tags};

use application::RequestContext;
use domain::{PhoneNumber, ShopId, WaId};

use error::ApiError;
use middleware::RequestId;

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

pub type Apis =
    (tenancy::routes::ShopsApi, accounts::routes::AccountsApi, messaging::routes::MessagesApi, messaging::routes::ConversationsApi);

pub fn openapi_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (tenancy::routes::ShopsApi, accounts::routes::AccountsApi, messaging::routes::MessagesApi, messaging::routes::ConversationsApi),
        "whatsapp-service",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "WhatsApp Business messaging on Meta's Cloud API: signed webhooks in, replies out, the 24-hour \
         customer-service window enforced. Errors always have the body \
         `{\"error\": {\"code\", \"message\", \"details\"}}`. Authenticate with `Authorization: Bearer <api key>`.",
    )
    .server("/")
}

/// The OpenAPI 3 document as JSON (what `whatsapp-service openapi` prints).
pub fn openapi_json() -> String {
    openapi_service().spec()
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
