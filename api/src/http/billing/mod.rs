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
use application::billing::rate_card::{GetRateCardHandler, RateCardError, SetRateCardHandler};

use crate::http::error::ApiError;
use std::sync::Arc;

pub struct BillingHttp {
    pub pipeline: Pipeline,
    pub get: GetRateCardHandler,
    pub set: SetRateCardHandler,
}

impl From<RateCardError> for ApiError {
    fn from(e: RateCardError) -> Self {
        match e {
            RateCardError::Invalid(i) => i.into(),
            RateCardError::Rejected(p) => ApiError::problems(&p),
            RateCardError::NotFound => ApiError::not_found("rate card"),
            RateCardError::Storage(s) => s.into(),
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
