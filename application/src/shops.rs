//! Tenancy use cases: create shops and their API keys.

use std::sync::Arc;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use validator::Validate;

use crate::error::AppError;
use crate::pipeline::{Command, CommandHandler};
use crate::ports::{ApiKeyRecord, Clock, Secret, Shop, UnitOfWork};
use domain::shop::Role;
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
pub struct CreateShop {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub name: String,
}

impl Command for CreateShop {
    type Output = Shop;
    const NAME: &'static str = "CreateShop";
}

#[derive(Debug, Validate)]
pub struct CreateApiKey {
    pub shop_id: ShopId,
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub name: String,
    pub role: Role,
}

impl Command for CreateApiKey {
    type Output = (ApiKeyRecord, Secret);
    const NAME: &'static str = "CreateApiKey";
}

pub struct ShopHandlers {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<CreateShop> for ShopHandlers {
    async fn handle(&self, cmd: CreateShop, uow: &mut dyn UnitOfWork) -> Result<Shop, AppError> {
        let shop = Shop { id: ShopId::new(), name: cmd.name.trim().to_owned(), created_at: self.clock.now() };
        uow.insert_shop(&shop).await?;
        Ok(shop)
    }
}

#[async_trait]
impl CommandHandler<CreateApiKey> for ShopHandlers {
    async fn handle(&self, cmd: CreateApiKey, uow: &mut dyn UnitOfWork) -> Result<(ApiKeyRecord, Secret), AppError> {
        if !uow.shop_exists(cmd.shop_id).await? {
            return Err(AppError::NotFound("shop"));
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
        uow.insert_api_key(&record).await?;
        Ok((record, key))
    }
}
