//! ApplyStatuses: Meta's delivery statuses (sent, delivered, read, failed) for messages the
//! business sent. Set-based: the new reports are recorded with one insert (a redelivered one is
//! skipped), their messages are read in one locking query and written back in one update.
//! Statuses only move forward (`failed` wins), so any arrival order ends in the same status. A
//! status for a wamid not recorded yet stays stored and is applied when the send is recorded.
//! A status for a send whose answer was lost (failed as "outcome unknown", no wamid) names it by
//! our id in `biz_opaque_callback_data`: the send is recovered (its wamid recorded, an event
//! `message.recovered`) and the status applied.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::StatusRecord;
use crate::accounts::routed::Routed;
use crate::messaging::ports::MessagingUnitOfWork;
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
    /// Sends whose answer was lost, linked by the id Meta echoed.
    pub recovered: u32,
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

/// What a status record keeps of Meta's status object: what applying it later needs (its error
/// and its pricing). The whole delivery stays in the webhook inbox.
fn kept(raw: &serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for key in ["errors", "pricing"] {
        if let Some(v) = raw.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    serde_json::Value::Object(out)
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
                payload: kept(&s.item.raw),
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
        // Sends whose answer was lost: Meta echoes our id, so their statuses can still be linked.
        let named =
            |s: &&Routed<StatusUpdate>| s.item.callback_data.as_deref().and_then(|c| c.parse::<uuid::Uuid>().ok()).map(MessageId::from);
        let mut lost: Vec<MessageId> = fresh.iter().filter(|s| !by_wamid.contains_key(&s.item.wamid)).filter_map(named).collect();
        lost.sort();
        lost.dedup();
        if !lost.is_empty() {
            for mut m in uow.messages().lock_many(&lost).await? {
                // The first status naming it (in Meta's order) carries its wamid.
                let Some(s) = fresh.iter().find(|s| named(s) == Some(m.id()) && !by_wamid.contains_key(&s.item.wamid)) else { continue };
                if m.account_id() != s.account.id() {
                    // Another tenant's number cannot claim this message.
                    out.foreign.push(s.item.wamid.clone());
                    continue;
                }
                if let Ok(e) = m.recover(s.item.wamid.clone(), now) {
                    events.push(e);
                    out.recovered += 1;
                    dirty.push(m.id());
                    by_wamid.insert(s.item.wamid.clone(), m);
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::ports::SendReceipt;
    use crate::messaging::record_delivery_outcomes::{DeliveryOutcome, RecordDeliveryOutcomes, RecordOutcomesHandler};
    use crate::messaging::send_message::{SendMessage, SendMessageHandler};
    use crate::testing::{BUSINESS, PNID, Scenario};
    use domain::PhoneNumber;
    use domain::accounts::WhatsAppAccount;
    use domain::messaging::TemplateRef;

    /// A template queued for a customer (not sent yet).
    async fn given_a_queued_template(s: &Scenario) -> Message {
        let send = SendMessage {
            shop_id: s.shop,
            via: crate::messaging::send_message::Via::Numbers {
                from: PhoneNumber::parse(BUSINESS).unwrap(),
                to: PhoneNumber::parse("+5511987654321").unwrap(),
            },
            content: None,
            template: Some(TemplateRef { name: "order_update".into(), language: "en_US".into(), components: vec![] }),
            force_template: true,
            user_id: None,
            reply_to: None,
            idempotency: None,
            sent_by: domain::messaging::Sender::System("test".into()),
        };
        s.when(&SendMessageHandler { clock: s.clock() }, send).await.unwrap().queued().unwrap()
    }

    async fn given_a_sent_template(s: &Scenario, wamid: &str) -> Message {
        let m = given_a_queued_template(s).await;
        let outcome = DeliveryOutcome { message_id: m.id(), shop_id: s.shop, result: Ok(SendReceipt { wamid: wamid.into() }) };
        let record = RecordDeliveryOutcomes { outcomes: vec![outcome], retry_base: std::time::Duration::from_millis(5) };
        s.when(&RecordOutcomesHandler { clock: s.clock() }, record).await.unwrap();
        s.then_events();
        m
    }

    fn status(account: &WhatsAppAccount, wamid: &str, st: MessageStatus) -> Routed<StatusUpdate> {
        Routed {
            account: Arc::new(account.clone()),
            item: StatusUpdate {
                wamid: wamid.into(),
                status: st,
                timestamp: None,
                recipient_id: None,
                error: None,
                pricing: None,
                raw: serde_json::json!({}),
                callback_data: None,
            },
        }
    }

    fn stored_status(s: &Scenario, id: MessageId) -> MessageStatus {
        s.memory.read(|st| st.messages[&id].status())
    }

    #[tokio::test]
    async fn statuses_in_any_order_end_in_read_with_one_event_per_step_forward() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        let m = given_a_sent_template(&s, "wamid.OUT").await;
        let h = ApplyStatusesHandler { clock: s.clock() };
        let out = s.when(&h, ApplyStatuses { statuses: vec![status(&account, "wamid.OUT", MessageStatus::Read)] }).await.unwrap();
        assert_eq!(out.applied, 1);
        let batch = vec![status(&account, "wamid.OUT", MessageStatus::Delivered), status(&account, "wamid.OUT", MessageStatus::Read)];
        let out = s.when(&h, ApplyStatuses { statuses: batch }).await.unwrap();
        assert_eq!((out.applied, out.stale, out.duplicates), (0, 1, 1), "a late delivered changes nothing; read again is a duplicate");
        assert_eq!(stored_status(&s, m.id()), MessageStatus::Read);
        assert_eq!(s.then_events(), ["message.status.updated"]);
    }

    #[tokio::test]
    async fn a_status_before_the_send_is_recorded_is_kept_and_applied_when_it_is() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        let h = ApplyStatusesHandler { clock: s.clock() };
        let out = s.when(&h, ApplyStatuses { statuses: vec![status(&account, "wamid.EARLY", MessageStatus::Delivered)] }).await.unwrap();
        assert_eq!(out.early, 1);
        let m = given_a_sent_template(&s, "wamid.EARLY").await;
        assert_eq!(stored_status(&s, m.id()), MessageStatus::Delivered);
    }

    #[tokio::test]
    async fn a_status_through_another_number_is_ignored_and_reported() {
        let s = Scenario::new();
        s.given_account(BUSINESS, PNID).await;
        let other = s.given_account("+15550002222", "2222222").await;
        let m = given_a_sent_template(&s, "wamid.OUT").await;
        let out = s
            .when(
                &ApplyStatusesHandler { clock: s.clock() },
                ApplyStatuses { statuses: vec![status(&other, "wamid.OUT", MessageStatus::Read)] },
            )
            .await
            .unwrap();
        assert_eq!(out.foreign, ["wamid.OUT"]);
        assert_eq!(stored_status(&s, m.id()), MessageStatus::Sent);
    }

    /// A send failed as "outcome unknown": its answer was lost, so it never got a wamid.
    async fn given_a_send_whose_answer_was_lost(s: &Scenario) -> Message {
        let m = given_a_queued_template(s).await;
        let lost = crate::shared::meta::CloudApiError::outcome_unknown("timed out", None);
        let outcome = DeliveryOutcome { message_id: m.id(), shop_id: s.shop, result: Err(lost) };
        let record = RecordDeliveryOutcomes { outcomes: vec![outcome], retry_base: std::time::Duration::from_millis(5) };
        s.when(&RecordOutcomesHandler { clock: s.clock() }, record).await.unwrap();
        assert_eq!(stored_status(s, m.id()), MessageStatus::Failed);
        s.then_events();
        m
    }

    fn naming(mut st: Routed<StatusUpdate>, id: MessageId) -> Routed<StatusUpdate> {
        st.item.callback_data = Some(id.to_string());
        st
    }

    #[tokio::test]
    async fn a_send_whose_answer_was_lost_is_recovered_by_the_id_meta_echoes() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        let m = given_a_send_whose_answer_was_lost(&s).await;
        let h = ApplyStatusesHandler { clock: s.clock() };
        let batch = vec![
            naming(status(&account, "wamid.LOST", MessageStatus::Sent), m.id()),
            naming(status(&account, "wamid.LOST", MessageStatus::Delivered), m.id()),
        ];
        let out = s.when(&h, ApplyStatuses { statuses: batch }).await.unwrap();
        assert_eq!(out.recovered, 1);
        let stored = s.memory.read(|st| st.messages[&m.id()].clone());
        assert_eq!(stored.status(), MessageStatus::Delivered);
        assert_eq!(stored.wamid(), Some("wamid.LOST"));
        assert!(stored.error().is_none());
        assert_eq!(s.then_events(), ["message.recovered", "message.status.updated"]);
        // Later statuses find it by its wamid.
        let out = s.when(&h, ApplyStatuses { statuses: vec![status(&account, "wamid.LOST", MessageStatus::Read)] }).await.unwrap();
        assert_eq!((out.applied, out.recovered), (1, 0));
    }

    #[tokio::test]
    async fn another_number_cannot_claim_a_lost_send_and_a_delivered_one_is_never_recovered() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        let other = s.given_account("+15550002222", "2222222").await;
        let m = given_a_send_whose_answer_was_lost(&s).await;
        let h = ApplyStatusesHandler { clock: s.clock() };
        let out = s
            .when(&h, ApplyStatuses { statuses: vec![naming(status(&other, "wamid.X", MessageStatus::Delivered), m.id())] })
            .await
            .unwrap();
        assert_eq!((out.recovered, out.foreign.len()), (0, 1));
        assert_eq!(stored_status(&s, m.id()), MessageStatus::Failed);
        // A send that has its wamid is not taken over by a status naming it with another one.
        let sent = given_a_sent_template(&s, "wamid.OK").await;
        let out = s
            .when(&h, ApplyStatuses { statuses: vec![naming(status(&account, "wamid.OTHER", MessageStatus::Read), sent.id())] })
            .await
            .unwrap();
        assert_eq!((out.recovered, out.early), (0, 1));
        assert_eq!(s.memory.read(|st| st.messages[&sent.id()].wamid().map(str::to_owned)), Some("wamid.OK".to_owned()));
    }
}
