//! ConnectWhatsAppAccount: a shop connects a number; its token is stored encrypted.

use std::sync::Arc;

use async_trait::async_trait;
use validator::{Validate, ValidationError};

use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::{CipherError, Clock, Secret, SecretCipher};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::accounts::{AccountError, WhatsAppAccount};
use domain::{Events, PhoneNumber, PhoneNumberId, ShopId, WabaId};

pub(crate) fn token_shape(token: &Secret) -> Result<(), ValidationError> {
    let t = token.expose();
    if t.trim().is_empty() || t.len() > 4096 || t.chars().any(char::is_whitespace) {
        return Err(ValidationError::new("token").with_message("must be a non-empty token without spaces".into()));
    }
    Ok(())
}

#[derive(Debug, Validate)]
pub struct ConnectWhatsAppAccount {
    pub shop_id: ShopId,
    pub phone_number_id: PhoneNumberId,
    pub display_phone_number: PhoneNumber,
    pub waba_id: WabaId,
    #[validate(length(max = 100, message = "at most 100 characters"))]
    pub display_name: Option<String>,
    #[validate(custom(function = "token_shape"))]
    pub access_token: Secret,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectAccountError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("this phone number id is already connected")]
    AlreadyConnected,
    #[error("could not encrypt the access token")]
    Cipher(#[source] CipherError),
    #[error("could not store the account")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ConnectAccountError);

impl Command for ConnectWhatsAppAccount {
    type Output = WhatsAppAccount;
    type Error = ConnectAccountError;
    const NAME: &'static str = "ConnectWhatsAppAccount";
}

pub struct ConnectAccountHandler {
    pub clock: Arc<dyn Clock>,
    pub cipher: Arc<dyn SecretCipher>,
}

#[async_trait]
impl CommandHandler<ConnectWhatsAppAccount> for ConnectAccountHandler {
    async fn handle(&self, cmd: &ConnectWhatsAppAccount, uow: &mut dyn UnitOfWork) -> Result<WhatsAppAccount, ConnectAccountError> {
        let now = self.clock.now();
        let encrypted = self.cipher.encrypt(&cmd.access_token).map_err(ConnectAccountError::Cipher)?;
        if let Some(mut existing) = uow.accounts().lock_by_phone_number_id(&cmd.phone_number_id).await? {
            // Reconnecting a number this shop disconnected: same id, fresh token.
            let event = existing
                .reconnect(cmd.shop_id, cmd.display_phone_number.clone(), cmd.waba_id.clone(), cmd.display_name.clone(), now)
                .map_err(|e| match e {
                    AccountError::AlreadyConnected => ConnectAccountError::AlreadyConnected,
                    other => ConnectAccountError::Invalid(Invalid::new("phoneNumberId", other.to_string())),
                })?;
            uow.accounts().update(&existing, Some(&encrypted)).await?;
            uow.outbox().append(&Events::from(event), now).await?;
            return Ok(existing);
        }
        let (account, event) = WhatsAppAccount::connect(
            cmd.shop_id,
            cmd.phone_number_id.clone(),
            cmd.display_phone_number.clone(),
            cmd.waba_id.clone(),
            cmd.display_name.clone(),
            now,
        );
        match uow.accounts().insert(&account, &encrypted).await {
            // Connected by a concurrent request that committed first.
            Err(RepoError::Conflict(_)) => return Err(ConnectAccountError::AlreadyConnected),
            other => other?,
        }
        uow.outbox().append(&Events::from(event), now).await?;
        Ok(account)
    }
}
