//! GetConsentSettingsQuery: the shop's consent settings (the defaults until an admin changes
//! them).

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::CustomerReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::ShopId;
use domain::customers::ConsentSettings;

#[derive(Debug, Validate)]
pub struct GetConsentSettings {
    pub shop_id: ShopId,
}

#[derive(Debug, thiserror::Error)]
pub enum GetConsentSettingsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the consent settings")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetConsentSettingsError);

impl Query for GetConsentSettings {
    type Output = ConsentSettings;
    type Error = GetConsentSettingsError;
    const NAME: &'static str = "GetConsentSettings";
}

pub struct GetConsentSettingsHandler {
    pub reads: Arc<dyn CustomerReads>,
}

#[async_trait]
impl QueryHandler<GetConsentSettings> for GetConsentSettingsHandler {
    async fn handle(&self, q: &GetConsentSettings) -> Result<ConsentSettings, GetConsentSettingsError> {
        Ok(self.reads.consent_settings(q.shop_id).await?)
    }
}
