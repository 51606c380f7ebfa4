//! ConnectWhatsAppAccount: a shop connects a number; its token is stored encrypted. Meta is
//! asked first (`ConnectAccountService`): the token must reach that phone number id, and the
//! number must be the one Meta has for it, so that nobody connects a number that is not theirs.

use std::sync::Arc;

use async_trait::async_trait;
use validator::{Validate, ValidationError};

use crate::accounts::ports::AccountsUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::{CipherError, Clock, Secret, SecretCipher};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::accounts::{AccountError, WhatsAppAccount};
use domain::{Events, PhoneNumber, PhoneNumberId, ShopId, WabaId};

pub(crate) fn token_shape(token: &Secret) -> Result<(), ValidationError> {
    let t = token.expose();
    // It travels in an HTTP header: visible ASCII only.
    if t.is_empty() || t.len() > 4096 || !t.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ValidationError::new("token").with_message("must be 1 to 4096 visible ASCII characters, without spaces".into()));
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
    #[error("Meta did not confirm this phone number id for this access token")]
    NotVerified(#[source] crate::shared::meta::CloudApiError),
    #[error("Meta could not be asked about this number")]
    MetaUnavailable(#[source] crate::shared::meta::CloudApiError),
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
    fn audit(&self, out: &WhatsAppAccount) -> Option<crate::shared::pipeline::Audited> {
        Some(crate::shared::pipeline::Audited {
            shop_id: self.shop_id,
            action: "account.connected",
            subject_type: "account",
            subject_id: Some(out.id().to_string()),
            details: serde_json::json!({ "phoneNumberId": out.phone_number_id().to_string() }),
        })
    }
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

/// Connect a number after Meta confirmed it: the call to Meta happens outside the transaction.
pub struct ConnectAccountService {
    pub pipeline: crate::shared::pipeline::Pipeline,
    pub directory: Arc<dyn super::ports::NumberDirectory>,
    pub handler: ConnectAccountHandler,
}

impl ConnectAccountService {
    #[tracing::instrument(name = "connect_account", skip_all, fields(request_id = %ctx.request_id))]
    pub async fn run(&self, ctx: &crate::RequestContext, cmd: ConnectWhatsAppAccount) -> Result<WhatsAppAccount, ConnectAccountError> {
        cmd.validate().map_err(Invalid::from)?;
        let verified = self.directory.verify_number(&cmd.phone_number_id, &cmd.access_token).await.map_err(|e| {
            use crate::shared::meta::CloudApiErrorKind;
            match e.kind {
                CloudApiErrorKind::Meta if e.http_status.is_some_and(|s| s < 500) => ConnectAccountError::NotVerified(e),
                _ => ConnectAccountError::MetaUnavailable(e),
            }
        })?;
        if let Some(theirs) = verified.display_phone_number.as_deref() {
            let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
            if digits(theirs) != cmd.display_phone_number.digits() {
                return Err(Invalid::new("displayPhoneNumber", format!("Meta has {theirs} for this phone number id")).into());
            }
        }
        self.pipeline.execute(ctx, &self.handler, cmd).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::disconnect_account::{DisconnectAccountHandler, DisconnectWhatsAppAccount};
    use crate::testing::{BUSINESS, PNID, Scenario, TestCipher};

    fn connect(shop: ShopId) -> ConnectWhatsAppAccount {
        ConnectWhatsAppAccount {
            shop_id: shop,
            phone_number_id: PhoneNumberId::parse(PNID).unwrap(),
            display_phone_number: PhoneNumber::parse(BUSINESS).unwrap(),
            waba_id: WabaId::parse("9001").unwrap(),
            display_name: None,
            access_token: Secret::new("EAAG-secret"),
        }
    }

    fn handler(s: &Scenario) -> ConnectAccountHandler {
        ConnectAccountHandler { clock: s.clock(), cipher: Arc::new(TestCipher) }
    }

    #[tokio::test]
    async fn the_token_is_stored_encrypted_and_a_number_connects_once() {
        let s = Scenario::new();
        let a = s.when(&handler(&s), connect(s.shop)).await.unwrap();
        assert_eq!(s.then_events(), ["account.connected"]);
        let stored = s.memory.read(|st| st.accounts[&a.id()].1.clone());
        assert!(!stored.contains("EAAG-secret") && stored.starts_with("enc:"), "{stored}");
        assert!(matches!(s.when(&handler(&s), connect(ShopId::new())).await, Err(ConnectAccountError::AlreadyConnected)));
        assert!(matches!(s.when(&handler(&s), connect(s.shop)).await, Err(ConnectAccountError::AlreadyConnected)));
    }

    #[tokio::test]
    async fn a_disconnected_number_reconnects_with_the_same_id() {
        let s = Scenario::new();
        let a = s.when(&handler(&s), connect(s.shop)).await.unwrap();
        let disconnect = DisconnectAccountHandler { clock: s.clock(), cipher: Arc::new(TestCipher) };
        s.when(&disconnect, DisconnectWhatsAppAccount { shop_id: s.shop, account_id: a.id() }).await.unwrap();
        let again = s.when(&handler(&s), connect(s.shop)).await.unwrap();
        assert_eq!(again.id(), a.id());
        let events = s.then_stored_events();
        let types: Vec<_> = events.iter().map(|e| e.event_type).collect();
        assert_eq!(types, ["account.connected", "account.status.changed", "account.connected"]);
        assert_eq!(events[2].data["accountId"], a.id().to_string());
    }
}
