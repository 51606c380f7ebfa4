//! GetMessage: one message with its delivery status.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::MessagingReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::messaging::Message;
use domain::{MessageId, ShopId};

#[derive(Debug, Validate)]
pub struct GetMessage {
    pub shop_id: ShopId,
    pub message_id: MessageId,
}

#[derive(Debug, thiserror::Error)]
pub enum GetMessageError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("message not found")]
    NotFound,
    #[error("could not read the message")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetMessageError);

impl Query for GetMessage {
    type Output = Message;
    type Error = GetMessageError;
    const NAME: &'static str = "GetMessage";
}

pub struct GetMessageHandler {
    pub reads: Arc<dyn MessagingReads>,
}

#[async_trait]
impl QueryHandler<GetMessage> for GetMessageHandler {
    async fn handle(&self, q: &GetMessage) -> Result<Message, GetMessageError> {
        self.reads.message(q.shop_id, q.message_id).await?.ok_or(GetMessageError::NotFound)
    }
}
