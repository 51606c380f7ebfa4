//! The merchant webhooks API.

pub mod dto;
pub mod routes;

use std::sync::Arc;

use application::Pipeline;
use application::webhook_subscriptions::create_subscription::{CreateWebhookSubscriptionError, CreateWebhookSubscriptionHandler};
use application::webhook_subscriptions::delete_subscription::{DeleteWebhookSubscriptionError, DeleteWebhookSubscriptionHandler};
use application::webhook_subscriptions::list_subscriptions::{ListWebhookSubscriptionsError, WebhookSubscriptionQueries};
use application::webhook_subscriptions::ping_subscription::{
    PingWebhookSubscriptionError, PingWebhookSubscriptionService, RecordPingHandler,
};
use application::webhook_subscriptions::update_subscription::{UpdateWebhookSubscriptionError, UpdateWebhookSubscriptionHandler};

use super::error::ApiError;
use crate::adapters::Adapters;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api = routes::WebhookSubscriptionsApi;

pub fn api() -> Api {
    routes::WebhookSubscriptionsApi
}

pub struct WebhookSubscriptionsHttp {
    pub pipeline: Pipeline,
    pub create: CreateWebhookSubscriptionHandler,
    pub update: UpdateWebhookSubscriptionHandler,
    pub delete: DeleteWebhookSubscriptionHandler,
    pub queries: WebhookSubscriptionQueries,
    pub ping: PingWebhookSubscriptionService,
}

pub fn wire(a: &Adapters) -> Arc<WebhookSubscriptionsHttp> {
    let sandbox = a.config.sandbox;
    Arc::new(WebhookSubscriptionsHttp {
        pipeline: a.pipeline.clone(),
        create: CreateWebhookSubscriptionHandler { clock: a.clock.clone(), cipher: a.cipher.clone(), loopback_http: sandbox },
        update: UpdateWebhookSubscriptionHandler { clock: a.clock.clone(), cipher: a.cipher.clone(), loopback_http: sandbox },
        delete: DeleteWebhookSubscriptionHandler,
        queries: WebhookSubscriptionQueries { reads: a.hook_reads.clone() },
        ping: PingWebhookSubscriptionService {
            pipeline: a.pipeline.clone(),
            reads: a.hook_reads.clone(),
            sender: a.hook_sender.clone(),
            cipher: a.cipher.clone(),
            clock: a.clock.clone(),
            record: RecordPingHandler,
        },
    })
}

fn cipher() -> ApiError {
    ApiError::internal(&super::error::current_request_id())
}

impl From<CreateWebhookSubscriptionError> for ApiError {
    fn from(e: CreateWebhookSubscriptionError) -> Self {
        match e {
            CreateWebhookSubscriptionError::Invalid(i) => i.into(),
            CreateWebhookSubscriptionError::Problems(p) => ApiError::problems(&p),
            CreateWebhookSubscriptionError::Cipher(_) => cipher(),
            CreateWebhookSubscriptionError::Storage(s) => s.into(),
        }
    }
}

impl From<UpdateWebhookSubscriptionError> for ApiError {
    fn from(e: UpdateWebhookSubscriptionError) -> Self {
        match e {
            UpdateWebhookSubscriptionError::Invalid(i) => i.into(),
            UpdateWebhookSubscriptionError::NotFound => ApiError::not_found("webhook subscription"),
            UpdateWebhookSubscriptionError::Problems(p) => ApiError::problems(&p),
            UpdateWebhookSubscriptionError::Cipher(_) => cipher(),
            UpdateWebhookSubscriptionError::Storage(s) => s.into(),
        }
    }
}

impl From<DeleteWebhookSubscriptionError> for ApiError {
    fn from(e: DeleteWebhookSubscriptionError) -> Self {
        match e {
            DeleteWebhookSubscriptionError::Invalid(i) => i.into(),
            DeleteWebhookSubscriptionError::NotFound => ApiError::not_found("webhook subscription"),
            DeleteWebhookSubscriptionError::Storage(s) => s.into(),
        }
    }
}

impl From<ListWebhookSubscriptionsError> for ApiError {
    fn from(e: ListWebhookSubscriptionsError) -> Self {
        match e {
            ListWebhookSubscriptionsError::Invalid(i) => i.into(),
            ListWebhookSubscriptionsError::NotFound => ApiError::not_found("webhook subscription"),
            ListWebhookSubscriptionsError::Storage(s) => s.into(),
        }
    }
}

impl From<PingWebhookSubscriptionError> for ApiError {
    fn from(e: PingWebhookSubscriptionError) -> Self {
        match e {
            PingWebhookSubscriptionError::Invalid(i) => i.into(),
            PingWebhookSubscriptionError::NotFound => ApiError::not_found("webhook subscription"),
            PingWebhookSubscriptionError::Cipher(_) => cipher(),
            PingWebhookSubscriptionError::Storage(s) => s.into(),
        }
    }
}
