//! The customers API (the CRM's read side so far): list and search, and one customer with their
//! conversations.

pub mod dto;
pub mod routes;

use std::sync::Arc;

use application::Pipeline;
use application::customers::get_customer::{GetCustomerError, GetCustomerHandler};
use application::customers::list_customers::{ListCustomersError, ListCustomersHandler};
use application::customers::tag_customer::{TagCustomerError, TagCustomerHandler};
use application::shared::ports::Clock;

use super::error::ApiError;

/// What the customers routes use, wired once at start-up.
pub struct CustomersHttp {
    pub pipeline: Pipeline,
    pub clock: Arc<dyn Clock>,
    pub list: ListCustomersHandler,
    pub get: GetCustomerHandler,
    pub tag: TagCustomerHandler,
}

impl From<ListCustomersError> for ApiError {
    fn from(e: ListCustomersError) -> Self {
        match e {
            ListCustomersError::Invalid(i) => i.into(),
            ListCustomersError::Storage(s) => s.into(),
        }
    }
}

impl From<TagCustomerError> for ApiError {
    fn from(e: TagCustomerError) -> Self {
        match e {
            TagCustomerError::Invalid(i) => i.into(),
            TagCustomerError::NotFound => ApiError::not_found("customer"),
            TagCustomerError::Storage(s) => s.into(),
        }
    }
}

impl From<GetCustomerError> for ApiError {
    fn from(e: GetCustomerError) -> Self {
        match e {
            GetCustomerError::Invalid(i) => i.into(),
            GetCustomerError::NotFound => ApiError::not_found("customer"),
            GetCustomerError::Storage(s) => s.into(),
        }
    }
}
