//! ThreadOwnerExpiryJob: owners whose time ran out hand their threads back to nobody (the
//! responders answer again), emitting `conversation.owner.changed` (reason `expired`). Threads
//! another transaction holds are skipped until the next tick.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use validator::Validate;

use super::ports::TurnsUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::Events;
use domain::turns::TurnEvent;

#[derive(Debug, Validate)]
pub struct ExpireOwners {
    pub now: DateTime<Utc>,
    #[validate(range(min = 1, max = 10_000))]
    pub limit: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExpireOwnersError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not hand threads back")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ExpireOwnersError);

impl Command for ExpireOwners {
    /// Threads handed back.
    type Output = u64;
    type Error = ExpireOwnersError;
    const NAME: &'static str = "ThreadOwnerExpiryJob";
}

pub struct ExpireOwnersHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<ExpireOwners> for ExpireOwnersHandler {
    async fn handle(&self, cmd: &ExpireOwners, uow: &mut dyn UnitOfWork) -> Result<u64, ExpireOwnersError> {
        let _ = &self.clock;
        let mut events = Events::new();
        let mut n = 0;
        for mut thread in uow.threads().lock_expired(cmd.now, cmd.limit).await? {
            if let Some(e) = thread.expire(cmd.now) {
                events.push(TurnEvent::from(e));
                uow.threads().save(&thread).await?;
                n += 1;
            }
        }
        uow.outbox().append(&events, cmd.now).await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Scenario;
    use domain::turns::Thread;
    use domain::{AccountId, ConversationId, CustomerId, ShopId, WaId};

    #[tokio::test]
    async fn given_people_own_a_quiet_thread_when_their_time_runs_out_then_it_is_handed_back_once() {
        let s = Scenario::new();
        let now = s.now();
        let mut t = Thread::new(
            ShopId::new(),
            AccountId::new(),
            CustomerId::new(),
            WaId::parse("5511987654321").unwrap(),
            ConversationId::new(),
            now,
        );
        t.hand_to_people(None, "no_responder", chrono::Duration::hours(24), now);
        let stored = Thread::restore(domain::turns::ThreadSnapshot { version: 1, ..t.snapshot().clone() });
        s.memory.write(|st| st.threads.insert(t.id(), stored));
        let h = ExpireOwnersHandler { clock: s.clock() };
        assert_eq!(s.when(&h, ExpireOwners { now: now + chrono::Duration::hours(23), limit: 10 }).await.unwrap(), 0);
        assert_eq!(s.when(&h, ExpireOwners { now: now + chrono::Duration::hours(24), limit: 10 }).await.unwrap(), 1);
        assert_eq!(s.then_events(), ["conversation.owner.changed"]);
        assert_eq!(s.when(&h, ExpireOwners { now: now + chrono::Duration::hours(25), limit: 10 }).await.unwrap(), 0, "once");
    }
}
