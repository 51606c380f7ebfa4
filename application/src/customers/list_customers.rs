//! GetCustomersQuery: a shop's customers, newest first, optionally matching a text (name,
//! `waId` or `userId`). Filters by tags, custom fields, consent and segments arrive with the
//! rest of the CRM.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::CustomerReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::{Page, Paged, RepoError};
use domain::ShopId;
use domain::customers::Customer;

#[derive(Debug, Validate)]
pub struct ListCustomers {
    pub shop_id: ShopId,
    /// Part of a name, `waId` or `userId`, case-insensitive.
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub search: Option<String>,
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub limit: u64,
    #[validate(range(max = 1_000_000, message = "must be at most 1000000"))]
    pub offset: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ListCustomersError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the customers")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListCustomersError);

impl Query for ListCustomers {
    type Output = Paged<Customer>;
    type Error = ListCustomersError;
    const NAME: &'static str = "GetCustomers";
}

pub struct ListCustomersHandler {
    pub reads: Arc<dyn CustomerReads>,
}

#[async_trait]
impl QueryHandler<ListCustomers> for ListCustomersHandler {
    async fn handle(&self, q: &ListCustomers) -> Result<Paged<Customer>, ListCustomersError> {
        let page = Page { limit: q.limit, offset: q.offset };
        let (items, total) = self.reads.list(q.shop_id, q.search.as_deref(), page).await?;
        Ok(Paged::new(items, total, page))
    }
}
