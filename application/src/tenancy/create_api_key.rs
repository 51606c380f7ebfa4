//! CreateApiKey: a key for a shop with a role, and for an `agent` key optionally the member it
//! acts for (what it does is then attributed to them beside the key). The key is returned once;
//! only its hash is kept.

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
use domain::shared::problem::Problem;
use domain::tenancy::Role;
use domain::{ApiKeyId, MemberId, ShopId};

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
    /// The member an `agent` key acts for: an active member of the shop.
    pub member_id: Option<MemberId>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateApiKeyError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("shop not found")]
    ShopNotFound,
    /// The key cannot act for that member: each problem names `memberId`.
    #[error("the key cannot be bound to that member")]
    Member(Problem),
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
            details: serde_json::json!({ "name": out.0.name, "role": out.0.role.as_str(), "memberId": out.0.member_id }),
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
        if let Some(member) = cmd.member_id {
            if cmd.role != Role::Agent {
                return Err(CreateApiKeyError::Member(Problem::new("memberId", "only an agent key acts for a member")));
            }
            match uow.shops().member_active(cmd.shop_id, member).await? {
                Some(true) => {}
                Some(false) => return Err(CreateApiKeyError::Member(Problem::new("memberId", "the member is deactivated"))),
                None => return Err(CreateApiKeyError::Member(Problem::new("memberId", "no such member in this shop"))),
            }
        }
        let key = generate_api_key();
        let record = ApiKeyRecord {
            id: ApiKeyId::new(),
            shop_id: cmd.shop_id,
            name: cmd.name.trim().to_owned(),
            role: cmd.role,
            key_hash: hash_api_key(key.expose()),
            key_prefix: key.expose()[..12].to_owned(),
            member_id: cmd.member_id,
            created_at: self.clock.now(),
        };
        uow.shops().insert_api_key(&record).await?;
        Ok((record, key))
    }
}
