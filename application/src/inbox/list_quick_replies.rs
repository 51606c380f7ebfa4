//! ListQuickReplies (`GET /api/v1/quick-replies`): the shop's shared quick replies and the
//! caller's own, by shortcut; `q` narrows to shortcuts that start with it (as a composer does
//! after `/`).

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::InboxReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::inbox::QuickReply;
use domain::{MemberId, ShopId};

#[derive(Debug, Validate)]
pub struct ListQuickReplies {
    pub shop_id: ShopId,
    pub caller: Option<MemberId>,
    #[validate(length(min = 1, max = 32))]
    pub prefix: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListQuickRepliesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the quick replies")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListQuickRepliesError);

impl Query for ListQuickReplies {
    type Output = Vec<QuickReply>;
    type Error = ListQuickRepliesError;
    const NAME: &'static str = "ListQuickReplies";
}

pub struct ListQuickRepliesHandler {
    pub reads: Arc<dyn InboxReads>,
}

#[async_trait]
impl QueryHandler<ListQuickReplies> for ListQuickRepliesHandler {
    async fn handle(&self, q: &ListQuickReplies) -> Result<Vec<QuickReply>, ListQuickRepliesError> {
        let prefix = q.prefix.as_deref().map(|p| p.trim().trim_start_matches('/').to_lowercase());
        let prefix = prefix.as_deref().filter(|p| !p.is_empty());
        let mut all = self.reads.quick_replies(q.shop_id, q.caller, prefix).await?;
        // A store may match `_` as any character: keep the exact prefixes only.
        all.retain(|r| prefix.is_none_or(|p| r.shortcut.starts_with(p)));
        Ok(all)
    }
}
