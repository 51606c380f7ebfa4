//! RecordUserPreferences: Meta's `user_preferences` webhook (a customer stopped or resumed
//! marketing messages in WhatsApp itself) becomes a consent entry for marketing from `meta`.
//! Runs inside the inbound batch; a customer Meta names for the first time is created.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use validator::Validate;

use super::identify::{Contact, identify};
use crate::accounts::routed::Routed;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::customers::{ConsentChange, ConsentSource, OptInStatus, Purpose};
use domain::{Events, WaId};

/// One `user_preferences` item: `category` `marketing_messages`, `value` `stop` or `resume`.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPreference {
    pub wa_id: WaId,
    pub category: String,
    pub value: String,
    pub detail: Option<String>,
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Validate)]
pub struct RecordUserPreferences {
    pub preferences: Vec<Routed<UserPreference>>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PreferencesOutcome {
    pub changed: u32,
    /// Items of a category or value this service does not know (kept in the stored delivery).
    pub ignored: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordUserPreferencesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not record the preferences")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RecordUserPreferencesError);

impl Command for RecordUserPreferences {
    type Output = PreferencesOutcome;
    type Error = RecordUserPreferencesError;
    const NAME: &'static str = "RecordUserPreferences";
}

pub struct RecordUserPreferencesHandler {
    pub clock: Arc<dyn Clock>,
}

fn status_of(p: &UserPreference) -> Option<OptInStatus> {
    if p.category != "marketing_messages" {
        return None;
    }
    match p.value.to_ascii_lowercase().as_str() {
        "stop" => Some(OptInStatus::OptedOut),
        "resume" => Some(OptInStatus::OptedIn),
        _ => None,
    }
}

#[async_trait]
impl CommandHandler<RecordUserPreferences> for RecordUserPreferencesHandler {
    async fn handle(
        &self,
        cmd: &RecordUserPreferences,
        uow: &mut dyn UnitOfWork,
    ) -> Result<PreferencesOutcome, RecordUserPreferencesError> {
        let now = self.clock.now();
        let mut out = PreferencesOutcome::default();
        let mut known: Vec<(&Routed<UserPreference>, OptInStatus)> = Vec::new();
        for p in &cmd.preferences {
            match status_of(&p.item) {
                Some(s) => known.push((p, s)),
                None => out.ignored += 1,
            }
        }
        if known.is_empty() {
            return Ok(out);
        }
        // In Meta's time order: a stop and a resume in one batch end as Meta saw them.
        known.sort_by_key(|(p, _)| p.item.timestamp);
        let contacts: Vec<Contact> = known
            .iter()
            .map(|(p, _)| Contact {
                shop_id: p.account.shop_id(),
                wa_id: p.item.wa_id.clone(),
                profile_name: None,
                inbound_at: None,
                user_id: None,
            })
            .collect();
        let identified = identify(uow, &contacts, now).await?;
        let mut events = Events::new();
        for (_, e) in identified.created {
            events.append(e);
        }
        let changes: Vec<_> = known
            .iter()
            .map(|(p, status)| {
                let change = ConsentChange {
                    purpose: Purpose::Marketing,
                    status: *status,
                    source: ConsentSource::Meta,
                    evidence: Some(format!("user_preferences {} at {}", p.item.value, p.item.timestamp.to_rfc3339())),
                    actor: None,
                };
                ((p.account.shop_id(), p.item.wa_id.clone()), change)
            })
            .collect();
        let (recorded, consent_events) = super::identify::record_consent_signals(uow, &changes, now).await?;
        events.append(consent_events);
        out.changed = recorded.iter().filter(|r| r.is_some()).count() as u32;
        uow.outbox().append(&events, now).await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{BUSINESS, PNID, Scenario};

    #[tokio::test]
    async fn given_meta_says_stop_then_resume_then_the_customer_ends_opted_in_with_two_entries() {
        let s = Scenario::new();
        let account = Arc::new(s.given_account(BUSINESS, PNID).await);
        let pref = |value: &str, secs: i64| Routed {
            account: account.clone(),
            item: UserPreference {
                wa_id: WaId::parse("5511987654321").unwrap(),
                category: "marketing_messages".into(),
                value: value.into(),
                detail: None,
                timestamp: s.now() + chrono::Duration::seconds(secs),
            },
        };
        let h = RecordUserPreferencesHandler { clock: s.clock() };
        // Delivered out of order: resume (later) first.
        let out =
            s.when(&h, RecordUserPreferences { preferences: vec![pref("resume", 10), pref("stop", 5), pref("pause", 1)] }).await.unwrap();
        assert_eq!(out, PreferencesOutcome { changed: 2, ignored: 1 });
        assert_eq!(s.then_events(), ["customer.created", "customer.opt_in.changed", "customer.opt_in.changed"]);
        let c = s.memory.read(|st| st.customers.values().next().unwrap().clone());
        assert_eq!(c.consent().marketing.status, OptInStatus::OptedIn);
        assert_eq!(c.consent().marketing.source, Some(ConsentSource::Meta));
        assert_eq!(s.memory.read(|st| st.consent_ledger.len()), 2);
    }
}
