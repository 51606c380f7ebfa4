//! The tenancy API: shops and their keys.

pub mod dto;
pub mod routes;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api = routes::ShopsApi;

pub fn api() -> Api {
    routes::ShopsApi
}

use application::Pipeline;
use application::tenancy::create_api_key::{CreateApiKeyError, CreateApiKeyHandler};
use application::tenancy::create_shop::{CreateShopError, CreateShopHandler};
use application::tenancy::get_audit_log::{GetAuditLogError, GetAuditLogHandler};
use application::tenancy::get_shop::{GetShopError, GetShopHandler};
use application::tenancy::list_api_keys::{ListApiKeysError, ListApiKeysHandler};

use super::error::ApiError;
use std::sync::Arc;

/// What the tenancy routes use, wired once at start-up.
pub struct TenancyHttp {
    pub pipeline: Pipeline,
    pub create_shop: CreateShopHandler,
    pub create_api_key: CreateApiKeyHandler,
    pub get_shop: GetShopHandler,
    pub list_api_keys: ListApiKeysHandler,
    pub audit_log: GetAuditLogHandler,
}

impl From<GetAuditLogError> for ApiError {
    fn from(e: GetAuditLogError) -> Self {
        match e {
            GetAuditLogError::Invalid(i) => i.into(),
            GetAuditLogError::Storage(s) => s.into(),
        }
    }
}

impl From<CreateShopError> for ApiError {
    fn from(e: CreateShopError) -> Self {
        match e {
            CreateShopError::Invalid(i) => i.into(),
            CreateShopError::Storage(s) => s.into(),
        }
    }
}

impl From<CreateApiKeyError> for ApiError {
    fn from(e: CreateApiKeyError) -> Self {
        match e {
            CreateApiKeyError::Invalid(i) => i.into(),
            CreateApiKeyError::ShopNotFound => ApiError::not_found("shop"),
            CreateApiKeyError::Storage(s) => s.into(),
        }
    }
}

impl From<GetShopError> for ApiError {
    fn from(e: GetShopError) -> Self {
        match e {
            GetShopError::Invalid(i) => i.into(),
            GetShopError::NotFound => ApiError::not_found("shop"),
            GetShopError::Storage(s) => s.into(),
        }
    }
}

impl From<ListApiKeysError> for ApiError {
    fn from(e: ListApiKeysError) -> Self {
        match e {
            ListApiKeysError::Invalid(i) => i.into(),
            ListApiKeysError::Storage(s) => s.into(),
        }
    }
}

/// This context's HTTP handle, wired from the service's adapters (once, at start-up).
pub fn wire(a: &crate::adapters::Adapters) -> Arc<TenancyHttp> {
    Arc::new(TenancyHttp {
        pipeline: a.pipeline.clone(),
        create_shop: CreateShopHandler { clock: a.clock.clone() },
        create_api_key: CreateApiKeyHandler { clock: a.clock.clone() },
        get_shop: GetShopHandler { reads: a.tenancy_reads.clone() },
        list_api_keys: ListApiKeysHandler { reads: a.tenancy_reads.clone() },
        audit_log: GetAuditLogHandler { reads: Arc::new(infrastructure::persistence::audit::SeaAuditReads::new(a.db.clone())) },
    })
}
