//! UpdateCustomerCommand: a merchant changes a customer's profile (name, `userId`, language, time
//! zone, custom fields; absent = unchanged, null = cleared). `customer.updated` names what
//! changed.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use validator::Validate;

use crate::customers::ports::CustomersUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::customers::{Customer, ProfileChange, UpdateError, check_required, check_values};
use domain::{CustomerId, Events, ShopId};

#[derive(Debug, Validate)]
pub struct UpdateCustomer {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    pub name: Option<Option<String>>,
    pub user_id: Option<Option<String>>,
    pub language: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    /// `null` removes a value.
    pub custom_fields: BTreeMap<String, Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateCustomerError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such customer in this shop")]
    NotFound,
    /// The customer's data was erased: the record can no longer change.
    #[error("the customer was erased")]
    Erased,
    #[error("could not update the customer")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(UpdateCustomerError);

impl Command for UpdateCustomer {
    type Output = Customer;
    type Error = UpdateCustomerError;
    const NAME: &'static str = "UpdateCustomer";
}

pub struct UpdateCustomerHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<UpdateCustomer> for UpdateCustomerHandler {
    async fn handle(&self, cmd: &UpdateCustomer, uow: &mut dyn UnitOfWork) -> Result<Customer, UpdateCustomerError> {
        let now = self.clock.now();
        let mut customer = uow.customers().lock_by_id(cmd.shop_id, cmd.customer_id).await?.ok_or(UpdateCustomerError::NotFound)?;
        let defs = if cmd.custom_fields.is_empty() { Vec::new() } else { uow.customers().field_definitions(cmd.shop_id).await? };
        let profile = ProfileChange {
            display_name: cmd.name.clone(),
            user_id: cmd.user_id.clone(),
            language: cmd.language.clone(),
            timezone: cmd.timezone.clone(),
            custom_fields: check_values(&defs, &cmd.custom_fields).map_err(Invalid::from)?,
        };
        let event = customer.update(&profile, now).map_err(|e| match e {
            UpdateError::Invalid(e) => UpdateCustomerError::Invalid(e.into()),
            UpdateError::Erased => UpdateCustomerError::Erased,
        })?;
        if !cmd.custom_fields.is_empty() {
            // Only a value being removed can break a required field.
            let removing: Vec<_> = defs.into_iter().filter(|d| cmd.custom_fields.get(&d.key).is_some_and(Value::is_null)).collect();
            check_required(&removing, customer.custom_fields()).map_err(Invalid::from)?;
        }
        if let Some(e) = event {
            uow.customers().update_many(&[&customer]).await?;
            if !cmd.custom_fields.is_empty() {
                uow.customers().reindex(&[&customer]).await?;
            }
            uow.outbox().append(&Events::from(e), now).await?;
        }
        Ok(customer)
    }
}
