//! WhatsApp account use cases: connect, update, disconnect.

use std::sync::Arc;

use async_trait::async_trait;
use validator::{Validate, ValidationError};

use crate::error::AppError;
use crate::pipeline::{Command, CommandHandler};
use crate::ports::{Clock, RepoError, Secret, SecretCipher, UnitOfWork};
use domain::account::{AccountStatus, MessagingTier, QualityRating, WhatsAppAccount};
use domain::phone::{PhoneNumber, PhoneNumberId, WabaId};
use domain::{AccountId, ShopId};

fn token_shape(token: &Secret) -> Result<(), ValidationError> {
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

impl Command for ConnectWhatsAppAccount {
    type Output = WhatsAppAccount;
    const NAME: &'static str = "ConnectWhatsAppAccount";
}

#[derive(Debug, Validate, Default)]
pub struct UpdateWhatsAppAccount {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    #[validate(length(max = 100, message = "at most 100 characters"))]
    pub display_name: Option<String>,
    #[validate(custom(function = "token_shape"))]
    pub access_token: Option<Secret>,
    pub status: Option<AccountStatus>,
    pub messaging_tier: Option<MessagingTier>,
    pub quality_rating: Option<QualityRating>,
    #[validate(range(min = 1, max = 1000, message = "must be 1 to 1000 messages per second"))]
    pub throughput_mps: Option<u32>,
}

impl Command for UpdateWhatsAppAccount {
    type Output = WhatsAppAccount;
    const NAME: &'static str = "UpdateWhatsAppAccount";
}

#[derive(Debug, Validate)]
pub struct DisconnectWhatsAppAccount {
    pub shop_id: ShopId,
    pub account_id: AccountId,
}

impl Command for DisconnectWhatsAppAccount {
    type Output = WhatsAppAccount;
    const NAME: &'static str = "DisconnectWhatsAppAccount";
}

pub struct AccountHandlers {
    pub clock: Arc<dyn Clock>,
    pub cipher: Arc<dyn SecretCipher>,
}

impl AccountHandlers {
    fn encrypt(&self, token: &Secret) -> Result<String, AppError> {
        self.cipher.encrypt(token).map_err(AppError::Internal)
    }
}

#[async_trait]
impl CommandHandler<ConnectWhatsAppAccount> for AccountHandlers {
    async fn handle(&self, cmd: ConnectWhatsAppAccount, uow: &mut dyn UnitOfWork) -> Result<WhatsAppAccount, AppError> {
        let now = self.clock.now();
        let encrypted = self.encrypt(&cmd.access_token)?;
        if let Some(mut existing) = uow.account_by_phone_number_id(&cmd.phone_number_id).await? {
            // Reconnecting a number this shop disconnected: same id, fresh token.
            if existing.shop_id == cmd.shop_id && existing.status == AccountStatus::Disconnected {
                let (fresh, event) = WhatsAppAccount::connect(
                    cmd.shop_id,
                    cmd.phone_number_id,
                    cmd.display_phone_number,
                    cmd.waba_id,
                    cmd.display_name,
                    now,
                );
                existing = WhatsAppAccount { id: existing.id, ..fresh };
                uow.update_account(&existing, Some(&encrypted)).await?;
                let event = match event {
                    domain::events::DomainEvent::AccountConnected(mut e) => {
                        e.account_id = existing.id;
                        domain::events::DomainEvent::AccountConnected(e)
                    }
                    other => other,
                };
                uow.append(&[event], now).await?;
                return Ok(existing);
            }
            return Err(AppError::Conflict("this phone number id is already connected".into()));
        }
        let (account, event) =
            WhatsAppAccount::connect(cmd.shop_id, cmd.phone_number_id, cmd.display_phone_number, cmd.waba_id, cmd.display_name, now);
        match uow.insert_account(&account, &encrypted).await {
            Err(RepoError::Conflict(_)) => return Err(AppError::Conflict("this phone number id is already connected".into())),
            other => other?,
        }
        uow.append(&[event], now).await?;
        Ok(account)
    }
}

#[async_trait]
impl CommandHandler<UpdateWhatsAppAccount> for AccountHandlers {
    async fn handle(&self, cmd: UpdateWhatsAppAccount, uow: &mut dyn UnitOfWork) -> Result<WhatsAppAccount, AppError> {
        let now = self.clock.now();
        let mut account = uow.account(cmd.shop_id, cmd.account_id).await?.ok_or(AppError::NotFound("account"))?;
        let mut events = Vec::new();
        if let Some(name) = cmd.display_name {
            account.display_name = Some(name).filter(|n| !n.trim().is_empty());
            account.updated_at = now;
        }
        let blocked = |_| AppError::Conflict("a disconnected account cannot change status; connect it again".into());
        match cmd.status {
            Some(AccountStatus::Active) => events.extend(account.activate(now).map_err(blocked)?),
            Some(AccountStatus::Suspended) => events.extend(account.suspend(Some("suspended by the shop".into()), now).map_err(blocked)?),
            Some(AccountStatus::Disconnected) => events.extend(account.disconnect(now)),
            None => {}
        }
        if cmd.quality_rating.is_some() || cmd.messaging_tier.is_some() {
            let rating = cmd.quality_rating.unwrap_or(account.quality_rating);
            events.extend(account.update_quality(rating, cmd.messaging_tier, now));
        }
        if let Some(mps) = cmd.throughput_mps {
            account.set_throughput(mps, now).map_err(|e| AppError::validation("throughputMps", e.to_string()))?;
        }
        let encrypted = cmd.access_token.as_ref().map(|t| self.encrypt(t)).transpose()?;
        uow.update_account(&account, encrypted.as_deref()).await?;
        uow.append(&events, now).await?;
        Ok(account)
    }
}

#[async_trait]
impl CommandHandler<DisconnectWhatsAppAccount> for AccountHandlers {
    async fn handle(&self, cmd: DisconnectWhatsAppAccount, uow: &mut dyn UnitOfWork) -> Result<WhatsAppAccount, AppError> {
        let now = self.clock.now();
        let mut account = uow.account(cmd.shop_id, cmd.account_id).await?.ok_or(AppError::NotFound("account"))?;
        let events: Vec<_> = account.disconnect(now).into_iter().collect();
        // The token is wiped: a disconnected number must be connected again with a new one.
        let wiped = self.encrypt(&Secret::new(""))?;
        uow.update_account(&account, Some(&wiped)).await?;
        uow.append(&events, now).await?;
        Ok(account)
    }
}
