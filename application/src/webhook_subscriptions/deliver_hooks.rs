//! DeliverHooks: the delivery worker's pass. Due deliveries are claimed (like the media queue),
//! each is posted to its subscription's URL with no transaction held (signed with every secret
//! that signs now), and the attempts are recorded in one transaction (`RecordHookAttempts`):
//! delivered; or retried with backoff for about 24 hours, then dead; each failure counts toward
//! disabling the subscription (`webhook_subscription.disabled`). A slow or dead receiver holds
//! only its own deliveries: sends run concurrently, each bounded by the client's timeout.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{Attempt, HookDelivery, HookQueue, HookReads, HookSendError, HookSender, WebhookSubscriptionsUnitOfWork};
use crate::RequestContext;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler, Pipeline};
use crate::shared::ports::{Clock, SecretCipher};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::Events;
use domain::webhook_subscriptions::delivery::retry_at;
use domain::webhook_subscriptions::{DeliveryState, WebhookSubscriptionEvent};

#[derive(Debug, Validate)]
pub struct RecordHookAttempts {
    pub attempts: Vec<Attempt>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordHookAttemptsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not record the webhook attempts")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RecordHookAttemptsError);

impl Command for RecordHookAttempts {
    /// (delivered, retrying, dead)
    type Output = (u64, u64, u64);
    type Error = RecordHookAttemptsError;
    const NAME: &'static str = "RecordHookAttempts";
}

pub struct RecordHookAttemptsHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordHookAttempts> for RecordHookAttemptsHandler {
    async fn handle(&self, cmd: &RecordHookAttempts, uow: &mut dyn UnitOfWork) -> Result<(u64, u64, u64), RecordHookAttemptsError> {
        let now = self.clock.now();
        let mut ids: Vec<_> = cmd.attempts.iter().map(|a| a.subscription_id).collect();
        ids.sort();
        ids.dedup();
        let mut subs: HashMap<_, _> = uow.webhook_subscriptions().lock_many(&ids).await?.into_iter().map(|s| (s.id(), s)).collect();
        let delivery_ids: Vec<uuid::Uuid> = cmd.attempts.iter().map(|a| a.delivery_id).collect();
        let mut deliveries: HashMap<uuid::Uuid, HookDelivery> =
            uow.webhook_subscriptions().lock_deliveries(&delivery_ids).await?.into_iter().map(|d| (d.id, d)).collect();
        let mut events = Events::new();
        let (mut ok, mut retrying, mut dead) = (0, 0, 0);
        let mut touched = Vec::new();
        for a in &cmd.attempts {
            // A delivery settled elsewhere (a claim that ran out) is left as it is.
            let Some(d) = deliveries.get_mut(&a.delivery_id).filter(|d| d.state == DeliveryState::Pending) else { continue };
            d.attempts += 1;
            d.last_status = a.status;
            d.last_error = a.error.clone();
            d.last_attempt_at = Some(a.at);
            let sub = subs.get_mut(&a.subscription_id);
            if a.delivered() {
                d.state = DeliveryState::Delivered;
                d.delivered_at = Some(a.at);
                ok += 1;
                if let Some(s) = sub {
                    s.delivered(now);
                }
            } else {
                match retry_at(d.attempts, now) {
                    Some(at) if sub.as_ref().is_some_and(|s| s.is_active()) => {
                        d.next_attempt_at = at;
                        retrying += 1;
                    }
                    _ => {
                        d.state = DeliveryState::Dead;
                        dead += 1;
                    }
                }
                if let Some(s) = sub
                    && let Some(e) = s.failed(now)
                {
                    events.push(WebhookSubscriptionEvent::from(e));
                }
            }
            touched.push(d.clone());
        }
        touched.sort_by_key(|d| d.id);
        uow.webhook_subscriptions().save_deliveries(&touched).await?;
        let mut subs: Vec<_> = subs.into_values().collect();
        subs.sort_by_key(|s| s.id());
        for s in &subs {
            uow.webhook_subscriptions().update(s).await?;
        }
        uow.outbox().append(&events, now).await?;
        Ok((ok, retrying, dead))
    }
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HookPass {
    pub claimed: usize,
    pub delivered: u64,
    pub retrying: u64,
    pub dead: u64,
}

pub struct DeliverHooksService {
    pub pipeline: Pipeline,
    pub queue: Arc<dyn HookQueue>,
    pub reads: Arc<dyn HookReads>,
    pub sender: Arc<dyn HookSender>,
    pub cipher: Arc<dyn SecretCipher>,
    pub clock: Arc<dyn Clock>,
    pub record: RecordHookAttemptsHandler,
    /// How long a claim holds (longer than a send's timeout).
    pub claim_for: chrono::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliverHooksError {
    #[error("could not claim deliveries")]
    Claim(#[source] RepoError),
    #[error("could not read the subscriptions")]
    Read(#[source] RepoError),
    #[error(transparent)]
    Record(#[from] RecordHookAttemptsError),
}

/// The `webhook-id` of a delivery.
pub fn message_id(d: &HookDelivery) -> String {
    format!("msg_{}", d.id.simple())
}

impl DeliverHooksService {
    pub async fn run_once(&self, holder: &str, batch: u64) -> Result<HookPass, DeliverHooksError> {
        let now = self.clock.now();
        let claimed = self.queue.claim(holder, now, now + self.claim_for, batch).await.map_err(DeliverHooksError::Claim)?;
        let mut pass = HookPass { claimed: claimed.len(), ..HookPass::default() };
        if claimed.is_empty() {
            return Ok(pass);
        }
        let mut ids: Vec<_> = claimed.iter().map(|d| d.subscription_id).collect();
        ids.sort();
        ids.dedup();
        let subs: HashMap<_, _> =
            self.reads.by_ids(&ids).await.map_err(DeliverHooksError::Read)?.into_iter().map(|s| (s.id(), s)).collect();
        let mut tasks = tokio::task::JoinSet::new();
        for d in claimed {
            let sub = subs.get(&d.subscription_id).filter(|s| s.is_active()).cloned();
            let (sender, cipher, clock) = (self.sender.clone(), self.cipher.clone(), self.clock.clone());
            tasks.spawn(async move {
                let at = clock.now();
                let result = match &sub {
                    None => Err(None),
                    Some(s) => {
                        let secrets: Result<Vec<_>, _> = s.signing_secrets(at).into_iter().map(|e| cipher.decrypt(e)).collect();
                        match secrets {
                            Err(_) => Err(Some("secret".to_owned())),
                            Ok(secrets) => {
                                let body = serde_json::to_vec(&d.payload).unwrap_or_default();
                                sender.send(s.snapshot().url.as_str(), &message_id(&d), at.timestamp(), &body, &secrets).await.map_err(
                                    |e| match e {
                                        HookSendError::Status(code) => Some(format!("status:{code}")),
                                        other => Some(other.code().to_owned()),
                                    },
                                )
                            }
                        }
                    }
                };
                let (status, error) = match result {
                    Ok(code) => (Some(code), None),
                    Err(Some(e)) => match e.strip_prefix("status:") {
                        Some(code) => (code.parse().ok(), Some("status".to_owned())),
                        None => (None, Some(e)),
                    },
                    // The subscription was disabled or deleted since: nothing is sent.
                    Err(None) => (None, Some("subscription_disabled".to_owned())),
                };
                Attempt { delivery_id: d.id, subscription_id: d.subscription_id, status, error, at }
            });
        }
        let mut attempts = Vec::new();
        while let Some(r) = tasks.join_next().await {
            if let Ok(a) = r {
                attempts.push(a);
            }
        }
        let (ok, retrying, dead) =
            self.pipeline.execute(&RequestContext::system("merchant-webhooks"), &self.record, RecordHookAttempts { attempts }).await?;
        pass.delivered = ok;
        pass.retrying = retrying;
        pass.dead = dead;
        Ok(pass)
    }
}
