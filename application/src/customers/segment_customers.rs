//! GetSegmentCustomersQuery: the customers of a segment now, sorted and paginated.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{CustomerReads, CustomerSort};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::{Page, Paged, RepoError};
use domain::ShopId;
use domain::customers::Customer;

#[derive(Debug, Validate)]
pub struct SegmentCustomers {
    pub shop_id: ShopId,
    pub id: uuid::Uuid,
    pub sort: CustomerSort,
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub limit: u64,
    #[validate(range(max = 1_000_000, message = "must be at most 1000000"))]
    pub offset: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SegmentCustomersError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such segment in this shop")]
    NotFound,
    #[error("could not read the segment's customers")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(SegmentCustomersError);

impl Query for SegmentCustomers {
    type Output = Paged<Customer>;
    type Error = SegmentCustomersError;
    const NAME: &'static str = "GetSegmentCustomers";
}

pub struct SegmentCustomersHandler {
    pub reads: Arc<dyn CustomerReads>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl QueryHandler<SegmentCustomers> for SegmentCustomersHandler {
    async fn handle(&self, q: &SegmentCustomers) -> Result<Paged<Customer>, SegmentCustomersError> {
        let segment = self.reads.segment(q.shop_id, q.id).await?.ok_or(SegmentCustomersError::NotFound)?;
        let defs = self.reads.field_definitions(q.shop_id).await?;
        let audience = segment.audience(&defs).map_err(Invalid::from)?;
        let page = Page { limit: q.limit, offset: q.offset };
        let (items, total) = self.reads.list(q.shop_id, &audience, q.sort, page, self.clock.now()).await?;
        Ok(Paged::new(items, total, page))
    }
}
