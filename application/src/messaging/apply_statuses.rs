//! ApplyStatuses: Meta's delivery statuses (sent, delivered, read, failed) for messages the
//! business sent. Set-based: the new reports are recorded with one insert (a redelivered one is
//! skipped), their messages are read in one locking query and written back in one update.
//! Statuses only move forward (`failed` wins), so any arrival order ends in the same status. A
//! status for a wamid not recorded yet stays stored and is applied when the send is recorded.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::StatusRecord;
use super::receive_messages::Routed;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::messaging::{Message, MessageStatus, StatusUpdate};
use domain::{Events, MessageId};

#[derive(Validate)]
pub struct ApplyStatuses {
    /// In the order Meta delivered them.
    pub statuses: Vec<Routed<StatusUpdate>>,
}

impl fmt::Debug for ApplyStatuses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplyStatuses").field("statuses", &self.statuses.len()).finish()
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StatusOutcome {
    pub applied: u32,
    pub duplicates: u32,
    /// Statuses that did not move the message forward (late or out of order).
    pub stale: u32,
    /// Statuses for a wamid not recorded yet (applied when the send is recorded).
    pub early: u32,
    /// Wamids of statuses that came through another number than their message's (ignored).
    pub foreign: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyStatusesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not store the statuses")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ApplyStatusesError);

impl Command for ApplyStatuses {
    type Output = StatusOutcome;
    type Error = ApplyStatusesError;
    const NAME: &'static str = "ApplyStatuses";
}

pub struct ApplyStatusesHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<ApplyStatuses> for ApplyStatusesHandler {
    async fn handle(&self, cmd: &ApplyStatuses, uow: &mut dyn UnitOfWork) -> Result<StatusOutcome, ApplyStatusesError> {
        let now = self.clock.now();
        let mut out = StatusOutcome::default();
        if cmd.statuses.is_empty() {
            return Ok(out);
        }
        let mut records: Vec<StatusRecord> = cmd
            .statuses
            .iter()
            .map(|s| StatusRecord {
                wamid: s.item.wamid.clone(),
                status: s.item.status,
                occurred_at: s.item.timestamp,
                payload: s.item.raw.clone(),
            })
            .collect();
        // In key order, so concurrent transactions queue on the unique rule instead of deadlocking.
        records.sort_by(|a, b| (&a.wamid, a.status.as_str()).cmp(&(&b.wamid, b.status.as_str())));
        let new: HashSet<(String, MessageStatus)> = uow.messages().insert_statuses(&records, now).await?.into_iter().collect();
        // Each new report once, in Meta's order.
        let mut applied_once = HashSet::new();
        let fresh: Vec<&Routed<domain::messaging::StatusUpdate>> = cmd
            .statuses
            .iter()
            .filter(|s| {
                let k = (s.item.wamid.clone(), s.item.status);
                new.contains(&k) && applied_once.insert(k)
            })
            .collect();
        out.duplicates = (cmd.statuses.len() - fresh.len()) as u32;
        let mut wamids: Vec<String> = fresh.iter().map(|s| s.item.wamid.clone()).collect();
        wamids.sort();
        wamids.dedup();
        let mut by_wamid: HashMap<String, Message> = if wamids.is_empty() {
            HashMap::new()
        } else {
            uow.messages().lock_by_wamids(&wamids).await?.into_iter().filter_map(|m| Some((m.wamid()?.to_owned(), m))).collect()
        };
        let mut events = Events::new();
        let mut dirty: Vec<MessageId> = Vec::new();
        for s in fresh {
            let Some(m) = by_wamid.get_mut(&s.item.wamid) else {
                out.early += 1;
                continue;
            };
            if m.account_id() != s.account.id() {
                out.foreign.push(s.item.wamid.clone());
                continue;
            }
            let before = m.snapshot().clone();
            match m.apply_status(s.item.status, s.item.error.clone(), s.item.pricing.clone(), s.item.timestamp, now) {
                Some(e) => {
                    events.push(e);
                    out.applied += 1;
                }
                None => out.stale += 1,
            }
            if *m.snapshot() != before {
                dirty.push(m.id());
            }
        }
        dirty.sort();
        dirty.dedup();
        let changed: Vec<&Message> = by_wamid.values().filter(|m| dirty.binary_search(&m.id()).is_ok()).collect();
        if !changed.is_empty() {
            uow.messages().update_many(&changed).await?;
        }
        uow.outbox().append(&events, now).await?;
        Ok(out)
    }
}
