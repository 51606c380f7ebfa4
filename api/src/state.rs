//! The composition root's product: every adapter wired once, shared by routes and workers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

use application::accounts::AccountHandlers;
use application::jobs::JobHandlers;
use application::messaging::{MessagingHandlers, MessagingService};
use application::pipeline::Pipeline;
use application::ports::{Clock, ReadStore, SecretCipher, WebhookInbox};
use application::shops::ShopHandlers;
use domain::ShopId;
use infrastructure::config::Config;
use infrastructure::db::{Db, Leases, OutboxStore};
use infrastructure::events::{EventPublisher, InProcessBus};

use crate::metrics::Metrics;
use crate::sandbox::Sandbox;

pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub pipeline: Pipeline,
    pub reads: Arc<dyn ReadStore>,
    pub clock: Arc<dyn Clock>,
    pub cipher: Arc<dyn SecretCipher>,
    pub shops: ShopHandlers,
    pub accounts: AccountHandlers,
    pub messaging: MessagingService,
    pub inbox: Arc<dyn WebhookInbox>,
    /// Wakes the webhook worker as soon as a delivery is stored.
    pub webhook_stored: Arc<Notify>,
    pub metrics: Metrics,
    pub rate_limiter: RateLimiter,
    pub sandbox: Option<Arc<Sandbox>>,
    pub jobs: JobHandlers,
    pub outbox: OutboxStore,
    pub leases: Leases,
    /// Where the relay publishes (RabbitMQ, or the in-process bus).
    pub publisher: Arc<dyn EventPublisher>,
    /// In-process subscribers of every published event.
    pub bus: InProcessBus,
    /// This process, as a lease holder.
    pub instance_id: String,
    pub dispatcher: Arc<crate::dispatcher::Dispatcher>,
    /// Whether this process runs the dispatcher (so a send can wait for its outcome).
    pub local_dispatch: bool,
}

impl AppState {
    pub fn messaging_handlers(&self) -> &MessagingHandlers {
        &self.messaging.handlers
    }
}

/// A token bucket per shop (in-process; a Redis-backed one shares limits across replicas).
pub struct RateLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<ShopId, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute: per_minute as f64, buckets: Mutex::new(HashMap::new()) }
    }

    /// `Ok` to go ahead, or the seconds to wait.
    pub fn check(&self, shop: ShopId) -> Result<(), u64> {
        let rate = self.per_minute / 60.0;
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, last) = map.entry(shop).or_insert((self.per_minute, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(self.per_minute);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}
