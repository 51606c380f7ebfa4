//! UpdateWebhookSubscription (`PATCH`): change the URL, the event types, the description, enable
//! or disable it, or rotate its secret (the new one is shown once; the old one still signs for
//! 24 hours); audited.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::create_subscription::audited;
use super::ports::{EVENT_TYPES, WebhookSubscriptionsUnitOfWork, mint_secret};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::{Clock, Secret, SecretCipher};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::shared::problem::Problem;
use domain::webhook_subscriptions::{SubscriptionDraft, SubscriptionSnapshot, WebhookSubscription};
use domain::{ShopId, WebhookSubscriptionId};

#[derive(Debug, Validate)]
pub struct UpdateWebhookSubscription {
    pub shop_id: ShopId,
    pub id: WebhookSubscriptionId,
    pub draft: SubscriptionDraft,
    pub rotate_secret: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateWebhookSubscriptionError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such webhook subscription")]
    NotFound,
    #[error("the subscription is not valid")]
    Problems(Vec<Problem>),
    #[error("the secret could not be encrypted")]
    Cipher(String),
    #[error("could not store the subscription")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(UpdateWebhookSubscriptionError);

impl Command for UpdateWebhookSubscription {
    /// The subscription, and the new secret when it was rotated.
    type Output = (WebhookSubscription, Option<Secret>);
    type Error = UpdateWebhookSubscriptionError;
    const NAME: &'static str = "UpdateWebhookSubscription";

    fn audit(&self, (s, rotated): &Self::Output) -> Option<Audited> {
        let mut a = audited(self.shop_id, "webhook_subscription.updated", s);
        a.details["secretRotated"] = rotated.is_some().into();
        Some(a)
    }
}

pub struct UpdateWebhookSubscriptionHandler {
    pub clock: Arc<dyn Clock>,
    pub cipher: Arc<dyn SecretCipher>,
    pub loopback_http: bool,
}

#[async_trait]
impl CommandHandler<UpdateWebhookSubscription> for UpdateWebhookSubscriptionHandler {
    async fn handle(
        &self,
        cmd: &UpdateWebhookSubscription,
        uow: &mut dyn UnitOfWork,
    ) -> Result<(WebhookSubscription, Option<Secret>), UpdateWebhookSubscriptionError> {
        let now = self.clock.now();
        let mut s = uow.webhook_subscriptions().lock(cmd.shop_id, cmd.id).await?.ok_or(UpdateWebhookSubscriptionError::NotFound)?;
        s.update(&cmd.draft, EVENT_TYPES, self.loopback_http, now).map_err(UpdateWebhookSubscriptionError::Problems)?;
        let rotated = if cmd.rotate_secret {
            let secret = mint_secret();
            s.rotate(self.cipher.encrypt(&secret).map_err(|e| UpdateWebhookSubscriptionError::Cipher(e.0))?, now);
            Some(secret)
        } else {
            None
        };
        uow.webhook_subscriptions().update(&s).await?;
        let saved = WebhookSubscription::restore(SubscriptionSnapshot { version: s.snapshot().version + 1, ..s.snapshot().clone() });
        Ok((saved, rotated))
    }
}
