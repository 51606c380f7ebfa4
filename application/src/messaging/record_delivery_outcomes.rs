//! RecordDeliveryOutcomes: what the Cloud API answered for a batch of queued messages, recorded
//! in one transaction by the dispatcher. A wamid makes the message `sent` (and applies statuses
//! that arrived before it); an error goes through the delivery policy
//! ([`super::delivery_policy::decide`]): retry later, delay the recipient, slow the number, or
//! fail (opting the customer out on 131050, pausing the number on 190/368/131031).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::customers::identify::record_consent_signals;
use chrono::{DateTime, Utc};
use validator::Validate;

use super::delivery_policy::{Decision, FailReason, decide};
use super::ports::{Delivery, SendReceipt};
use crate::shared::error::Invalid;
use crate::shared::meta::{CloudApiError, CloudApiErrorKind};
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::customers::{ConsentChange, ConsentSource, OptInStatus, Purpose};
use domain::messaging::{Conversation, Message, MessageError};
use domain::{ConversationId, Events, MessageId, ShopId};

/// What the Cloud API answered for one queued message.
#[derive(Debug, Clone)]
pub struct DeliveryOutcome {
    pub message_id: MessageId,
    pub shop_id: ShopId,
    pub result: Result<SendReceipt, CloudApiError>,
}

#[derive(Debug, Validate)]
pub struct RecordDeliveryOutcomes {
    pub outcomes: Vec<DeliveryOutcome>,
    /// Backoff base for transient failures (seed 002: 500 ms).
    pub retry_base: Duration,
}

use super::ports::Settled;
use crate::accounts::ports::AccountsUnitOfWork;
use crate::messaging::ports::MessagingUnitOfWork;

#[derive(Debug, thiserror::Error)]
pub enum RecordOutcomesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("a queued message {0} has no stored message")]
    MissingMessage(MessageId),
    #[error("could not record the outcomes")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RecordOutcomesError);

impl Command for RecordDeliveryOutcomes {
    type Output = Vec<Settled>;
    type Error = RecordOutcomesError;
    const NAME: &'static str = "RecordDeliveryOutcomes";
}

pub struct RecordOutcomesHandler {
    pub clock: Arc<dyn Clock>,
}

fn failure_error(e: &CloudApiError, reason: Option<FailReason>) -> MessageError {
    let title = match (e.kind, reason) {
        (CloudApiErrorKind::OutcomeUnknown, _) | (_, Some(FailReason::OutcomeUnknown)) => {
            format!("outcome unknown, not resent: {}", e.title)
        }
        (_, Some(FailReason::RetriesExhausted)) => format!("retries exhausted: {}", e.title),
        _ => e.title.clone(),
    };
    MessageError { code: e.code.unwrap_or(0), title, details: e.details.clone() }
}

fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or_default()
}

