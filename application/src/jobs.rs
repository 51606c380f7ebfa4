//! Periodic jobs (seed 002's background jobs). Each runs once per tick across all replicas
//! (the runner in `api::workers` holds a lease) and takes `now` as input, so tests inject time.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use validator::Validate;

use crate::error::AppError;
use crate::pipeline::{Command, CommandHandler};
use crate::ports::{Clock, UnitOfWork};
use domain::window;

/// ConversationExpiryJob: close active conversations whose window has expired, emitting
/// `conversation.closed` (reason `expired`).
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

impl Command for ExpireConversations {
    type Output = ExpiryOutcome;
    const NAME: &'static str = "ConversationExpiryJob";
}

pub struct JobHandlers {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<ExpireConversations> for JobHandlers {
    async fn handle(&self, cmd: ExpireConversations, uow: &mut dyn UnitOfWork) -> Result<ExpiryOutcome, AppError> {
        // Any expired window started at least 24 h before now; the aggregate decides the rest
        // (the 72-hour free entry point included).
        let before = cmd.now - window::customer_service_window();
        let candidates = uow.stale_active_conversations(before, cmd.limit).await?;
        let mut out = ExpiryOutcome { examined: candidates.len() as u64, expired: 0 };
        let mut events = Vec::new();
        for mut c in candidates {
            if let Some(e) = c.check_expiry(cmd.now) {
                uow.save_conversation(&c, false).await?;
                events.push(e);
                out.expired += 1;
            }
        }
        uow.append(&events, self.clock.now()).await?;
        Ok(out)
    }
}

/// How long an outbound message may stay without a final status before it is flagged.
pub fn stuck_after() -> Duration {
    Duration::hours(24)
}
