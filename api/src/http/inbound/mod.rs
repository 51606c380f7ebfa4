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
}
