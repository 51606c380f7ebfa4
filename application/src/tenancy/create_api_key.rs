//! CreateApiKey: a key for a shop with a role. The key is returned once; only its hash is kept.

use std::sync::Arc;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use validator::Validate;

use super::ports::ApiKeyRecord;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::{Clock, Secret};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::tenancy::ports::TenancyUnitOfWork;
use domain::tenancy::Role;
use domain::{ApiKeyId, ShopId};

pub const API_KEY_PREFIX: &str = "wsk_";

/// Keys are 244 random bits; a fast hash is enough to store them (no dictionary to attack).
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn generate_api_key() -> Secret {
    Secret::new(format!("{API_KEY_PREFIX}{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()))
}

#[derive(Debug, Validate)]
pub struct CreateApiKey {
    pub shop_id: ShopId,
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub name: String,
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateApiKeyError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("shop not found")]
    ShopNotFound,
    #[error("could not store the key")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CreateApiKeyError);

impl Command for CreateApiKey {
    type Output = (ApiKeyRecord, Secret);
    type Error = CreateApiKeyError;
    const NAME: &'static str = "CreateApiKey";
    fn audit(&self, out: &Self::Output) -> Option<crate::shared::pipeline::Audited> {
        Some(crate::shared::pipeline::Audited {
            shop_id: self.shop_id,
            action: "api_key.created",
            subject_type: "api_key",
            subject_id: Some(out.0.id.to_string()),
            details: serde_json::json!({ "name": out.0.name, "role": out.0.role.as_str() }),
        })
    }
}

pub struct CreateApiKeyHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<CreateApiKey> for CreateApiKeyHandler {
    async fn handle(&self, cmd: &CreateApiKey, uow: &mut dyn UnitOfWork) -> Result<(ApiKeyRecord, Secret), CreateApiKeyError> {
        if !uow.shops().shop_exists(cmd.shop_id).await? {
            return Err(CreateApiKeyError::ShopNotFound);
        }
        let key = generate_api_key();
        let record = ApiKeyRecord {
            id: ApiKeyId::new(),
            shop_id: cmd.shop_id,
            name: cmd.name.trim().to_owned(),
            role: cmd.role,
            key_hash: hash_api_key(key.expose()),
            key_prefix: key.expose()[..12].to_owned(),
            created_at: self.clock.now(),
        };
        uow.shops().insert_api_key(&record).await?;
        Ok((record, key))
    }
}
