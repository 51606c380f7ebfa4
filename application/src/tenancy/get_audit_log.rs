//! GetAuditLogQuery: who did what to the shop's data, newest first (admins).

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use crate::shared::audit::{AuditEntry, AuditReads};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::{Page, Paged, RepoError};
use domain::ShopId;

#[derive(Debug, Validate)]
pub struct GetAuditLog {
    pub shop_id: ShopId,
    #[validate(length(min = 1, max = 64, message = "must be 1 to 64 characters"))]
    pub action: Option<String>,
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub limit: u64,
    #[validate(range(max = 1_000_000, message = "must be at most 1000000"))]
    pub offset: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum GetAuditLogError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the audit log")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetAuditLogError);

impl Query for GetAuditLog {
    type Output = Paged<AuditEntry>;
    type Error = GetAuditLogError;
    const NAME: &'static str = "GetAuditLog";
}

pub struct GetAuditLogHandler {
    pub reads: Arc<dyn AuditReads>,
}

#[async_trait]
impl QueryHandler<GetAuditLog> for GetAuditLogHandler {
    async fn handle(&self, q: &GetAuditLog) -> Result<Paged<AuditEntry>, GetAuditLogError> {
        let page = Page { limit: q.limit, offset: q.offset };
        let (items, total) = self.reads.list(q.shop_id, q.action.as_deref(), page).await?;
        Ok(Paged::new(items, total, page))
    }
}
