//! CreateCustomerCommand: a merchant adds a customer (name, `waId`, `userId`, language, time
//! zone, tags, custom fields, and consent with its evidence). A `waId` the shop already has is a
//! conflict naming the existing customer; nothing is half-written.

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
use domain::customers::{ConsentChange, Customer, FieldError, ProfileChange, ProfileError, check_required, check_values};
use domain::{CustomerId, Events, ShopId, WaId};

#[derive(Debug, Validate)]
pub struct CreateCustomer {
    pub shop_id: ShopId,
    pub wa_id: WaId,
    pub name: Option<String>,
    pub user_id: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub tags: Vec<String>,
    pub custom_fields: BTreeMap<String, Value>,
    pub consent: Vec<ConsentChange>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateCustomerError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the shop already has a customer with this waId")]
    Duplicate { existing: CustomerId },
    #[error("could not create the customer")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CreateCustomerError);

impl From<FieldError> for Invalid {
    fn from(e: FieldError) -> Self {
        Invalid::new(e.field, e.reason)
    }
}

impl From<ProfileError> for Invalid {
    fn from(e: ProfileError) -> Self {
        Invalid::new(e.field, e.reason)
    }
}

impl Command for CreateCustomer {
    type Output = Customer;
    type Error = CreateCustomerError;
    const NAME: &'static str = "CreateCustomer";
}

pub struct CreateCustomerHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<CreateCustomer> for CreateCustomerHandler {
    async fn handle(&self, cmd: &CreateCustomer, uow: &mut dyn UnitOfWork) -> Result<Customer, CreateCustomerError> {
        let now = self.clock.now();
        if cmd.tags.len() > super::tag_customer::MAX_TAGS {
            return Err(Invalid::new("tags", format!("at most {} tags", super::tag_customer::MAX_TAGS)).into());
        }
        let defs = uow.customers().field_definitions(cmd.shop_id).await?;
        let custom_fields = check_values(&defs, &cmd.custom_fields).map_err(Invalid::from)?;
        let profile = ProfileChange {
            display_name: Some(cmd.name.clone()),
            user_id: Some(cmd.user_id.clone()),
            language: Some(cmd.language.clone()),
            timezone: Some(cmd.timezone.clone()),
            custom_fields,
        };
        let (mut customer, created) = Customer::create(cmd.shop_id, cmd.wa_id.clone(), &profile, now).map_err(Invalid::from)?;
        check_required(&defs, customer.custom_fields()).map_err(Invalid::from)?;
        let mut events = Events::from(created);
        if !cmd.tags.is_empty() {
            customer.tag(&cmd.tags, now).map_err(|e| Invalid::new("tags", e.to_string()))?;
        }
        let mut entries = Vec::new();
        for (n, change) in cmd.consent.iter().enumerate() {
            let recorded = customer.record_consent(change, now).map_err(|e| {
                let i: Invalid = e.into();
                Invalid::new(format!("consent[{n}].{}", i.field), i.message)
            })?;
            if let Some((entry, e)) = recorded {
                entries.push(entry);
                events.push(e);
            }
        }
        if uow.customers().insert_many(std::slice::from_ref(&customer)).await?.is_empty() {
            let key = (cmd.shop_id, cmd.wa_id.clone());
            let existing = uow.customers().lock_by_wa_ids(std::slice::from_ref(&key)).await?.into_iter().next();
            return Err(match existing {
                Some(c) => CreateCustomerError::Duplicate { existing: c.id() },
                None => RepoError::Concurrency("the customer was erased meanwhile".into()).into(),
            });
        }
        uow.customers().reindex(&[&customer]).await?;
        uow.customers().append_consent(&entries).await?;
        uow.outbox().append(&events, now).await?;
        Ok(customer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Scenario;
    use domain::customers::{ConsentSource, FieldDefinition, FieldType, OptInStatus, Purpose};
    use serde_json::json;

    fn cmd(s: &Scenario) -> CreateCustomer {
        CreateCustomer {
            shop_id: s.shop,
            wa_id: WaId::parse("5511987654321").unwrap(),
            name: Some("Ana".into()),
            user_id: Some("crm-1".into()),
            language: Some("pt_BR".into()),
            timezone: None,
            tags: vec!["VIP".into()],
            custom_fields: BTreeMap::from([("tier".to_owned(), json!("gold"))]),
            consent: vec![ConsentChange {
                purpose: Purpose::Marketing,
                status: OptInStatus::OptedIn,
                source: ConsentSource::Web,
                evidence: Some("form".into()),
                actor: Some("api-key:1".into()),
            }],
        }
    }

    #[tokio::test]
    async fn given_field_definitions_when_creating_then_values_are_checked_and_a_duplicate_is_a_conflict() {
        let s = Scenario::new();
        let tier = FieldDefinition::new("tier", "Tier", FieldType::SingleChoice, vec!["Gold".into()], None, true).unwrap();
        s.memory.write(|st| st.field_definitions.push((s.shop, tier)));
        let h = CreateCustomerHandler { clock: s.clock() };
        let c = s.when(&h, cmd(&s)).await.unwrap();
        assert_eq!(c.custom_fields()["tier"], "Gold");
        assert_eq!(c.consent().marketing.status, OptInStatus::OptedIn);
        assert_eq!(s.then_events(), ["customer.created", "customer.opt_in.changed"]);
        assert_eq!(s.memory.read(|st| (st.consent_ledger.len(), st.reindexed.clone())), (1, vec![c.id()]));
        let r = s.when(&h, cmd(&s)).await;
        assert!(matches!(r, Err(CreateCustomerError::Duplicate { existing }) if existing == c.id()), "{r:?}");

        let other = |f: fn(&mut CreateCustomer)| {
            let mut c = cmd(&s);
            c.wa_id = WaId::parse("5511900000009").unwrap();
            f(&mut c);
            c
        };
        for (bad, field) in [
            (other(|c| c.custom_fields = BTreeMap::from([("tier".to_owned(), json!("bronze"))])), "customFields.tier"),
            (other(|c| c.custom_fields = BTreeMap::from([("size".to_owned(), json!(1))])), "customFields.size"),
            (other(|c| c.custom_fields.clear()), "customFields.tier"),
            (other(|c| c.tags = vec!["x".repeat(200)]), "tags"),
            (other(|c| c.language = Some("Portuguese".into())), "language"),
        ] {
            match s.when(&h, bad).await {
                Err(CreateCustomerError::Invalid(i)) => assert_eq!(i.field, field),
                r => panic!("{field}: {r:?}"),
            }
        }
        assert_eq!(s.memory.read(|st| st.customers.len()), 1, "nothing half-written");
    }
}
