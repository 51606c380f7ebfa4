//! MarkMessageRead: the business read a customer's message (blue ticks), optionally showing the
//! typing indicator. Meta is told first, with no transaction held; then `RecordRead` stores it.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{CloudApi, MessagingReads};
use crate::accounts::ports::{AccountReads, NumberCredentials};
use crate::messaging::ports::MessagingUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::meta::CloudApiError;
use crate::shared::pipeline::{Command, CommandHandler, Pipeline, RequestContext};
use crate::shared::ports::{CipherError, Clock};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::messaging::{Direction, Message};
use domain::{MessageId, ShopId};

#[derive(Debug, Validate)]
pub struct MarkMessageRead {
    pub shop_id: ShopId,
    pub message_id: MessageId,
    pub typing_indicator: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum MarkReadError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("message not found")]
    MessageNotFound,
    #[error("account not found")]
    AccountNotFound,
    #[error("the account is not active: {0}")]
    AccountNotActive(String),
    #[error("the account's token cannot be decrypted")]
    Cipher(#[source] CipherError),
    #[error("WhatsApp Cloud API error: {error}")]
    WhatsApp {
        #[source]
        error: CloudApiError,
        message_id: MessageId,
    },
    #[error("could not record the read")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(MarkReadError);
crate::credentials_error!(MarkReadError);

/// The recording step, in one transaction.
#[derive(Debug, Validate)]
pub struct RecordRead {
    pub shop_id: ShopId,
    pub message_id: MessageId,
}

impl Command for RecordRead {
    type Output = Message;
    type Error = MarkReadError;
    const NAME: &'static str = "MarkMessageRead";
}

pub struct RecordReadHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordRead> for RecordReadHandler {
    async fn handle(&self, cmd: &RecordRead, uow: &mut dyn UnitOfWork) -> Result<Message, MarkReadError> {
        let now = self.clock.now();
        let mut message = uow.messages().lock(cmd.shop_id, cmd.message_id).await?.ok_or(MarkReadError::MessageNotFound)?;
        let changed = message.mark_read(now).map_err(|e| Invalid::new("messageId", e.to_string()))?;
        if changed {
            uow.messages().update_many(&[&message]).await?;
        }
        // Reading one message reads the earlier ones too, as Meta does; the conversation's unread
        // count follows.
        uow.messages().mark_read_through(message.snapshot().conversation_id, &message, now).await?;
        uow.conversations().recount_unread(message.snapshot().conversation_id).await?;
        Ok(message)
    }
}

/// The whole use case: check, tell Meta, record.
pub struct MarkReadService {
    pub pipeline: Pipeline,
    pub messages: Arc<dyn MessagingReads>,
    pub accounts: Arc<dyn AccountReads>,
    pub credentials: Arc<dyn NumberCredentials>,
    pub cloud: Arc<dyn CloudApi>,
    pub record: RecordReadHandler,
}

impl MarkReadService {
    #[tracing::instrument(name = "mark_read", skip_all, fields(request_id = %ctx.request_id))]
    pub async fn run(&self, ctx: &RequestContext, cmd: MarkMessageRead) -> Result<Message, MarkReadError> {
        cmd.validate().map_err(Invalid::from)?;
        let message = self.messages.message(cmd.shop_id, cmd.message_id).await?.ok_or(MarkReadError::MessageNotFound)?;
        if message.direction() != Direction::Inbound {
            return Err(Invalid::new("messageId", "only a message the customer sent can be marked read").into());
        }
        let wamid = message.wamid().ok_or(MarkReadError::MessageNotFound)?.to_owned();
        let account = self.accounts.account(cmd.shop_id, message.account_id()).await?.ok_or(MarkReadError::AccountNotFound)?;
        account.ensure_can_send().map_err(|e| MarkReadError::AccountNotActive(e.to_string()))?;
        let creds = self.credentials.of(&account).await?.ok_or(MarkReadError::AccountNotFound)?;
        self.cloud
            .mark_read(&creds, &wamid, cmd.typing_indicator)
            .await
            .map_err(|error| MarkReadError::WhatsApp { error, message_id: cmd.message_id })?;
        self.pipeline.execute(ctx, &self.record, RecordRead { shop_id: cmd.shop_id, message_id: cmd.message_id }).await
    }
}
