//! ConversationExpiryJob: close active conversations whose window has expired, emitting
//! `conversation.closed` (reason `expired`). Runs once per tick across all replicas (the runner
//! holds a lease) and takes `now` as input, so tests inject time.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use validator::Validate;

use crate::messaging::ports::MessagingUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::Events;
use domain::messaging::{Conversation, window};

#[derive(Debug, Validate)]
pub struct ExpireConversations {
    pub now: DateTime<Utc>,
    #[validate(range(min = 1, max = 10_000))]
    pub limit: u64,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExpiryOutcome {
    pub examined: u64,
    pub expired: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExpireConversationsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not expire conversations")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ExpireConversationsError);

impl Command for ExpireConversations {
    type Output = ExpiryOutcome;
    type Error = ExpireConversationsError;
    const NAME: &'static str = "ConversationExpiryJob";
}

pub struct ExpireConversationsHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<ExpireConversations> for ExpireConversationsHandler {
    async fn handle(&self, cmd: &ExpireConversations, uow: &mut dyn UnitOfWork) -> Result<ExpiryOutcome, ExpireConversationsError> {
        // Any expired window started at least 24 h before now; the aggregate decides the rest
        // (the 72-hour free entry point included).
        let before = cmd.now - window::customer_service_window();
        let mut candidates = uow.conversations().lock_stale_active(before, cmd.limit).await?;
        let mut out = ExpiryOutcome { examined: candidates.len() as u64, expired: 0 };
        let mut events = Events::new();
        let mut expired: Vec<&Conversation> = Vec::new();
        for c in candidates.iter_mut() {
            events.push_opt(c.check_expiry(cmd.now));
        }
        for c in &candidates {
            if !c.is_active() {
                expired.push(c);
            }
        }
        out.expired = expired.len() as u64;
        if !expired.is_empty() {
            uow.conversations().update_many(&expired).await?;
        }
        uow.outbox().append(&events, self.clock.now()).await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::routed::Routed;
    use crate::messaging::receive_messages::{ReceiveMessages, ReceiveMessagesHandler};
    use crate::testing::{BUSINESS, PNID, Scenario, text_from};

    #[tokio::test]
    async fn given_a_customer_wrote_when_24_hours_pass_then_the_conversation_expires_once() {
        let s = Scenario::new();
        let account = Arc::new(s.given_account(BUSINESS, PNID).await);
        let msg = text_from("5511987654321", "wamid.1", s.now(), "oi");
        s.when(&ReceiveMessagesHandler { clock: s.clock() }, ReceiveMessages { messages: vec![Routed { account, item: msg }] })
            .await
            .unwrap();
        s.then_events();
        let h = ExpireConversationsHandler { clock: s.clock() };
        let at = |hours| ExpireConversations { now: s.now() + chrono::Duration::hours(hours), limit: 100 };
        assert_eq!(s.when(&h, at(23)).await.unwrap().expired, 0);
        s.clock.advance(chrono::Duration::hours(24));
        assert_eq!(s.when(&h, at(0)).await.unwrap(), ExpiryOutcome { examined: 1, expired: 1 });
        assert_eq!(s.when(&h, at(1)).await.unwrap().examined, 0, "expired once");
        let events = s.then_stored_events();
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].event_type, events[0].data["reason"].as_str()), ("conversation.closed", Some("expired")));
    }
}
