//! MemberConversations (`GET /api/v1/agents/{id}/conversations`): the threads a member holds
//! now (people own them and assigned them to this member, and their time has not run out), the
//! longest held first. Their count is the member's `load`.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::InboxReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use domain::turns::Thread;
use domain::{MemberId, ShopId};

#[derive(Debug, Validate)]
pub struct MemberConversations {
    pub shop_id: ShopId,
    pub member_id: MemberId,
}

#[derive(Debug, thiserror::Error)]
pub enum MemberConversationsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such member")]
    NotFound,
    #[error("could not read the member's conversations")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(MemberConversationsError);

impl Query for MemberConversations {
    type Output = Vec<Thread>;
    type Error = MemberConversationsError;
    const NAME: &'static str = "MemberConversations";
}

pub struct MemberConversationsHandler {
    pub reads: Arc<dyn InboxReads>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl QueryHandler<MemberConversations> for MemberConversationsHandler {
    async fn handle(&self, q: &MemberConversations) -> Result<Vec<Thread>, MemberConversationsError> {
        self.reads.threads_of_member(q.shop_id, q.member_id, self.clock.now()).await?.ok_or(MemberConversationsError::NotFound)
    }
}
