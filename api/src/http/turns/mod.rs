//! The turns API: automated responses, a thread's turns, threads waiting for people.

pub mod dto;
pub mod routes;

use std::sync::Arc;

use application::Pipeline;
use application::turns::create_automated_response::{CreateAutomatedResponseError, CreateAutomatedResponseHandler};
use application::turns::delete_automated_response::{DeleteAutomatedResponseError, DeleteAutomatedResponseHandler};
use application::turns::list_automated_responses::{ListAutomatedResponsesError, ListAutomatedResponsesHandler};
use application::turns::list_turns::{ListTurnsError, ListTurnsHandler};
use application::turns::list_waiting::{ListWaitingThreadsError, ListWaitingThreadsHandler};
use application::turns::replace_automated_response::{ReplaceAutomatedResponseError, ReplaceAutomatedResponseHandler};

use super::error::ApiError;
use crate::adapters::Adapters;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api = routes::TurnsApi;

pub fn api() -> Api {
    routes::TurnsApi
}

/// What the turns routes use, wired once at start-up.
pub struct TurnsHttp {
    pub pipeline: Pipeline,
    pub create: CreateAutomatedResponseHandler,
    pub replace: ReplaceAutomatedResponseHandler,
    pub delete: DeleteAutomatedResponseHandler,
    pub responses: ListAutomatedResponsesHandler,
    pub turns: ListTurnsHandler,
    pub waiting: ListWaitingThreadsHandler,
}

pub fn wire(a: &Adapters) -> Arc<TurnsHttp> {
    Arc::new(TurnsHttp {
        pipeline: a.pipeline.clone(),
        create: CreateAutomatedResponseHandler { clock: a.clock.clone(), rules: a.rule_cache.clone() },
        replace: ReplaceAutomatedResponseHandler { clock: a.clock.clone(), rules: a.rule_cache.clone() },
        delete: DeleteAutomatedResponseHandler { rules: a.rule_cache.clone() },
        responses: ListAutomatedResponsesHandler { reads: a.turn_reads.clone() },
        turns: ListTurnsHandler { reads: a.turn_reads.clone() },
        waiting: ListWaitingThreadsHandler { reads: a.turn_reads.clone(), clock: a.clock.clone() },
    })
}

fn one_active(kind: &str) -> ApiError {
    ApiError::conflict("CONFLICT", format!("The shop already has an active {kind} message; deactivate it first."))
}

impl From<CreateAutomatedResponseError> for ApiError {
    fn from(e: CreateAutomatedResponseError) -> Self {
        match e {
            CreateAutomatedResponseError::Invalid(i) => i.into(),
            CreateAutomatedResponseError::Problems(p) => ApiError::problems(&p),
            CreateAutomatedResponseError::OneActive(k) => one_active(k),
            CreateAutomatedResponseError::Storage(s) => s.into(),
        }
    }
}

impl From<ReplaceAutomatedResponseError> for ApiError {
    fn from(e: ReplaceAutomatedResponseError) -> Self {
        match e {
            ReplaceAutomatedResponseError::Invalid(i) => i.into(),
            ReplaceAutomatedResponseError::NotFound => ApiError::not_found("automated response"),
            ReplaceAutomatedResponseError::Problems(p) => ApiError::problems(&p),
            ReplaceAutomatedResponseError::OneActive(k) => one_active(k),
            ReplaceAutomatedResponseError::Storage(s) => s.into(),
        }
    }
}

impl From<DeleteAutomatedResponseError> for ApiError {
    fn from(e: DeleteAutomatedResponseError) -> Self {
        match e {
            DeleteAutomatedResponseError::Invalid(i) => i.into(),
            DeleteAutomatedResponseError::NotFound => ApiError::not_found("automated response"),
            DeleteAutomatedResponseError::Storage(s) => s.into(),
        }
    }
}

impl From<ListAutomatedResponsesError> for ApiError {
    fn from(e: ListAutomatedResponsesError) -> Self {
        match e {
            ListAutomatedResponsesError::Invalid(i) => i.into(),
            ListAutomatedResponsesError::NotFound => ApiError::not_found("automated response"),
            ListAutomatedResponsesError::Storage(s) => s.into(),
        }
    }
}

impl From<ListTurnsError> for ApiError {
    fn from(e: ListTurnsError) -> Self {
        match e {
            ListTurnsError::Invalid(i) => i.into(),
            ListTurnsError::NotFound => ApiError::not_found("conversation"),
            ListTurnsError::Storage(s) => s.into(),
        }
    }
}

impl From<ListWaitingThreadsError> for ApiError {
    fn from(e: ListWaitingThreadsError) -> Self {
        match e {
            ListWaitingThreadsError::Invalid(i) => i.into(),
            ListWaitingThreadsError::Storage(s) => s.into(),
        }
    }
}
