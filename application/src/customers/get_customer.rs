//! GetCustomerQuery: one customer, by id, by `waId` or by `userId`. (The HTTP view adds their
//! conversations from messaging's own query: the two contexts stay apart.)

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::CustomerReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::customers::Customer;
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
    type Output = Customer;
    type Error = GetCustomerError;
    const NAME: &'static str = "GetCustomer";
}

pub struct GetCustomerHandler {
    pub reads: Arc<dyn CustomerReads>,
}

#[async_trait]
impl QueryHandler<GetCustomer> for GetCustomerHandler {
    async fn handle(&self, q: &GetCustomer) -> Result<Customer, GetCustomerError> {
        match &q.key {
            CustomerKey::Id(id) => self.reads.by_id(q.shop_id, *id).await?,
            CustomerKey::WaId(wa) => self.reads.by_wa_id(q.shop_id, wa).await?,
            CustomerKey::UserId(u) => self.reads.by_user_id(q.shop_id, u).await?,
        }
        .ok_or(GetCustomerError::NotFound)
    }
}
