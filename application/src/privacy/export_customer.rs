//! ExportCustomerDataCommand (GDPR): everything held about one customer — profile, consent
//! ledger, conversations, messages with their statuses, and each other context's section
//! (`PersonalData::export`: their files, and what the coming contexts hold) — as one document. A
//! command, not a query: the export itself is audited.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use crate::customers::ports::CustomerReads;
use crate::messaging::ports::{ConversationFilter, MessageFilter, MessagingReads};
use crate::shared::audit::AuditEntry;
use crate::shared::error::Invalid;
use crate::shared::personal_data::PersonalData;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::{Page, RepoError};
use crate::shared::unit_of_work::UnitOfWork;
use domain::customers::{ConsentEntry, Customer};
use domain::messaging::{Conversation, Message};
use domain::{CustomerId, ShopId};

/// At most this many messages in one export (the newest); `messagesTotal` says how many exist.
pub const MAX_EXPORTED_MESSAGES: u64 = 10_000;

#[derive(Debug, Validate)]
pub struct ExportCustomer {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    pub actor: String,
}

#[derive(Debug, Clone)]
pub struct CustomerExport {
    pub customer: Customer,
    pub consent: Vec<ConsentEntry>,
    pub conversations: Vec<Conversation>,
    pub messages: Vec<Message>,
    pub messages_total: u64,
    /// Every other context's section, by context.
    pub sections: Vec<(&'static str, serde_json::Value)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportCustomerError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such customer in this shop")]
    NotFound,
    #[error("could not export the customer")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ExportCustomerError);

impl Command for ExportCustomer {
    type Output = CustomerExport;
    type Error = ExportCustomerError;
    const NAME: &'static str = "ExportCustomerData";
}

pub struct ExportCustomerHandler {
    pub clock: Arc<dyn Clock>,
    pub customers: Arc<dyn CustomerReads>,
    pub messaging: Arc<dyn MessagingReads>,
    pub holders: Vec<Arc<dyn PersonalData>>,
}

#[async_trait]
impl CommandHandler<ExportCustomer> for ExportCustomerHandler {
    async fn handle(&self, cmd: &ExportCustomer, uow: &mut dyn UnitOfWork) -> Result<CustomerExport, ExportCustomerError> {
        let customer = self.customers.by_id(cmd.shop_id, cmd.customer_id).await?.ok_or(ExportCustomerError::NotFound)?;
        let (consent, _) = self.customers.consent_ledger(cmd.shop_id, cmd.customer_id, Page { limit: 10_000, offset: 0 }).await?;
        let conv_filter = ConversationFilter { wa_id: Some(customer.wa_id().clone()), ..Default::default() };
        let (conversations, _) = self.messaging.conversations(cmd.shop_id, &conv_filter, Page { limit: 10_000, offset: 0 }).await?;
        let filter = MessageFilter { wa_id: Some(customer.wa_id().clone()), ..Default::default() };
        let mut messages = Vec::new();
        let mut total = 0;
        while (messages.len() as u64) < MAX_EXPORTED_MESSAGES {
            let (page, t) = self.messaging.messages(cmd.shop_id, &filter, Page { limit: 500, offset: messages.len() as u64 }).await?;
            total = t;
            let done = page.len() < 500;
            messages.extend(page);
            if done {
                break;
            }
        }
        let mut sections = Vec::new();
        for holder in &self.holders {
            if let Some(section) = holder.export(cmd.shop_id, cmd.customer_id).await? {
                sections.push((holder.context(), section));
            }
        }
        let audit = AuditEntry::new(
            cmd.shop_id,
            &cmd.actor,
            "customer.exported",
            "customer",
            Some(customer.id().to_string()),
            json!({ "messages": messages.len(), "conversations": conversations.len() }),
            self.clock.now(),
        );
        uow.audit().record(&[audit]).await?;
        Ok(CustomerExport { customer, consent, conversations, messages, messages_total: total, sections })
    }
}
