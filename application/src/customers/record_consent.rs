//! UpdateCustomerOptInCommand: record a change of a customer's consent for one purpose, with its
//! source, evidence and actor. The ledger is append-only; only a real change of state is an
//! entry, and it publishes `customer.opt_in.changed`.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use crate::customers::ports::CustomersUnitOfWork;
use crate::shared::audit::AuditEntry;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::customers::{ConsentChange, ConsentEntry, ConsentError, Customer};
use domain::{CustomerId, Events, ShopId};

#[derive(Debug, Validate)]
pub struct RecordConsent {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    pub change: ConsentChange,
}

/// The customer afterwards, and the new ledger entry (none if the state was already that).
#[derive(Debug, Clone)]
pub struct ConsentRecorded {
    pub customer: Customer,
    pub entry: Option<ConsentEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordConsentError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such customer in this shop")]
    NotFound,
    /// The customer's data was erased: the record can no longer change.
    #[error("the customer was erased")]
    Erased,
    #[error("could not record the consent")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RecordConsentError);

impl From<ConsentError> for Invalid {
    fn from(e: ConsentError) -> Self {
        match e {
            ConsentError::PendingIsNotAnEntry => Invalid::new("status", e.to_string()),
            ConsentError::EvidenceTooLong => Invalid::new("evidence", e.to_string()),
            ConsentError::Erased | ConsentError::OptedOutByCustomer { .. } => Invalid::new("consent", e.to_string()),
        }
    }
}

impl Command for RecordConsent {
    type Output = ConsentRecorded;
    type Error = RecordConsentError;
    const NAME: &'static str = "UpdateCustomerOptIn";
}

pub struct RecordConsentHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordConsent> for RecordConsentHandler {
    async fn handle(&self, cmd: &RecordConsent, uow: &mut dyn UnitOfWork) -> Result<ConsentRecorded, RecordConsentError> {
        cmd.change.check().map_err(Invalid::from)?;
        let now = self.clock.now();
        let mut customer = uow.customers().lock_by_id(cmd.shop_id, cmd.customer_id).await?.ok_or(RecordConsentError::NotFound)?;
        let recorded = customer.record_consent(&cmd.change, now).map_err(|e| match e {
            ConsentError::Erased => RecordConsentError::Erased,
            e => Invalid::from(e).into(),
        })?;
        let entry = match recorded {
            Some((entry, event)) => {
                uow.customers().update_many(&[&customer]).await?;
                uow.customers().append_consent(std::slice::from_ref(&entry)).await?;
                uow.outbox().append(&Events::from(event), now).await?;
                if let Some(actor) = &entry.actor {
                    let details = serde_json::json!({
                        "purpose": entry.purpose.as_str(), "status": entry.status.as_str(), "source": entry.source.as_str()
                    });
                    let audit =
                        AuditEntry::new(cmd.shop_id, actor, "consent.recorded", "customer", Some(customer.id().to_string()), details, now);
                    uow.audit().record(&[audit]).await?;
                }
                Some(entry)
            }
            None => None,
        };
        Ok(ConsentRecorded { customer, entry })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Scenario;
    use chrono::Utc;
    use domain::WaId;
    use domain::customers::{ConsentSource, OptInStatus, Purpose};

    #[tokio::test]
    async fn given_a_customer_when_consent_is_recorded_twice_then_one_entry_and_one_event() {
        let s = Scenario::new();
        let (c, _) = Customer::first_contact(s.shop, WaId::parse("5511999990000").unwrap(), None, Utc::now());
        s.memory.write(|st| st.customers.insert(c.id(), c.clone()));
        let h = RecordConsentHandler { clock: s.clock() };
        let cmd = |status| RecordConsent {
            shop_id: s.shop,
            customer_id: c.id(),
            change: ConsentChange {
                purpose: Purpose::Marketing,
                status,
                source: ConsentSource::Web,
                evidence: Some("signup form".into()),
                actor: Some("key crm".into()),
            },
        };
        let out = s.when(&h, cmd(OptInStatus::OptedIn)).await.unwrap();
        assert_eq!(out.entry.as_ref().map(|e| e.status), Some(OptInStatus::OptedIn));
        assert!(s.when(&h, cmd(OptInStatus::OptedIn)).await.unwrap().entry.is_none());
        assert_eq!(s.then_events(), ["customer.opt_in.changed"]);
        assert_eq!(s.memory.read(|st| st.consent_ledger.len()), 1);
        assert!(matches!(s.when(&h, cmd(OptInStatus::Pending)).await, Err(RecordConsentError::Invalid(i)) if i.field == "status"));
        let other = RecordConsent { shop_id: domain::ShopId::new(), ..cmd(OptInStatus::OptedOut) };
        assert!(matches!(s.when(&h, other).await, Err(RecordConsentError::NotFound)));
    }
}
