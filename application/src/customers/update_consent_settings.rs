//! UpdateConsentSettingsCommand: an admin replaces the shop's consent settings (whether
//! marketing templates need an opt-in; the opt-out and opt-in keywords; the confirmations).

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use crate::customers::ports::CustomersUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::ShopId;
use domain::customers::{ConsentSettings, SettingsError};

#[derive(Debug, Validate)]
pub struct UpdateConsentSettings {
    pub shop_id: ShopId,
    pub require_marketing_opt_in: bool,
    pub opt_out_keywords: Vec<String>,
    pub opt_in_keywords: Vec<String>,
    pub opt_out_reply: Option<String>,
    pub opt_in_reply: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateConsentSettingsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not store the consent settings")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(UpdateConsentSettingsError);

impl Command for UpdateConsentSettings {
    type Output = ConsentSettings;
    type Error = UpdateConsentSettingsError;
    const NAME: &'static str = "UpdateConsentSettings";
}

pub struct UpdateConsentSettingsHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<UpdateConsentSettings> for UpdateConsentSettingsHandler {
    async fn handle(&self, cmd: &UpdateConsentSettings, uow: &mut dyn UnitOfWork) -> Result<ConsentSettings, UpdateConsentSettingsError> {
        let settings = ConsentSettings::new(
            cmd.require_marketing_opt_in,
            cmd.opt_out_keywords.clone(),
            cmd.opt_in_keywords.clone(),
            cmd.opt_out_reply.clone(),
            cmd.opt_in_reply.clone(),
        )
        .map_err(|SettingsError::Invalid { field, reason }| Invalid::new(field, reason))?;
        uow.customers().save_consent_settings(cmd.shop_id, &settings, self.clock.now()).await?;
        Ok(settings)
    }
}
