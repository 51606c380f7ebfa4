//! RecordFirstAnswer: what a named send (`Idempotency-Key`) answered its caller, kept so that a
//! retry with the same key and request gets the same status and body.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use crate::messaging::ports::MessagingUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::ShopId;
use domain::messaging::{FirstAnswer, IdempotencyKey};

#[derive(Debug, Validate)]
pub struct RecordFirstAnswer {
    pub shop_id: ShopId,
    pub key: IdempotencyKey,
    pub answer: FirstAnswer,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordFirstAnswerError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not keep the send's answer")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RecordFirstAnswerError);

impl Command for RecordFirstAnswer {
    type Output = ();
    type Error = RecordFirstAnswerError;
    const NAME: &'static str = "RecordFirstAnswer";
}

pub struct RecordFirstAnswerHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordFirstAnswer> for RecordFirstAnswerHandler {
    async fn handle(&self, cmd: &RecordFirstAnswer, uow: &mut dyn UnitOfWork) -> Result<(), RecordFirstAnswerError> {
        uow.idempotency().answer(cmd.shop_id, &cmd.key, &cmd.answer).await?;
        Ok(())
    }
}
