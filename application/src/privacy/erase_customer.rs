//! EraseCustomerCommand (GDPR): a customer's personal data is erased in one transaction by every
//! context that holds some (`PersonalData`, in the house's lock order): the profile (names,
//! `userId`, language, time zone, tags, custom fields), the contents of their messages, their
//! files, and their number, which becomes a keyed pseudonym everywhere (so a later opt-out check
//! still recognises it). Counts, times and the consent history stay. `customer.erased` is
//! published and the erasure is audited once. Erasing twice changes nothing.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use crate::customers::ports::CustomersUnitOfWork;
use crate::shared::audit::AuditEntry;
use crate::shared::error::Invalid;
use crate::shared::personal_data::{DataSubject, PersonalData};
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::customers::Customer;
use domain::{CustomerId, Events, ShopId};

#[derive(Debug, Validate)]
pub struct EraseCustomer {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    pub actor: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EraseCustomerError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such customer in this shop")]
    NotFound,
    #[error("could not erase the customer")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(EraseCustomerError);

impl Command for EraseCustomer {
    /// The customer, and where their files' bytes are outside the database (removed after commit).
    type Output = (Customer, Vec<String>);
    type Error = EraseCustomerError;
    const NAME: &'static str = "EraseCustomer";
}

pub struct EraseCustomerHandler {
    pub clock: Arc<dyn Clock>,
    /// Every context's personal data, in lock order (customers first).
    pub holders: Vec<Arc<dyn PersonalData>>,
}

#[async_trait]
impl CommandHandler<EraseCustomer> for EraseCustomerHandler {
    async fn handle(&self, cmd: &EraseCustomer, uow: &mut dyn UnitOfWork) -> Result<(Customer, Vec<String>), EraseCustomerError> {
        let now = self.clock.now();
        let customer = uow.customers().lock_by_id(cmd.shop_id, cmd.customer_id).await?.ok_or(EraseCustomerError::NotFound)?;
        if customer.is_erased() {
            return Ok((customer, Vec::new()));
        }
        // The number's pseudonym; if an earlier erased customer of the same number holds it,
        // the pseudonym's own pseudonym (the earlier record keeps answering opt-out checks).
        let mut pseudonym = uow.customers().pseudonym(cmd.shop_id, customer.wa_id());
        for _ in 0..5 {
            let key = (cmd.shop_id, pseudonym.clone());
            if uow.customers().lock_by_wa_ids(std::slice::from_ref(&key)).await?.is_empty() {
                break;
            }
            pseudonym = uow.customers().pseudonym(cmd.shop_id, &pseudonym);
        }
        let subject = DataSubject { shop_id: cmd.shop_id, customer_id: customer.id(), wa_id: customer.wa_id().clone(), pseudonym };
        let mut events = Events::new();
        let mut files = Vec::new();
        let mut counts = serde_json::Map::new();
        for holder in &self.holders {
            let erased = holder.erase(uow, &subject, now).await?;
            events.append(erased.events);
            files.extend(erased.files);
            for (what, n) in erased.counts {
                counts.insert(what.to_owned(), json!(n));
            }
        }
        let customer = uow.customers().lock_by_id(cmd.shop_id, cmd.customer_id).await?.ok_or(EraseCustomerError::NotFound)?;
        uow.outbox().append(&events, now).await?;
        let audit =
            AuditEntry::new(cmd.shop_id, &cmd.actor, "customer.erased", "customer", Some(customer.id().to_string()), counts.into(), now);
        uow.audit().record(&[audit]).await?;
        Ok((customer, files))
    }
}

/// The erasure, then its files' bytes removed from the media store. A removal that fails is
/// logged; the file's row is already `erased`, so its bytes are never served again.
pub struct EraseCustomerService {
    pub pipeline: crate::shared::pipeline::Pipeline,
    pub handler: EraseCustomerHandler,
    pub store: Arc<dyn crate::media::ports::MediaStore>,
}

impl EraseCustomerService {
    pub async fn run(&self, ctx: &crate::RequestContext, cmd: EraseCustomer) -> Result<Customer, EraseCustomerError> {
        let (customer, keys) = self.pipeline.execute(ctx, &self.handler, cmd).await?;
        for key in keys {
            if let Err(e) = self.store.delete(&key).await {
                tracing::warn!(%key, error = %crate::Chain(&e), "an erased customer's file could not be removed from the media store");
            }
        }
        Ok(customer)
    }
}
