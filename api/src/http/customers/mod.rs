//! The customers API (the CRM's read side so far): list and search, and one customer with their
//! conversations.

pub mod consent;
pub mod dto;
pub mod routes;

use std::sync::Arc;

use application::Pipeline;
use application::customers::get_consent::{GetConsentError, GetConsentHandler};
use application::customers::get_consent_settings::{GetConsentSettingsError, GetConsentSettingsHandler};
use application::customers::get_customer::{GetCustomerError, GetCustomerHandler};
use application::customers::list_customers::{ListCustomersError, ListCustomersHandler};
use application::customers::record_consent::{RecordConsentError, RecordConsentHandler};
use application::customers::tag_customer::{TagCustomerError, TagCustomerHandler};
use application::customers::update_consent_settings::{UpdateConsentSettingsError, UpdateConsentSettingsHandler};
use application::shared::ports::Clock;

use super::error::ApiError;

/// What the customers routes use, wired once at start-up.
pub struct CustomersHttp {
    pub pipeline: Pipeline,
    pub clock: Arc<dyn Clock>,
    pub list: ListCustomersHandler,
    pub get: GetCustomerHandler,
    pub tag: TagCustomerHandler,
    pub consent: GetConsentHandler,
    pub record_consent: RecordConsentHandler,
    pub consent_settings: GetConsentSettingsHandler,
    pub update_consent_settings: UpdateConsentSettingsHandler,
}

impl From<GetConsentError> for ApiError {
    fn from(e: GetConsentError) -> Self {
        match e {
            GetConsentError::Invalid(i) => i.into(),
            GetConsentError::NotFound => ApiError::not_found("customer"),
            GetConsentError::Storage(s) => s.into(),
        }
    }
}

impl From<RecordConsentError> for ApiError {
    fn from(e: RecordConsentError) -> Self {
        match e {
            RecordConsentError::Invalid(i) => i.into(),
            RecordConsentError::NotFound => ApiError::not_found("customer"),
            RecordConsentError::Storage(s) => s.into(),
        }
    }
}

impl From<GetConsentSettingsError> for ApiError {
    fn from(e: GetConsentSettingsError) -> Self {
        match e {
            GetConsentSettingsError::Invalid(i) => i.into(),
            GetConsentSettingsError::Storage(s) => s.into(),
        }
    }
}

impl From<UpdateConsentSettingsError> for ApiError {
    fn from(e: UpdateConsentSettingsError) -> Self {
        match e {
            UpdateConsentSettingsError::Invalid(i) => i.into(),
            UpdateConsentSettingsError::Storage(s) => s.into(),
        }
    }
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
