//! GetCustomerConsentQuery: a customer's consent state per purpose and the ledger behind it,
//! newest first.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::CustomerReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::{Page, Paged, RepoError};
use domain::customers::{ConsentEntry, ConsentState};
use domain::{CustomerId, ShopId};

#[derive(Debug, Validate)]
pub struct GetConsent {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub limit: u64,
    #[validate(range(max = 1_000_000, message = "must be at most 1000000"))]
    pub offset: u64,
}

#[derive(Debug, Clone)]
pub struct ConsentView {
    pub state: ConsentState,
    pub entries: Paged<ConsentEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum GetConsentError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such customer in this shop")]
    NotFound,
    #[error("could not read the consent ledger")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetConsentError);

impl Query for GetConsent {
    type Output = ConsentView;
    type Error = GetConsentError;
    const NAME: &'static str = "GetCustomerConsent";
}

pub struct GetConsentHandler {
    pub reads: Arc<dyn CustomerReads>,
}

#[async_trait]
impl QueryHandler<GetConsent> for GetConsentHandler {
    async fn handle(&self, q: &GetConsent) -> Result<ConsentView, GetConsentError> {
        let customer = self.reads.by_id(q.shop_id, q.customer_id).await?.ok_or(GetConsentError::NotFound)?;
        let page = Page { limit: q.limit, offset: q.offset };
        let (items, total) = self.reads.consent_ledger(q.shop_id, q.customer_id, page).await?;
        Ok(ConsentView { state: *customer.consent(), entries: Paged::new(items, total, page) })
    }
}
