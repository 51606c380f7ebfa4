//! Meta's webhook endpoint (outside `/api/v1`: Meta authenticates by signature).

pub mod routes;

use std::sync::Arc;

use tokio::sync::Notify;

use application::inbound::ports::WebhookInbox;
use application::shared::ports::{Clock, Secret};

use crate::metrics::Metrics;

/// What the webhook endpoint uses, wired once at start-up.
pub struct WebhooksHttp {
    pub inbox: Arc<dyn WebhookInbox>,
    pub clock: Arc<dyn Clock>,
    pub app_secret: Secret,
    pub verify_token: Secret,
    /// Wakes the webhook worker as soon as a delivery is stored.
    pub stored: Arc<Notify>,
    pub metrics: Metrics,
    /// `WEBHOOK_MAX_BODY_BYTES`: larger bodies get 413.
    pub max_body_bytes: usize,
    /// KiB of webhook bodies that requests in flight may hold together
    /// (`WEBHOOK_BODY_BUDGET_BYTES`); beyond it, 503 and Meta redelivers.
    pub body_budget: Arc<tokio::sync::Semaphore>,
    /// `HTTP_BODY_TIMEOUT_MS`: the whole body must arrive within this (408).
    pub body_timeout: std::time::Duration,
}

/// This context's HTTP handle, wired from the service's adapters (once, at start-up).
pub fn wire(a: &crate::adapters::Adapters) -> Arc<WebhooksHttp> {
    Arc::new(WebhooksHttp {
        inbox: a.inbox.clone(),
        clock: a.clock.clone(),
        app_secret: a.config.meta_app_secret.clone(),
        verify_token: a.config.webhook_verify_token.clone(),
        stored: a.webhook_stored.clone(),
        metrics: a.metrics.clone(),
        max_body_bytes: a.config.webhook_max_body_bytes,
        body_budget: Arc::new(tokio::sync::Semaphore::new(a.config.webhook_body_budget_bytes.div_ceil(1024))),
        body_timeout: a.config.http_body_timeout,
    })
}
