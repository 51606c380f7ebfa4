//! CreateWebhookSubscription: an admin subscribes an HTTPS URL to event types; the signing
//! secret is made here, stored encrypted and shown once; checked whole; audited.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::{EVENT_TYPES, WebhookSubscriptionsUnitOfWork, mint_secret};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::{Clock, Secret, SecretCipher};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::ShopId;
use domain::shared::problem::Problem;
use domain::webhook_subscriptions::{SubscriptionDraft, WebhookSubscription};

#[derive(Debug, Validate)]
pub struct CreateWebhookSubscription {
    pub shop_id: ShopId,
    pub draft: SubscriptionDraft,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateWebhookSubscriptionError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the subscription is not valid")]
    Problems(Vec<Problem>),
    #[error("the secret could not be encrypted")]
    Cipher(String),
    #[error("could not store the subscription")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CreateWebhookSubscriptionError);

impl Command for CreateWebhookSubscription {
    /// The subscription and its secret (shown once).
    type Output = (WebhookSubscription, Secret);
    type Error = CreateWebhookSubscriptionError;
    const NAME: &'static str = "CreateWebhookSubscription";

    fn audit(&self, (s, _): &Self::Output) -> Option<Audited> {
        Some(audited(self.shop_id, "webhook_subscription.created", s))
    }
}

pub(crate) fn audited(shop_id: ShopId, action: &'static str, s: &WebhookSubscription) -> Audited {
    let snap = s.snapshot();
    Audited {
        shop_id,
        action,
        subject_type: "webhook_subscription",
        subject_id: Some(snap.id.to_string()),
        details: json!({"url": snap.url.as_str(), "eventTypes": snap.event_types, "status": snap.status.as_str()}),
    }
}

pub struct CreateWebhookSubscriptionHandler {
    pub clock: Arc<dyn Clock>,
    pub cipher: Arc<dyn SecretCipher>,
    /// The sandbox: plain HTTP to loopback is allowed (its own receiver).
    pub loopback_http: bool,
}

#[async_trait]
impl CommandHandler<CreateWebhookSubscription> for CreateWebhookSubscriptionHandler {
    async fn handle(
        &self,
        cmd: &CreateWebhookSubscription,
        uow: &mut dyn UnitOfWork,
    ) -> Result<(WebhookSubscription, Secret), CreateWebhookSubscriptionError> {
        let secret = mint_secret();
        let encrypted = self.cipher.encrypt(&secret).map_err(|e| CreateWebhookSubscriptionError::Cipher(e.0))?;
        let s = WebhookSubscription::create(cmd.shop_id, &cmd.draft, EVENT_TYPES, self.loopback_http, encrypted, self.clock.now())
            .map_err(CreateWebhookSubscriptionError::Problems)?;
        uow.webhook_subscriptions().insert(&s).await?;
        Ok((s, secret))
    }
}
