//! EraseCustomerCommand (GDPR): a customer's personal data is erased in one transaction — the
//! profile (names, `userId`, language, time zone, tags, custom fields), the contents of their
//! messages, and their number, which becomes a keyed pseudonym everywhere (so a later opt-out
//! check still recognises it). Counts, times and the consent history stay. `customer.erased` is
//! published and the erasure is audited. Erasing twice changes nothing.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use crate::shared::audit::AuditEntry;
use crate::shared::error::Invalid;
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
    /// The customer, and where their files' bytes are in the media store (removed after commit).
    type Output = (Customer, Vec<String>);
    type Error = EraseCustomerError;
    const NAME: &'static str = "EraseCustomer";
}

pub struct EraseCustomerHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<EraseCustomer> for EraseCustomerHandler {
    async fn handle(&self, cmd: &EraseCustomer, uow: &mut dyn UnitOfWork) -> Result<(Customer, Vec<String>), EraseCustomerError> {
        let now = self.clock.now();
        let mut customer = uow.customers().lock_by_id(cmd.shop_id, cmd.customer_id).await?.ok_or(EraseCustomerError::NotFound)?;
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
        let Some(event) = customer.erase(pseudonym.clone(), now) else { return Ok((customer, Vec::new())) };
        uow.customers().update_many(&[&customer]).await?;
        uow.customers().reindex(&[&customer]).await?;
        let mut files = uow.media().lock_of_customer(cmd.shop_id, customer.id()).await?;
        for f in &mut files {
            f.erase(now);
        }
        uow.media().save_many(&files).await?;
        let media_keys: Vec<String> = files.iter().map(|f| f.storage_key()).collect();
        let messages = uow.messages().erase_customer(cmd.shop_id, customer.id(), &pseudonym).await?;
        uow.outbox().append(&Events::from(event), now).await?;
        let audit = AuditEntry::new(
            cmd.shop_id,
            &cmd.actor,
            "customer.erased",
            "customer",
            Some(customer.id().to_string()),
            json!({ "messages": messages, "files": media_keys.len() }),
            now,
        );
        uow.audit().record(&[audit]).await?;
        Ok((customer, media_keys))
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
                tracing::warn!(%key, error = %e, "an erased customer's file could not be removed from the media store");
            }
        }
        Ok(customer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::receive_messages::{ReceiveMessages, ReceiveMessagesHandler, Routed};
    use crate::testing::{BUSINESS, PNID, Scenario, text_from};
    use domain::customers::OptInStatus;
    use domain::messaging::MessageContent;

    #[tokio::test]
    async fn given_an_opted_out_customer_when_erased_and_the_number_writes_again_then_the_opt_out_is_kept() {
        let s = Scenario::new();
        let account = Arc::new(s.given_account(BUSINESS, PNID).await);
        let receive = ReceiveMessagesHandler { clock: s.clock() };
        let say = |wamid: &str, text: &str| ReceiveMessages {
            messages: vec![Routed { account: account.clone(), item: text_from("5511987654321", wamid, s.now(), text) }],
        };
        s.when(&receive, say("wamid.1", "my address is Rua X")).await.unwrap();
        s.when(&receive, say("wamid.2", "STOP")).await.unwrap();
        let id = s.memory.read(|st| st.customers.values().next().unwrap().id());
        s.then_events();

        let h = EraseCustomerHandler { clock: s.clock() };
        let (c, _) = s.when(&h, EraseCustomer { shop_id: s.shop, customer_id: id, actor: "api-key:1".into() }).await.unwrap();
        assert!(c.is_erased() && c.wa_id().as_str().starts_with('0'));
        assert_eq!(s.then_events(), ["customer.erased"]);
        let texts = s.memory.read(|st| st.messages.values().filter(|m| matches!(m.content(), MessageContent::Erased)).count());
        assert_eq!(texts, 3, "both messages and the STOP confirmation");
        assert!(s.memory.read(|st| st.conversations.values().all(|cv| cv.wa_id() == c.wa_id())));
        assert!(s.memory.read(|st| st.audit.iter().any(|a| a.action == "customer.erased" && a.actor == "api-key:1")));
        s.when(&h, EraseCustomer { shop_id: s.shop, customer_id: id, actor: "api-key:1".into() }).await.unwrap();
        assert!(s.then_events().is_empty(), "erasing twice changes nothing");

        // The same number writes again: a new customer, who is still opted out of marketing.
        s.when(&receive, say("wamid.3", "oi")).await.unwrap();
        let again = s.memory.read(|st| st.customers.values().find(|x| !x.is_erased()).cloned().unwrap());
        assert_ne!(again.id(), id);
        assert_eq!(again.consent().marketing.status, OptInStatus::OptedOut);
    }
}
