//! UpdateShopSettings: an admin replaces the shop's time zone, business hours, closed dates and
//! the quiet time of a turn; checked whole (every problem named), audited.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use validator::Validate;

use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::tenancy::ports::TenancyUnitOfWork;
use domain::ShopId;
use domain::shared::problem::Problem;
use domain::tenancy::{SettingsDraft, ShopSettings};

#[derive(Debug, Validate)]
pub struct UpdateShopSettings {
    pub shop_id: ShopId,
    pub draft: SettingsDraft,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateShopSettingsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Every problem of the settings, each with its field.
    #[error("the settings are not valid")]
    Problems(Vec<Problem>),
    #[error("could not store the shop's settings")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(UpdateShopSettingsError);

impl Command for UpdateShopSettings {
    type Output = (ShopSettings, DateTime<Utc>);
    type Error = UpdateShopSettingsError;
    const NAME: &'static str = "UpdateShopSettings";

    fn audit(&self, (settings, _): &Self::Output) -> Option<Audited> {
        let d = settings.to_draft();
        Some(Audited {
            shop_id: self.shop_id,
            action: "shop.settings.updated",
            subject_type: "shop",
            subject_id: Some(self.shop_id.to_string()),
            details: json!({
                "timeZone": d.time_zone,
                "businessHours": d.business_hours.is_some(),
                "closedDates": d.closed_dates.len(),
                "turnQuietMs": d.turn_quiet_ms,
                "handBackHours": d.hand_back_hours,
            }),
        })
    }
}

pub struct UpdateShopSettingsHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<UpdateShopSettings> for UpdateShopSettingsHandler {
    async fn handle(
        &self,
        cmd: &UpdateShopSettings,
        uow: &mut dyn UnitOfWork,
    ) -> Result<(ShopSettings, DateTime<Utc>), UpdateShopSettingsError> {
        let settings = ShopSettings::parse(&cmd.draft).map_err(UpdateShopSettingsError::Problems)?;
        let now = self.clock.now();
        uow.shops().save_settings(cmd.shop_id, &settings, now).await?;
        Ok((settings, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Scenario;

    fn draft(zone: &str) -> SettingsDraft {
        SettingsDraft { time_zone: zone.into(), business_hours: None, closed_dates: Vec::new(), turn_quiet_ms: 1_500, hand_back_hours: 24 }
    }

    #[tokio::test]
    async fn given_valid_settings_when_saved_then_kept_and_audited_and_bad_ones_change_nothing() {
        let s = Scenario::new();
        let h = UpdateShopSettingsHandler { clock: s.clock() };
        let (saved, _) = s.when(&h, UpdateShopSettings { shop_id: s.shop, draft: draft("Europe/Lisbon") }).await.unwrap();
        assert_eq!((saved.zone().name(), saved.turn_quiet_ms()), ("Europe/Lisbon", 1_500));
        let r = s.when(&h, UpdateShopSettings { shop_id: s.shop, draft: draft("Europe/Atlantis") }).await;
        let Err(UpdateShopSettingsError::Problems(p)) = r else { panic!("{r:?}") };
        assert_eq!(p[0].field, "timeZone");
        let kept = s.memory.read(|st| st.shop_settings.get(&s.shop).cloned()).unwrap();
        assert_eq!(kept.0.zone().name(), "Europe/Lisbon", "a refused change keeps what was there");
        assert_eq!(s.memory.read(|st| st.audit.iter().filter(|a| a.action == "shop.settings.updated").count()), 1);
    }
}
