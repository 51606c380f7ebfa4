//! RecordPeopleAnswers: people (a caller of the API, a teammate) answered customers: their
//! threads stop waiting, and people keep the threads they own for the shop's hand-back time
//! from now. Fed by the `thread-activity` consumer from `message.sent` (an outbox subscription:
//! messaging knows nothing of threads).

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::TurnsUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::tenancy::ports::TenancyUnitOfWork;
use domain::{AccountId, ShopId, WaId};

#[derive(Debug, Validate)]
pub struct RecordPeopleAnswers {
    /// (shop, number, customer) of each answer.
    pub answers: Vec<(ShopId, AccountId, WaId)>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordPeopleAnswersError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not record people's answers")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RecordPeopleAnswersError);

impl Command for RecordPeopleAnswers {
    /// Threads touched.
    type Output = u64;
    type Error = RecordPeopleAnswersError;
    const NAME: &'static str = "RecordPeopleAnswers";
}

pub struct RecordPeopleAnswersHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordPeopleAnswers> for RecordPeopleAnswersHandler {
    async fn handle(&self, cmd: &RecordPeopleAnswers, uow: &mut dyn UnitOfWork) -> Result<u64, RecordPeopleAnswersError> {
        let now = self.clock.now();
        let mut keys: Vec<(AccountId, WaId)> = cmd.answers.iter().map(|(_, a, w)| (*a, w.clone())).collect();
        keys.sort();
        keys.dedup();
        let threads = uow.threads().lock_many(&keys).await?;
        let mut shops: Vec<ShopId> = threads.iter().map(|t| t.snapshot().shop_id).collect();
        shops.sort();
        shops.dedup();
        let settings = uow.shops().settings_of(&shops).await?;
        let mut n = 0;
        for mut t in threads {
            let hold = settings.get(&t.snapshot().shop_id).cloned().unwrap_or_default().hand_back();
            t.answered_by_people(hold, now);
            uow.threads().save(&t).await?;
            n += 1;
        }
        Ok(n)
    }
}
