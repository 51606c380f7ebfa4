//! `/api/v1/rate-card`: the shop's prices per Meta pricing category and market, which turn the
//! billable messages of Meta's status webhooks into a cost (template figures today, the costs
//! analytics later).

pub mod dto;
pub mod routes;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api = routes::BillingApi;

pub fn api() -> Api {
    routes::BillingApi
}

use application::Pipeline;
use application::billing::get_rate_card::{GetRateCardError, GetRateCardHandler};
use application::billing::set_rate_card::{SetRateCardError, SetRateCardHandler};

use crate::http::error::ApiError;
use std::sync::Arc;

pub struct BillingHttp {
    pub pipeline: Pipeline,
    pub get: GetRateCardHandler,
    pub set: SetRateCardHandler,
}

impl From<GetRateCardError> for ApiError {
    fn from(e: GetRateCardError) -> Self {
        match e {
            GetRateCardError::Invalid(i) => i.into(),
            GetRateCardError::NotFound => ApiError::not_found("rate card"),
            GetRateCardError::Storage(s) => s.into(),
        }
    }
}

impl From<SetRateCardError> for ApiError {
    fn from(e: SetRateCardError) -> Self {
        match e {
            SetRateCardError::Invalid(i) => i.into(),
            SetRateCardError::Rejected(p) => ApiError::problems(&p),
            SetRateCardError::Storage(s) => s.into(),
        }
    }
}

/// This context's HTTP handle, wired from the service's adapters (once, at start-up).
pub fn wire(a: &crate::adapters::Adapters) -> Arc<BillingHttp> {
    Arc::new(BillingHttp {
        pipeline: a.pipeline.clone(),
        get: GetRateCardHandler { reads: a.rate_card_reads.clone() },
        set: SetRateCardHandler { clock: a.clock.clone() },
    })
}
