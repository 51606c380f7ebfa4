//! The tenancy API: shops and their keys.

pub mod dto;
pub mod routes;
pub mod settings;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api = (routes::ShopsApi, settings::ShopSettingsApi);

pub fn api() -> Api {
    (routes::ShopsApi, settings::ShopSettingsApi)
}

use application::Pipeline;
use application::tenancy::create_api_key::{CreateApiKeyError, CreateApiKeyHandler};
use application::tenancy::create_shop::{CreateShopError, CreateShopHandler};
use application::tenancy::get_audit_log::{GetAuditLogError, GetAuditLogHandler};
use application::tenancy::get_shop::{GetShopError, GetShopHandler};
use application::tenancy::get_shop_settings::{GetShopSettingsError, GetShopSettingsHandler};
use application::tenancy::list_api_keys::{ListApiKeysError, ListApiKeysHandler};
use application::tenancy::update_shop_settings::{UpdateShopSettingsError, UpdateShopSettingsHandler};

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
    pub get_settings: GetShopSettingsHandler,
    pub update_settings: UpdateShopSettingsHandler,
    pub clock: Arc<dyn application::shared::ports::Clock>,
}

impl From<GetShopSettingsError> for ApiError {
    fn from(e: GetShopSettingsError) -> Self {
        match e {
            GetShopSettingsError::Invalid(i) => i.into(),
            GetShopSettingsError::Storage(s) => s.into(),
        }
    }
}

impl From<UpdateShopSettingsError> for ApiError {
    fn from(e: UpdateShopSettingsError) -> Self {
        match e {
            UpdateShopSettingsError::Invalid(i) => i.into(),
            UpdateShopSettingsError::Problems(p) => ApiError::problems(&p),
            UpdateShopSettingsError::Storage(s) => s.into(),
        }
    }
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
            CreateApiKeyError::Member(p) => ApiError::problems(&[p]),
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
        get_settings: GetShopSettingsHandler { reads: a.tenancy_reads.clone() },
        update_settings: UpdateShopSettingsHandler { clock: a.clock.clone() },
        clock: a.clock.clone(),
    })
}
