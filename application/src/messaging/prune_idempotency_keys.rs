//! PruneIdempotencyKeys: sends' idempotency keys are remembered for 24 hours; the hourly job
//! forgets older ones, a batch per transaction.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use crate::messaging::ports::MessagingUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::messaging::idempotency::IDEMPOTENCY_TTL;

#[derive(Debug, Validate)]
pub struct PruneIdempotencyKeys {
    #[validate(range(min = 1, max = 10_000, message = "must be 1 to 10000"))]
    pub batch: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PruneIdempotencyKeysError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not forget old idempotency keys")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(PruneIdempotencyKeysError);

impl Command for PruneIdempotencyKeys {
    /// How many keys were forgotten (fewer than the batch: none are left).
    type Output = u64;
    type Error = PruneIdempotencyKeysError;
    const NAME: &'static str = "PruneIdempotencyKeys";
}

pub struct PruneIdempotencyKeysHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<PruneIdempotencyKeys> for PruneIdempotencyKeysHandler {
    async fn handle(&self, cmd: &PruneIdempotencyKeys, uow: &mut dyn UnitOfWork) -> Result<u64, PruneIdempotencyKeysError> {
        Ok(uow.idempotency().prune(self.clock.now() - IDEMPOTENCY_TTL, cmd.batch).await?)
    }
}
