//! `/api/v1/customers/{id}` erasure and `…/export`: the privacy context's HTTP side.

pub mod routes;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api = routes::PrivacyApi;

pub fn api() -> Api {
    routes::PrivacyApi
}

use std::sync::Arc;

use application::Pipeline;
use application::privacy::erase_customer::{EraseCustomerError, EraseCustomerService};
use application::privacy::export_customer::{ExportCustomerError, ExportCustomerHandler};
use application::shared::ports::Clock;

use super::error::ApiError;

/// What the privacy routes use, wired once at start-up.
pub struct PrivacyHttp {
    pub pipeline: Pipeline,
    pub clock: Arc<dyn Clock>,
    pub erase: EraseCustomerService,
    pub export: ExportCustomerHandler,
}

impl From<EraseCustomerError> for ApiError {
    fn from(e: EraseCustomerError) -> Self {
        match e {
            EraseCustomerError::Invalid(i) => i.into(),
            EraseCustomerError::NotFound => ApiError::not_found("customer"),
            EraseCustomerError::Storage(s) => s.into(),
        }
    }
}

impl From<ExportCustomerError> for ApiError {
    fn from(e: ExportCustomerError) -> Self {
        match e {
            ExportCustomerError::Invalid(i) => i.into(),
            ExportCustomerError::NotFound => ApiError::not_found("customer"),
            ExportCustomerError::Storage(s) => s.into(),
        }
    }
}
