//! ListNotes (`GET /api/v1/conversations/{id}/notes`): a conversation's internal notes, oldest
//! first.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::InboxReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::inbox::Note;
use domain::{ConversationId, ShopId};

#[derive(Debug, Validate)]
pub struct ListNotes {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    #[validate(range(min = 1, max = 500))]
    pub limit: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ListNotesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such conversation")]
    NotFound,
    #[error("could not read the notes")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListNotesError);

impl Query for ListNotes {
    type Output = Vec<Note>;
    type Error = ListNotesError;
    const NAME: &'static str = "ListNotes";
}

pub struct ListNotesHandler {
    pub reads: Arc<dyn InboxReads>,
}

#[async_trait]
impl QueryHandler<ListNotes> for ListNotesHandler {
    async fn handle(&self, q: &ListNotes) -> Result<Vec<Note>, ListNotesError> {
        self.reads.notes(q.shop_id, q.conversation_id, q.limit).await?.ok_or(ListNotesError::NotFound)
    }
}
