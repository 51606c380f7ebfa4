//! GetSegmentsQuery: the shop's segments, each with its live count; or one segment.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use validator::Validate;

use super::ports::CustomerReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use domain::ShopId;
use domain::customers::Segment;

#[derive(Debug, Validate)]
pub struct GetSegments {
    pub shop_id: ShopId,
    /// One segment, or all of them.
    pub id: Option<uuid::Uuid>,
}

/// A segment and how many customers are in it now.
#[derive(Debug, Clone)]
pub struct CountedSegment {
    pub segment: Segment,
    pub count: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum GetSegmentsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such segment in this shop")]
    NotFound,
    #[error("could not read the segments")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetSegmentsError);

impl Query for GetSegments {
    type Output = Vec<CountedSegment>;
    type Error = GetSegmentsError;
    const NAME: &'static str = "GetSegments";
}

/// Segment counts run at once for one list (each holds a pooled connection while it runs).
const COUNTS_AT_ONCE: usize = 4;

pub struct GetSegmentsHandler {
    pub reads: Arc<dyn CustomerReads>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl QueryHandler<GetSegments> for GetSegmentsHandler {
    async fn handle(&self, q: &GetSegments) -> Result<Vec<CountedSegment>, GetSegmentsError> {
        let segments = match q.id {
            Some(id) => vec![self.reads.segment(q.shop_id, id).await?.ok_or(GetSegmentsError::NotFound)?],
            None => self.reads.segments(q.shop_id).await?,
        };
        let defs = self.reads.field_definitions(q.shop_id).await?;
        let now = self.clock.now();
        let audiences = segments
            .into_iter()
            .map(|segment| segment.audience(&defs).map(|audience| (segment, audience)).map_err(Invalid::from))
            .collect::<Result<Vec<_>, _>>()?;
        // Each count is one statement on its own connection: a list of segments takes the time of
        // its slowest few, not the sum (in the list's order).
        futures_util::stream::iter(audiences)
            .map(|(segment, audience)| async move {
                let count = self.reads.count(q.shop_id, &audience, now).await?;
                Ok::<_, GetSegmentsError>(CountedSegment { segment, count })
            })
            .buffered(COUNTS_AT_ONCE)
            .try_collect()
            .await
    }
}
