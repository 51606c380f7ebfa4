//! TagCustomerCommand: add tags to a customer, or remove one (merchant's agents). Tags are free
//! text, trimmed, unique per customer without regard to case; a real change emits
//! `customer.updated`.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use crate::customers::ports::CustomersUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::customers::{Customer, TagError};
use domain::{CustomerId, Events, ShopId};

#[derive(Debug, Clone)]
pub enum TagChange {
    Add(Vec<String>),
    Remove(String),
}

#[derive(Debug, Validate)]
pub struct TagCustomer {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    pub change: TagChange,
}

#[derive(Debug, thiserror::Error)]
pub enum TagCustomerError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such customer in this shop")]
    NotFound,
    /// The customer's data was erased: the record can no longer change.
    #[error("the customer was erased")]
    Erased,
    #[error("could not tag the customer")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(TagCustomerError);

impl Command for TagCustomer {
    type Output = Customer;
    type Error = TagCustomerError;
    const NAME: &'static str = "TagCustomer";
}

/// At most this many tags per customer.
pub const MAX_TAGS: usize = 100;

pub struct TagCustomerHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<TagCustomer> for TagCustomerHandler {
    async fn handle(&self, cmd: &TagCustomer, uow: &mut dyn UnitOfWork) -> Result<Customer, TagCustomerError> {
        if let TagChange::Add(tags) = &cmd.change
            && (tags.is_empty() || tags.len() > MAX_TAGS)
        {
            return Err(Invalid::new("tags", format!("list 1 to {MAX_TAGS} tags")).into());
        }
        let now = self.clock.now();
        let mut customer = uow.customers().lock_by_id(cmd.shop_id, cmd.customer_id).await?.ok_or(TagCustomerError::NotFound)?;
        let refused = |field: &str, e: TagError| match e {
            TagError::Erased => TagCustomerError::Erased,
            TagError::Length => Invalid::new(field, e.to_string()).into(),
        };
        let event = match &cmd.change {
            TagChange::Add(tags) => customer.tag(tags, now).map_err(|e| refused("tags", e))?,
            TagChange::Remove(tag) => customer.untag(tag, now).map_err(|e| refused("tag", e))?,
        };
        if customer.tags().len() > MAX_TAGS {
            return Err(Invalid::new("tags", format!("a customer has at most {MAX_TAGS} tags")).into());
        }
        if let Some(e) = event {
            uow.customers().update_many(&[&customer]).await?;
            uow.customers().reindex(&[&customer]).await?;
            uow.outbox().append(&Events::from(e), now).await?;
        }
        Ok(customer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Scenario;
    use chrono::Utc;
    use domain::WaId;

    #[tokio::test]
    async fn tags_are_added_once_and_removed_with_one_event_each() {
        let s = Scenario::new();
        let (c, _) = Customer::first_contact(s.shop, WaId::parse("5511999990000").unwrap(), None, Utc::now());
        s.memory.write(|st| st.customers.insert(c.id(), c.clone()));
        let h = TagCustomerHandler { clock: s.clock() };
        let add = |tags: &[&str]| TagCustomer {
            shop_id: s.shop,
            customer_id: c.id(),
            change: TagChange::Add(tags.iter().map(|t| (*t).to_owned()).collect()),
        };
        let out = s.when(&h, add(&["VIP", " vip "])).await.unwrap();
        assert_eq!(out.tags(), ["VIP"]);
        s.when(&h, add(&["vip"])).await.unwrap();
        assert_eq!(s.then_events(), ["customer.updated"], "one event: the second add changed nothing");
        let remove = TagCustomer { shop_id: s.shop, customer_id: c.id(), change: TagChange::Remove("Vip".into()) };
        assert!(s.when(&h, remove).await.unwrap().tags().is_empty());
        assert_eq!(s.then_events(), ["customer.updated"]);
        let other_shop = TagCustomer { shop_id: ShopId::new(), customer_id: c.id(), change: TagChange::Remove("x".into()) };
        assert!(matches!(s.when(&h, other_shop).await, Err(TagCustomerError::NotFound)));
    }
}
