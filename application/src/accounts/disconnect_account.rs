//! DisconnectWhatsAppAccount: the number stops sending, its token is wiped, its history stays.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use crate::accounts::ports::AccountsUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::{CipherError, Clock, Secret, SecretCipher};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::accounts::WhatsAppAccount;
use domain::{AccountId, Events, ShopId};

#[derive(Debug, Validate)]
pub struct DisconnectWhatsAppAccount {
    pub shop_id: ShopId,
    pub account_id: AccountId,
}

#[derive(Debug, thiserror::Error)]
pub enum DisconnectAccountError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("account not found")]
    NotFound,
    #[error("could not wipe the access token")]
    Cipher(#[source] CipherError),
    #[error("could not store the account")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(DisconnectAccountError);

impl Command for DisconnectWhatsAppAccount {
    type Output = WhatsAppAccount;
    type Error = DisconnectAccountError;
    const NAME: &'static str = "DisconnectWhatsAppAccount";
    fn audit(&self, out: &WhatsAppAccount) -> Option<crate::shared::pipeline::Audited> {
        Some(crate::shared::pipeline::Audited {
            shop_id: self.shop_id,
            action: "account.disconnected",
            subject_type: "account",
            subject_id: Some(out.id().to_string()),
            details: serde_json::json!({ "phoneNumberId": out.phone_number_id().to_string() }),
        })
    }
}

pub struct DisconnectAccountHandler {
    pub clock: Arc<dyn Clock>,
    pub cipher: Arc<dyn SecretCipher>,
}

#[async_trait]
impl CommandHandler<DisconnectWhatsAppAccount> for DisconnectAccountHandler {
    async fn handle(&self, cmd: &DisconnectWhatsAppAccount, uow: &mut dyn UnitOfWork) -> Result<WhatsAppAccount, DisconnectAccountError> {
        let now = self.clock.now();
        let mut account = uow.accounts().lock(cmd.shop_id, cmd.account_id).await?.ok_or(DisconnectAccountError::NotFound)?;
        let mut events = Events::new();
        events.push_opt(account.disconnect(now));
        // The token is wiped: a disconnected number must be connected again with a new one.
        let wiped = self.cipher.encrypt(&Secret::new("")).map_err(DisconnectAccountError::Cipher)?;
        uow.accounts().update(&account, Some(&wiped)).await?;
        uow.outbox().append(&events, now).await?;
        Ok(account)
    }
}
