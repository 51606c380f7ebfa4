//! GetShopSettings: the shop's time zone, business hours, closed dates and the quiet time of a
//! turn (the defaults when it never set them: UTC, always open, 2 s).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use validator::Validate;

use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use crate::tenancy::ports::TenancyReads;
use domain::ShopId;
use domain::tenancy::ShopSettings;

#[derive(Debug, thiserror::Error)]
pub enum GetShopSettingsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the shop's settings")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetShopSettingsError);

#[derive(Debug, Validate)]
pub struct GetShopSettings {
    pub shop_id: ShopId,
}

impl Query for GetShopSettings {
    /// The settings, and when they were last changed (`None`: the defaults).
    type Output = (ShopSettings, Option<DateTime<Utc>>);
    type Error = GetShopSettingsError;
    const NAME: &'static str = "GetShopSettings";
}

pub struct GetShopSettingsHandler {
    pub reads: Arc<dyn TenancyReads>,
}

#[async_trait]
impl QueryHandler<GetShopSettings> for GetShopSettingsHandler {
    async fn handle(&self, q: &GetShopSettings) -> Result<(ShopSettings, Option<DateTime<Utc>>), GetShopSettingsError> {
        Ok(match self.reads.settings(q.shop_id).await? {
            Some((s, at)) => (s, Some(at)),
            None => (ShopSettings::default(), None),
        })
    }
}
