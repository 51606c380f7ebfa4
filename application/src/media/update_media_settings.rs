//! UpdateMediaSettings: how many days the shop's files are kept (`None`: for ever); audited.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use crate::media::ports::MediaUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::ShopId;

#[derive(Debug, thiserror::Error)]
pub enum UpdateMediaSettingsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read or store the settings")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(UpdateMediaSettingsError);

#[derive(Debug, Validate)]
pub struct UpdateMediaSettings {
    pub shop_id: ShopId,
    #[validate(range(min = 1, max = 3650, message = "must be between 1 and 3650 days, or null to keep files for ever"))]
    pub retention_days: Option<u32>,
}

impl Command for UpdateMediaSettings {
    type Output = Option<u32>;
    type Error = UpdateMediaSettingsError;
    const NAME: &'static str = "UpdateMediaSettings";
    fn audit(&self, out: &Option<u32>) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "media.settings.updated",
            subject_type: "shop",
            subject_id: Some(self.shop_id.to_string()),
            details: json!({"retentionDays": out}),
        })
    }
}

pub struct UpdateMediaSettingsHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<UpdateMediaSettings> for UpdateMediaSettingsHandler {
    async fn handle(&self, cmd: &UpdateMediaSettings, uow: &mut dyn UnitOfWork) -> Result<Option<u32>, UpdateMediaSettingsError> {
        uow.media().set_retention(cmd.shop_id, cmd.retention_days, self.clock.now()).await?;
        Ok(cmd.retention_days)
    }
}