#[async_trait]
impl CommandHandler<RecordDeliveryOutcomes> for RecordOutcomesHandler {
    async fn handle(&self, cmd: &RecordDeliveryOutcomes, uow: &mut dyn UnitOfWork) -> Result<Vec<Settled>, RecordOutcomesError> {
        let now = self.clock.now();
        let ids: Vec<MessageId> = cmd.outcomes.iter().map(|o| o.message_id).collect();
        let deliveries: HashMap<MessageId, Delivery> =
            uow.deliveries().get_many(&ids).await?.into_iter().map(|d| (d.message_id, d)).collect();
        let queued: Vec<MessageId> = ids.iter().copied().filter(|id| deliveries.contains_key(id)).collect();
        let mut messages: HashMap<MessageId, Message> = uow.messages().lock_many(&queued).await?.into_iter().map(|m| (m.id(), m)).collect();
        // The conversations of the messages Meta accepted, and statuses that arrived early.
        let mut conversation_ids: Vec<ConversationId> = cmd
            .outcomes
            .iter()
            .filter(|o| o.result.is_ok())
            .filter_map(|o| messages.get(&o.message_id))
            .map(Message::conversation_id)
            .collect();
        conversation_ids.sort();
        conversation_ids.dedup();
        let mut conversations: HashMap<ConversationId, Conversation> =
            uow.conversations().lock_many(&conversation_ids).await?.into_iter().map(|c| (c.id(), c)).collect();
        let wamids: Vec<String> = cmd.outcomes.iter().filter_map(|o| o.result.as_ref().ok()).map(|r| r.wamid.clone()).collect();
        let mut early: HashMap<String, Vec<super::ports::StatusRecord>> = HashMap::new();
        if !wamids.is_empty() {
            for s in uow.messages().statuses_for(&wamids).await? {
                early.entry(s.wamid.clone()).or_default().push(s);
            }
        }

        let mut events = Events::new();
        let mut settled = Vec::with_capacity(cmd.outcomes.len());
        let mut finished = Vec::new();
        let mut changed_messages = Vec::new();
        let mut changed_conversations = Vec::new();
        for o in &cmd.outcomes {
            let Some(delivery) = deliveries.get(&o.message_id) else {
                settled.push(Settled::Gone(o.message_id));
                continue;
            };
            let message = messages.get_mut(&o.message_id).ok_or(RecordOutcomesError::MissingMessage(o.message_id))?;
            match &o.result {
                Ok(receipt) => {
                    let conversation =
                        conversations.get_mut(&message.conversation_id()).ok_or(RecordOutcomesError::MissingMessage(o.message_id))?;
                    match conversation.record_sent(message, receipt.wamid.clone(), now) {
                        Ok(e) => events.push(e),
                        Err(e) => {
                            tracing::warn!(message_id = %o.message_id, error = %crate::Chain(&e), "Meta's answer does not fit the message")
                        }
                    }
                    let mut statuses = early.remove(&receipt.wamid).unwrap_or_default();
                    statuses.sort_by_key(|s| s.occurred_at);
                    for s in statuses {
                        let error = MessageError::from_meta_status(&s.payload);
                        let pricing = s.payload.get("pricing").cloned();
                        events.push_opt(message.apply_status(s.status, error, pricing, s.occurred_at, now));
                    }
                    changed_conversations.push(conversation.id());
                    changed_messages.push(message.id());
                    finished.push(message.id());
                    settled.push(Settled::Sent(message.clone()));
                }
                Err(error) => {
                    let attempts = delivery.attempts as u32 + 1;
                    let decision = decide(error, attempts, delivery.pair_retries as u32, cmd.retry_base);
                    let mut next = delivery.clone();
                    match &decision {
                        Decision::Retry { after: wait, counts } => {
                            if *counts {
                                next.attempts = attempts as i32;
                            }
                            next.next_attempt_at = after(now, *wait);
                        }
                        Decision::DelayRecipient { after: wait } => {
                            next.pair_retries += 1;
                            next.next_attempt_at = after(now, *wait);
                        }
                        Decision::SlowNumber { after: wait } => next.next_attempt_at = after(now, *wait),
                        Decision::Fail(_) | Decision::FailAndOptOut | Decision::FailAndPauseAccount => {}
                    }
                    match decision {
                        Decision::Retry { .. } | Decision::DelayRecipient { .. } | Decision::SlowNumber { .. } => {
                            uow.deliveries().reschedule(&next, Some(&error.to_string())).await?;
                            settled.push(Settled::Rescheduled { message_id: message.id(), decision });
                        }
                        fail => {
                            let reason = if let Decision::Fail(r) = fail { Some(r) } else { None };
                            events.push_opt(message.fail(failure_error(error, reason), now));
                            if fail == Decision::FailAndOptOut {
                                let key = (message.shop_id(), message.wa_id().clone());
                                // Meta's own signal: the customer stopped marketing messages.
                                let change = ConsentChange {
                                    purpose: Purpose::Marketing,
                                    status: OptInStatus::OptedOut,
                                    source: ConsentSource::Meta,
                                    evidence: Some(format!("Meta error {} on message {}", error.code.unwrap_or(0), message.id())),
                                    actor: None,
                                };
                                let (_, consent_events) = record_consent_signals(uow, &[(key, change)], now).await?;
                                events.append(consent_events);
                            }
                            if fail == Decision::FailAndPauseAccount
                                && let Some(mut a) = uow.accounts().lock(message.shop_id(), message.account_id()).await?
                                && let Ok(Some(e)) = a.suspend(Some(format!("paused after Meta error {}", error.code.unwrap_or(0))), now)
                            {
                                uow.accounts().update(&a, None).await?;
                                events.push(e);
                            }
                            changed_messages.push(message.id());
                            finished.push(message.id());
                            settled.push(Settled::Failed { message: message.clone(), error: error.clone(), decision: fail });
                        }
                    }
                }
            }
        }
        changed_messages.sort();
        changed_messages.dedup();
        let to_update: Vec<&Message> = changed_messages.iter().filter_map(|id| messages.get(id)).collect();
        if !to_update.is_empty() {
            uow.messages().update_many(&to_update).await?;
        }
        changed_conversations.sort();
        changed_conversations.dedup();
        let to_update: Vec<&Conversation> = changed_conversations.iter().filter_map(|id| conversations.get(id)).collect();
        if !to_update.is_empty() {
            uow.conversations().update_many(&to_update).await?;
        }
        if !finished.is_empty() {
            uow.deliveries().finish_many(&finished).await?;
        }
        uow.outbox().append(&events, now).await?;
        Ok(settled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::send_message::{SendMessage, SendMessageHandler};
    use crate::testing::{BUSINESS, PNID, Scenario};
    use domain::PhoneNumber;
    use domain::accounts::AccountStatus;
    use domain::customers::OptInStatus;
    use domain::messaging::{MessageStatus, TemplateRef};

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
        let m = s.when(&SendMessageHandler { clock: s.clock() }, send).await.unwrap().queued().unwrap();
        s.then_events();
        m
    }

    fn meta(code: i64) -> CloudApiError {
        CloudApiError::meta(400, Some(code), format!("error {code}"))
    }

    async fn when_meta_answers(s: &Scenario, m: &Message, result: Result<SendReceipt, CloudApiError>) -> Settled {
        let cmd = RecordDeliveryOutcomes {
            outcomes: vec![DeliveryOutcome { message_id: m.id(), shop_id: s.shop, result }],
            retry_base: Duration::from_millis(500),
        };
        s.when(&RecordOutcomesHandler { clock: s.clock() }, cmd).await.unwrap().remove(0)
    }

    #[tokio::test]
    async fn given_a_queued_message_when_meta_accepts_then_sent_with_its_wamid_and_off_the_queue() {
        let s = Scenario::new();
        s.given_account(BUSINESS, PNID).await;
        let m = given_a_queued_template(&s).await;
        let settled = when_meta_answers(&s, &m, Ok(SendReceipt { wamid: "wamid.OK".into() })).await;
        assert!(matches!(&settled, Settled::Sent(sent) if sent.wamid() == Some("wamid.OK") && sent.status() == MessageStatus::Sent));
        assert_eq!(s.then_events(), ["message.sent"]);
        assert!(s.memory.read(|st| st.deliveries.is_empty()));
        let again = when_meta_answers(&s, &m, Ok(SendReceipt { wamid: "wamid.OK".into() })).await;
        assert!(matches!(again, Settled::Gone(_)), "an outcome for a settled message changes nothing");
    }

    #[tokio::test]
    async fn a_transient_error_reschedules_with_backoff() {
        let s = Scenario::new();
        s.given_account(BUSINESS, PNID).await;
        let m = given_a_queued_template(&s).await;
        let settled = when_meta_answers(&s, &m, Err(meta(131000))).await;
        assert!(matches!(settled, Settled::Rescheduled { decision: Decision::Retry { counts: true, .. }, .. }), "{settled:?}");
        let d = s.memory.read(|st| st.deliveries[&m.id()].clone());
        assert_eq!((d.attempts, d.next_attempt_at), (1, s.now() + chrono::Duration::milliseconds(500)));
        assert!(s.then_events().is_empty());
    }

    #[tokio::test]
    async fn error_131050_fails_the_message_and_opts_the_customer_out() {
        let s = Scenario::new();
        s.given_account(BUSINESS, PNID).await;
        let m = given_a_queued_template(&s).await;
        let settled = when_meta_answers(&s, &m, Err(meta(131050))).await;
        assert!(matches!(settled, Settled::Failed { decision: Decision::FailAndOptOut, .. }));
        assert_eq!(s.then_events(), ["message.status.updated", "customer.opt_in.changed"]);
        assert_eq!(s.memory.read(|st| st.customers.values().next().unwrap().consent().marketing.status), OptInStatus::OptedOut);
    }

    #[tokio::test]
    async fn error_190_fails_the_message_and_pauses_the_number() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        let m = given_a_queued_template(&s).await;
        when_meta_answers(&s, &m, Err(meta(190))).await;
        assert_eq!(s.then_events(), ["message.status.updated", "account.status.changed"]);
        assert_eq!(s.memory.read(|st| st.accounts[&account.id()].0.status()), AccountStatus::Suspended);
    }
}
