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
use application::privacy::erase_customer::EraseCustomerHandler;

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

/// This context's HTTP handle, wired from the service's adapters (once, at start-up).
pub fn wire(a: &crate::adapters::Adapters) -> Arc<PrivacyHttp> {
    Arc::new(PrivacyHttp {
        pipeline: a.pipeline.clone(),
        clock: a.clock.clone(),
        erase: EraseCustomerService {
            pipeline: a.pipeline.clone(),
            handler: EraseCustomerHandler { clock: a.clock.clone(), holders: a.personal_data.clone() },
            store: a.media_store.clone(),
        },
        export: ExportCustomerHandler {
            clock: a.clock.clone(),
            customers: a.customer_reads.clone(),
            messaging: a.messaging_reads.clone(),
            holders: a.personal_data.clone(),
        },
    })
}
