//! The customers context's share of a customer's personal data: the profile (names, `userId`,
//! language, time zone, tags, custom fields) and the search rows made from it. The consent
//! ledger stays: it is the proof of what the customer agreed to (ADR 11).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::customers::ports::CustomersUnitOfWork;
use crate::shared::personal_data::{DataSubject, Erased, PersonalData};
use crate::shared::repo::RepoResult;
use crate::shared::unit_of_work::UnitOfWork;

pub struct CustomerProfiles;

#[async_trait]
impl PersonalData for CustomerProfiles {
    fn context(&self) -> &'static str {
        "customers"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["customers", "customer_tags", "customer_field_values"]
    }

    async fn erase(&self, uow: &mut dyn UnitOfWork, subject: &DataSubject, now: DateTime<Utc>) -> RepoResult<Erased> {
        let mut erased = Erased::default();
        let Some(mut customer) = uow.customers().lock_by_id(subject.shop_id, subject.customer_id).await? else { return Ok(erased) };
        if let Some(event) = customer.erase(subject.pseudonym.clone(), now) {
            uow.customers().update_many(&[&customer]).await?;
            uow.customers().reindex(&[&customer]).await?;
            erased.events.push(event);
        }
        Ok(erased)
    }
}
