//! GetCustomerQuery with GetCustomerConversationHistoryQuery: one customer, by id or by `waId`,
//! with their conversations (newest first, at most 50).

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::CustomerReads;
use crate::messaging::ports::{ConversationFilter, MessagingReads};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::{Page, RepoError};
use domain::customers::Customer;
use domain::messaging::Conversation;
use domain::{CustomerId, ShopId, WaId};

#[derive(Debug, Clone)]
pub enum CustomerKey {
    Id(CustomerId),
    WaId(WaId),
    /// The id a sibling service gave the customer.
    UserId(String),
}

#[derive(Debug, Validate)]
pub struct GetCustomer {
    pub shop_id: ShopId,
    pub key: CustomerKey,
}

#[derive(Debug, Clone)]
pub struct CustomerView {
    pub customer: Customer,
    pub conversations: Vec<Conversation>,
    pub conversations_total: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum GetCustomerError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such customer in this shop")]
    NotFound,
    #[error("could not read the customer")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetCustomerError);

impl Query for GetCustomer {
    type Output = CustomerView;
    type Error = GetCustomerError;
    const NAME: &'static str = "GetCustomer";
}

pub struct GetCustomerHandler {
    pub reads: Arc<dyn CustomerReads>,
    pub conversations: Arc<dyn MessagingReads>,
}

#[async_trait]
impl QueryHandler<GetCustomer> for GetCustomerHandler {
    async fn handle(&self, q: &GetCustomer) -> Result<CustomerView, GetCustomerError> {
        let customer = match &q.key {
            CustomerKey::Id(id) => self.reads.by_id(q.shop_id, *id).await?,
            CustomerKey::WaId(wa) => self.reads.by_wa_id(q.shop_id, wa).await?,
            CustomerKey::UserId(u) => self.reads.by_user_id(q.shop_id, u).await?,
        }
        .ok_or(GetCustomerError::NotFound)?;
        let filter = ConversationFilter { status: None, wa_id: Some(customer.wa_id().clone()), account_id: None };
        let (conversations, conversations_total) =
            self.conversations.conversations(q.shop_id, &filter, Page { limit: 50, offset: 0 }).await?;
        Ok(CustomerView { customer, conversations, conversations_total })
    }
}
