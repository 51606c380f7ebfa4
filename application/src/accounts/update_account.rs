//! UpdateWhatsAppAccount: display name, token rotation, suspend or activate, tier, quality,
//! throughput.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::connect_account::token_shape;
use crate::accounts::ports::AccountsUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::{CipherError, Clock, Secret, SecretCipher};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::accounts::{AccountStatus, MessagingTier, QualityRating, WhatsAppAccount};
use domain::{AccountId, Events, ShopId};

#[derive(Debug, Validate, Default)]
pub struct UpdateWhatsAppAccount {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    #[validate(length(max = 100, message = "at most 100 characters"))]
    pub display_name: Option<String>,
    #[validate(custom(function = "token_shape"))]
    pub access_token: Option<Secret>,
    /// `Active` or `Suspended` (disconnecting is its own use case).
    pub status: Option<AccountStatus>,
    pub messaging_tier: Option<MessagingTier>,
    pub quality_rating: Option<QualityRating>,
    #[validate(range(min = 1, max = 1000, message = "must be 1 to 1000 messages per second"))]
    pub throughput_mps: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateAccountError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("account not found")]
    NotFound,
    #[error("a disconnected number cannot change; connect it again")]
    Disconnected,
    /// Meta did not accept the new token for this number: the old one stays.
    #[error("Meta did not confirm the number for the new access token")]
    NotVerified(#[source] crate::shared::meta::CloudApiError),
    /// Meta could not be asked: nothing changed.
    #[error("Meta could not be reached to check the new access token")]
    MetaUnavailable(#[source] crate::shared::meta::CloudApiError),
    #[error("could not encrypt the access token")]
    Cipher(#[source] CipherError),
    #[error("could not store the account")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(UpdateAccountError);

impl Command for UpdateWhatsAppAccount {
    type Output = WhatsAppAccount;
    type Error = UpdateAccountError;
    const NAME: &'static str = "UpdateWhatsAppAccount";
    fn audit(&self, out: &WhatsAppAccount) -> Option<crate::shared::pipeline::Audited> {
        Some(crate::shared::pipeline::Audited {
            shop_id: self.shop_id,
            action: "account.updated",
            subject_type: "account",
            subject_id: Some(out.id().to_string()),
            details: serde_json::json!({
                "displayName": self.display_name.is_some(), "accessToken": self.access_token.is_some(),
                "status": self.status.map(|s| s.as_str()),
            }),
        })
    }
}

pub struct UpdateAccountHandler {
    pub clock: Arc<dyn Clock>,
    pub cipher: Arc<dyn SecretCipher>,
}

#[async_trait]
impl CommandHandler<UpdateWhatsAppAccount> for UpdateAccountHandler {
    async fn handle(&self, cmd: &UpdateWhatsAppAccount, uow: &mut dyn UnitOfWork) -> Result<WhatsAppAccount, UpdateAccountError> {
        let now = self.clock.now();
        let mut account = uow.accounts().lock(cmd.shop_id, cmd.account_id).await?.ok_or(UpdateAccountError::NotFound)?;
        account.ensure_connected().map_err(|_| UpdateAccountError::Disconnected)?;
        let mut events = Events::new();
        if let Some(name) = &cmd.display_name {
            account.rename(Some(name.clone()), now);
        }
        let blocked = |_| UpdateAccountError::Disconnected;
        match cmd.status {
            Some(AccountStatus::Active) => events.push_opt(account.activate(now).map_err(blocked)?),
            Some(AccountStatus::Suspended) => events.push_opt(account.suspend(Some("suspended by the shop".into()), now).map_err(blocked)?),
            Some(AccountStatus::Disconnected) => return Err(Invalid::new("status", "disconnect the account instead").into()),
            None => {}
        }
        if cmd.quality_rating.is_some() || cmd.messaging_tier.is_some() {
            events.push_opt(account.update_quality(cmd.quality_rating, cmd.messaging_tier, now));
        }
        if let Some(mps) = cmd.throughput_mps {
            account.set_throughput(mps, now).map_err(|e| Invalid::new("throughputMps", e.to_string()))?;
        }
        let encrypted = cmd.access_token.as_ref().map(|t| self.cipher.encrypt(t)).transpose().map_err(UpdateAccountError::Cipher)?;
        uow.accounts().update(&account, encrypted.as_deref()).await?;
        uow.outbox().append(&events, now).await?;
        Ok(account)
    }
}

/// An update that rotates the token asks Meta first (`GET /{phone-number-id}` with the new
/// token, outside the transaction), as connecting does: a token Meta refuses is never stored,
/// so a typo cannot silently stop a number's sends.
pub struct UpdateAccountService {
    pub pipeline: crate::shared::pipeline::Pipeline,
    pub accounts: Arc<dyn super::ports::AccountReads>,
    pub directory: Arc<dyn super::ports::NumberDirectory>,
    pub handler: UpdateAccountHandler,
}

impl UpdateAccountService {
    #[tracing::instrument(name = "update_account", skip_all, fields(request_id = %ctx.request_id))]
    pub async fn run(&self, ctx: &crate::RequestContext, cmd: UpdateWhatsAppAccount) -> Result<WhatsAppAccount, UpdateAccountError> {
        if let Some(token) = &cmd.access_token {
            cmd.validate().map_err(Invalid::from)?;
            let account = self.accounts.account(cmd.shop_id, cmd.account_id).await?.ok_or(UpdateAccountError::NotFound)?;
            account.ensure_connected().map_err(|_| UpdateAccountError::Disconnected)?;
            self.directory.verify_number(account.phone_number_id(), token).await.map_err(|e| {
                use crate::shared::meta::CloudApiErrorKind;
                match e.kind {
                    CloudApiErrorKind::Meta if e.http_status.is_some_and(|s| s < 500) => UpdateAccountError::NotVerified(e),
                    _ => UpdateAccountError::MetaUnavailable(e),
                }
            })?;
        }
        self.pipeline.execute(ctx, &self.handler, cmd).await
    }
}
