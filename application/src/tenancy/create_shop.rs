//! CreateShop: a new merchant tenant (platform admin).

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::Shop;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::tenancy::ports::TenancyUnitOfWork;
use domain::ShopId;

#[derive(Debug, Validate)]
pub struct CreateShop {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateShopError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not store the shop")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CreateShopError);

impl Command for CreateShop {
    type Output = Shop;
    type Error = CreateShopError;
    const NAME: &'static str = "CreateShop";
}

pub struct CreateShopHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<CreateShop> for CreateShopHandler {
    async fn handle(&self, cmd: &CreateShop, uow: &mut dyn UnitOfWork) -> Result<Shop, CreateShopError> {
        let name = cmd.name.trim();
        if name.is_empty() {
            return Err(Invalid::new("name", "must not be blank").into());
        }
        let shop = Shop { id: ShopId::new(), name: name.to_owned(), created_at: self.clock.now() };
        uow.shops().insert_shop(&shop).await?;
        Ok(shop)
    }
}
