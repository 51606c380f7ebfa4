//! DefineCustomFieldCommand: an admin adds a typed custom field to the shop's customers (key,
//! label, type, options, pattern, required). The key is unique per shop.

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
use domain::customers::FieldDefinition;
use domain::customers::fields::MAX_FIELDS_PER_SHOP;

#[derive(Debug, Validate)]
pub struct DefineCustomField {
    pub shop_id: ShopId,
    pub definition: FieldDefinition,
}

#[derive(Debug, thiserror::Error)]
pub enum DefineCustomFieldError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the shop already has a custom field with this key")]
    Duplicate,
    #[error("could not store the custom field")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(DefineCustomFieldError);

impl Command for DefineCustomField {
    type Output = FieldDefinition;
    type Error = DefineCustomFieldError;
    const NAME: &'static str = "DefineCustomField";
}

pub struct DefineCustomFieldHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<DefineCustomField> for DefineCustomFieldHandler {
    async fn handle(&self, cmd: &DefineCustomField, uow: &mut dyn UnitOfWork) -> Result<FieldDefinition, DefineCustomFieldError> {
        let existing = uow.customers().field_definitions(cmd.shop_id).await?;
        if existing.iter().any(|d| d.key == cmd.definition.key) {
            return Err(DefineCustomFieldError::Duplicate);
        }
        if existing.len() >= MAX_FIELDS_PER_SHOP {
            return Err(Invalid::new("key", format!("a shop has at most {MAX_FIELDS_PER_SHOP} custom fields")).into());
        }
        match uow.customers().insert_field_definition(cmd.shop_id, &cmd.definition, self.clock.now()).await {
            Err(RepoError::Conflict(_)) => Err(DefineCustomFieldError::Duplicate),
            r => r.map(|_| cmd.definition.clone()).map_err(Into::into),
        }
    }
}
