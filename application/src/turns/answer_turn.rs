//! AnswerTurn: the turn worker's use case for one claimed turn.
//!
//! 1. `PrepareTurn` reads what the responders need (the turn, its texts, the thread's owner, the
//!    customer's consent, the shop's settings and rules).
//! 2. The responder chain decides (outside any transaction: a responder may call out).
//! 3. `RecordTurnAnswer` queues the replies through the one send entry (`SendMessage`, key
//!    `turn:<id>:<step>`, sender `system:<purpose>`), updates the thread and records the
//!    outcome, in one transaction that locks the turn and the thread first: if the owner changed
//!    since step 1, nothing is queued and the turn is prepared again; a turn already done (a
//!    replica whose claim ran out finished it) is left alone. A crash anywhere rolls back, and the
//!    turn is claimed again when its claim runs out; the keys make a replay send nothing twice.
//! 4. A reply that cannot be queued (the account paused, a template not approved, the window
//!    closed without a fallback) fails the turn: it is recorded as `failed` and handed to people.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::TurnsUnitOfWork;
use super::responders::{Answer, Reply, Responder, TurnContext};
use crate::RequestContext;
use crate::customers::ports::CustomersUnitOfWork;
use crate::messaging::send_message::{Idempotent, SendMessage, SendMessageError, SendMessageHandler, SendOutcome, Via};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler, Pipeline};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::tenancy::ports::TenancyUnitOfWork;
use domain::customers::OptInStatus;
use domain::messaging::{IdempotencyKey, Sender};
use domain::tenancy::ShopSettings;
use domain::turns::{HandedOff, Owner, Thread, Turn, TurnOutcome};
use domain::{Events, MessageId, ShopId, TurnId};

// ---- 1. PrepareTurn ----

#[derive(Debug, Validate)]
pub struct PrepareTurn {
    pub shop_id: ShopId,
    pub turn_id: TurnId,
}

/// What the responders see, or nothing when the turn is done or gone.
pub struct Prepared {
    pub context: TurnContext,
}

#[derive(Debug, thiserror::Error)]
pub enum PrepareTurnError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the turn")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(PrepareTurnError);

impl Command for PrepareTurn {
    type Output = Option<Prepared>;
    type Error = PrepareTurnError;
    const NAME: &'static str = "PrepareTurn";
}

pub struct PrepareTurnHandler {
    pub clock: Arc<dyn Clock>,
    /// The shops' rules, compiled, for a second.
    pub rules: Arc<super::rule_cache::RuleCache>,
}

#[async_trait]
impl CommandHandler<PrepareTurn> for PrepareTurnHandler {
    async fn handle(&self, cmd: &PrepareTurn, uow: &mut dyn UnitOfWork) -> Result<Option<Prepared>, PrepareTurnError> {
        let now = self.clock.now();
        let Some(turn) = uow.turns().lock(cmd.shop_id, cmd.turn_id).await? else { return Ok(None) };
        if turn.is_done() {
            return Ok(None);
        }
        let t = turn.snapshot().clone();
        let texts = uow.turns().texts(t.id).await?;
        let customer = uow.customers().lock_by_id(t.shop_id, t.customer_id).await?;
        let opted_out = customer.as_ref().is_some_and(|c| c.consent().marketing.status == OptInStatus::OptedOut);
        let thread = uow.threads().lock(t.account_id, &t.wa_id).await?;
        let owner = thread.as_ref().map_or(Owner::None, |th| th.owner_at(now));
        let settings = uow.shops().settings_of(&[t.shop_id]).await?.remove(&t.shop_id).unwrap_or_default();
        let rules = match self.rules.get(t.shop_id) {
            Some(r) => r,
            None => self.rules.put(t.shop_id, uow.automated_responses().of_shop(t.shop_id).await?),
        };
        Ok(Some(Prepared { context: TurnContext { turn, texts, thread, owner, opted_out, settings, rules, now } }))
    }
}

// ---- 2. The chain ----

/// What the chain decided for a turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub replies: Vec<Reply>,
    pub outcome: TurnOutcome,
    /// The responder that answered or handed it off.
    pub responder: Option<&'static str>,
    pub reason: Option<&'static str>,
}

/// Run the chain over a prepared turn (docs/TURNS.md has the order).
pub async fn decide(chain: &[Arc<dyn Responder>], cx: &TurnContext) -> Decision {
    let done = |outcome, responder, reason, replies| Decision { replies, outcome, responder, reason };
    if cx.turn.snapshot().keyword {
        return done(TurnOutcome::Consent, Some("consent"), None, Vec::new());
    }
    if let Owner::People { .. } = cx.owner {
        return done(TurnOutcome::People, Some("people"), None, Vec::new());
    }
    if cx.opted_out {
        return done(TurnOutcome::Unanswered, None, Some("opted_out"), Vec::new());
    }
    let mut replies = Vec::new();
    for r in chain {
        match r.respond(cx, &mut replies).await {
            Answer::Handled => return done(TurnOutcome::Answered, Some(r.name()), None, replies),
            Answer::HandedOff(reason) => return done(TurnOutcome::Unanswered, Some(r.name()), Some(reason), replies),
            Answer::Passed => {}
        }
    }
    done(TurnOutcome::Unanswered, None, Some("no_responder"), replies)
}

// ---- 3. RecordTurnAnswer ----

#[derive(Debug, Validate)]
pub struct RecordTurnAnswer {
    pub shop_id: ShopId,
    pub turn_id: TurnId,
    /// The owner the decision was made under.
    pub owner: Owner,
    pub decision: Decision,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// The outcome is recorded, with the replies queued.
    Done { outcome: TurnOutcome, replies: Vec<MessageId> },
    /// The owner changed since the decision: nothing was queued.
    OwnerChanged,
    /// The turn was done already (or is gone).
    AlreadyDone,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordTurnAnswerError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A reply could not be queued.
    #[error("a reply of the turn could not be queued")]
    Send(#[source] SendMessageError),
    #[error("could not record the turn")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RecordTurnAnswerError);

impl Command for RecordTurnAnswer {
    type Output = Recorded;
    type Error = RecordTurnAnswerError;
    const NAME: &'static str = "RecordTurnAnswer";
}

pub struct RecordTurnAnswerHandler {
    pub clock: Arc<dyn Clock>,
    pub send: SendMessageHandler,
}

/// The idempotency key of a turn's reply.
pub fn reply_key(turn: TurnId, step: usize) -> IdempotencyKey {
    IdempotencyKey::parse(&format!("turn:{turn}:{step}")).unwrap_or_else(|_| unreachable!("a turn's key is short and printable"))
}

#[async_trait]
impl CommandHandler<RecordTurnAnswer> for RecordTurnAnswerHandler {
    async fn handle(&self, cmd: &RecordTurnAnswer, uow: &mut dyn UnitOfWork) -> Result<Recorded, RecordTurnAnswerError> {
        let now = self.clock.now();
        let Some(mut turn) = uow.turns().lock(cmd.shop_id, cmd.turn_id).await? else { return Ok(Recorded::AlreadyDone) };
        if turn.is_done() {
            return Ok(Recorded::AlreadyDone);
        }
        let t = turn.snapshot().clone();
        // The house's lock order: customers, then threads, then conversations and messages.
        uow.customers().lock_by_id(t.shop_id, t.customer_id).await?;
        let existing = uow.threads().lock(t.account_id, &t.wa_id).await?;
        let owner = existing.as_ref().map_or(Owner::None, |th| th.owner_at(now));
        if owner != cmd.owner {
            return Ok(Recorded::OwnerChanged);
        }
        let mut thread =
            existing.unwrap_or_else(|| Thread::new(t.shop_id, t.account_id, t.customer_id, t.wa_id.clone(), t.conversation_id, now));
        thread.seen_in(t.conversation_id, now);
        let d = &cmd.decision;
        let mut sent = Vec::new();
        for (step, reply) in d.replies.iter().enumerate() {
            let send = SendMessage {
                shop_id: t.shop_id,
                via: Via::Conversation(t.conversation_id),
                content: Some(reply.content.clone()),
                template: reply.template.clone(),
                force_template: false,
                user_id: None,
                reply_to: None,
                idempotency: Some(Idempotent { key: reply_key(t.id, step), fingerprint: "turn".into() }),
                sent_by: Sender::System(reply.purpose.into()),
            };
            match self.send.handle(&send, uow).await.map_err(RecordTurnAnswerError::Send)? {
                SendOutcome::Queued(m) => sent.push(m.id()),
                SendOutcome::Replayed(r) => sent.extend(r.message_id),
            }
            if let Some(rule) = reply.rule {
                uow.automated_responses().record_match(t.shop_id, rule, now).await?;
            }
            if reply.purpose == "away_message" {
                thread.away_sent(now);
            }
        }
        let mut events = Events::new();
        let settings = uow.shops().settings_of(&[t.shop_id]).await?.remove(&t.shop_id).unwrap_or_default();
        hand_over(&mut thread, &mut events, &t, d.outcome, d.reason, &settings, now);
        uow.threads().save(&thread).await?;
        turn.finish(d.responder, d.outcome, d.reason, sent.clone(), now);
        uow.turns().save(&turn).await?;
        uow.outbox().append(&events, now).await?;
        Ok(Recorded::Done { outcome: d.outcome, replies: sent })
    }
}

/// The thread after a turn: answered (nobody waits), people's (the customer waits), or handed
/// to people (`conversation.handed_off`, and the owner change).
fn hand_over(
    thread: &mut Thread,
    events: &mut Events,
    t: &domain::turns::TurnSnapshot,
    outcome: TurnOutcome,
    reason: Option<&str>,
    settings: &ShopSettings,
    now: chrono::DateTime<chrono::Utc>,
) {
    match outcome {
        TurnOutcome::Answered => thread.answered(now),
        TurnOutcome::People => thread.awaits_people(now),
        TurnOutcome::Consent => {}
        TurnOutcome::Unanswered | TurnOutcome::Failed => {
            let reason = reason.unwrap_or("no_responder");
            if let Some(e) = thread.hand_to_people(None, reason, settings.hand_back(), now) {
                events.push(domain::turns::TurnEvent::from(e));
            }
            events.push(domain::turns::TurnEvent::from(HandedOff {
                shop_id: t.shop_id,
                account_id: t.account_id,
                conversation_id: t.conversation_id,
                customer_id: t.customer_id,
                thread_id: thread.id(),
                turn_id: t.id,
                wa_id: t.wa_id.to_string(),
                reason: reason.to_owned(),
            }));
        }
    }
}

// ---- The whole use case ----

#[derive(Debug, thiserror::Error)]
pub enum AnswerTurnError {
    #[error("could not prepare the turn")]
    Prepare(#[from] PrepareTurnError),
    #[error("could not record the turn's answer")]
    Record(#[from] RecordTurnAnswerError),
}

/// How many times a turn is prepared again when its owner changes under it.
const OWNER_RACES: usize = 3;

pub struct AnswerTurnService {
    pub pipeline: Pipeline,
    pub prepare: PrepareTurnHandler,
    pub record: RecordTurnAnswerHandler,
    pub chain: Vec<Arc<dyn Responder>>,
}

/// Why a turn failed, as its log shows it (a closed set).
fn failure_reason(e: &SendMessageError) -> &'static str {
    match e {
        SendMessageError::WindowClosed { .. } => "window_closed",
        SendMessageError::OptedOut(_) | SendMessageError::ConsentRequired(_) => "consent",
        SendMessageError::TemplateNotFound { .. } | SendMessageError::TemplateUnknown { .. } => "template_not_found",
        SendMessageError::TemplateNotApproved(_) => "template_not_approved",
        SendMessageError::TemplateParameters(_) => "template_parameters",
        SendMessageError::AccountNotActive(_) | SendMessageError::AccountNotFound => "account_not_active",
        _ => "send_failed",
    }
}

impl AnswerTurnService {
    /// Answer one claimed turn. `None`: it was done already.
    pub async fn run(&self, shop: ShopId, turn: TurnId) -> Result<Option<Recorded>, AnswerTurnError> {
        let ctx = RequestContext::system("turns");
        for _ in 0..OWNER_RACES {
            let Some(p) = self.pipeline.execute(&ctx, &self.prepare, PrepareTurn { shop_id: shop, turn_id: turn }).await? else {
                return Ok(None);
            };
            let decision = decide(&self.chain, &p.context).await;
            let cmd = RecordTurnAnswer { shop_id: shop, turn_id: turn, owner: p.context.owner, decision };
            match self.pipeline.execute(&ctx, &self.record, cmd).await {
                Ok(Recorded::OwnerChanged) => continue,
                Ok(r) => return Ok(Some(r)),
                Err(RecordTurnAnswerError::Send(e)) => {
                    tracing::warn!(%turn, error = %crate::Chain(&e), "a turn's reply could not be queued; the turn goes to people");
                    let failed =
                        Decision { replies: Vec::new(), outcome: TurnOutcome::Failed, responder: None, reason: Some(failure_reason(&e)) };
                    let cmd = RecordTurnAnswer { shop_id: shop, turn_id: turn, owner: p.context.owner, decision: failed };
                    match self.pipeline.execute(&ctx, &self.record, cmd).await? {
                        Recorded::OwnerChanged => continue,
                        r => return Ok(Some(r)),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Some(Recorded::OwnerChanged))
    }
}

/// A turn the worker took: its shop and id.
pub fn key(turn: &Turn) -> (ShopId, TurnId) {
    (turn.snapshot().shop_id, turn.id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::routed::Routed;
    use crate::messaging::receive_messages::{ReceiveMessages, ReceiveMessagesHandler};
    use crate::testing::{BUSINESS, PNID, Scenario, text_from};
    use crate::turns::create_automated_response::{CreateAutomatedResponse, CreateAutomatedResponseHandler};
    use crate::turns::open_turns::{OpenTurns, OpenTurnsHandler};
    use crate::turns::responders::default_chain;
    use domain::accounts::WhatsAppAccount;
    use domain::messaging::{Direction, MessageContent};
    use domain::turns::ResponseDraft;

    const WA: &str = "5511987654321";

    fn service(s: &Scenario) -> AnswerTurnService {
        AnswerTurnService {
            pipeline: s.pipeline.clone(),
            prepare: PrepareTurnHandler {
                clock: s.clock(),
                rules: Arc::new(crate::turns::rule_cache::RuleCache::new(std::time::Duration::ZERO)),
            },
            record: RecordTurnAnswerHandler { clock: s.clock(), send: SendMessageHandler { clock: s.clock() } },
            chain: default_chain(),
        }
    }

    async fn given_rule(s: &Scenario, trigger: &str, keywords: &[(&str, &str)], answer: &str) {
        let draft = ResponseDraft {
            name: answer.into(),
            trigger: trigger.into(),
            keywords: keywords.iter().map(|(t, m)| ((*t).to_owned(), (*m).to_owned())).collect(),
            answer: MessageContent::Text { text: answer.into(), preview_url: false },
            fallback_template: None,
            priority: 1,
            active: true,
            every_hours: None,
        };
        let h = CreateAutomatedResponseHandler { clock: s.clock(), rules: Arc::default() };
        s.when(&h, CreateAutomatedResponse { shop_id: s.shop, draft }).await.unwrap();
    }

    /// The customer writes these messages in one burst; returns the turn it opened.
    async fn given_burst(s: &Scenario, account: &WhatsAppAccount, texts: &[&str]) -> TurnId {
        let items = texts.iter().enumerate().map(|(i, t)| text_from(WA, &format!("wamid.{}.{i}", s.now().timestamp_micros()), s.now(), t));
        let account = Arc::new(account.clone());
        let msgs = ReceiveMessages { messages: items.map(|item| Routed { account: account.clone(), item }).collect() };
        let out = s.when(&ReceiveMessagesHandler { clock: s.clock() }, msgs).await.unwrap();
        s.when(&OpenTurnsHandler { clock: s.clock() }, OpenTurns { received: out.received }).await.unwrap();
        s.then_events();
        s.memory.read(|st| st.turns.values().find(|t| !t.is_done()).map(Turn::id)).expect("an open turn")
    }

    fn replies(s: &Scenario) -> Vec<String> {
        s.memory.read(|st| {
            st.messages
                .values()
                .filter(|m| m.direction() == Direction::Outbound)
                .map(|m| match m.content() {
                    MessageContent::Text { text, .. } => text.clone(),
                    other => other.type_name().to_owned(),
                })
                .collect()
        })
    }

    #[tokio::test]
    async fn given_a_burst_of_three_when_the_turn_is_answered_then_one_reply_and_a_replay_sends_nothing() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        given_rule(&s, "keywords", &[("preço", "contains")], "Our prices: …").await;
        let turn = given_burst(&s, &account, &["oi", "qual o preco", "do frete?"]).await;
        assert_eq!(s.memory.read(|st| st.turns.len()), 1, "one turn for the burst");

        let out = service(&s).run(s.shop, turn).await.unwrap();
        assert!(matches!(out, Some(Recorded::Done { outcome: TurnOutcome::Answered, .. })), "{out:?}");
        assert_eq!(replies(&s), ["Our prices: …"]);
        let (rule, t) = s.memory.read(|st| (st.automated_responses[0].snapshot().clone(), st.turns[&turn].snapshot().clone()));
        assert_eq!((rule.matched_count, t.responder.as_deref()), (1, Some("automated_responses")));
        let sent_by = s.memory.read(|st| st.messages.values().find(|m| m.direction() == Direction::Outbound).unwrap().sent_by().cloned());
        assert_eq!(sent_by, Some(Sender::System("automated_response".into())));

        // Answered again (a replica whose claim ran out): nothing more.
        assert_eq!(service(&s).run(s.shop, turn).await.unwrap(), None);
        assert_eq!(replies(&s).len(), 1);
    }

    #[tokio::test]
    async fn a_turn_no_responder_takes_goes_to_people_and_their_thread_stays_silent() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        given_rule(&s, "keywords", &[("horario", "exact")], "9 to 18").await;
        given_rule(&s, "greeting", &[], "Welcome!").await;
        let turn = given_burst(&s, &account, &["I need help with my order"]).await;
        let out = service(&s).run(s.shop, turn).await.unwrap();
        assert!(matches!(out, Some(Recorded::Done { outcome: TurnOutcome::Unanswered, .. })), "{out:?}");
        assert_eq!(replies(&s), ["Welcome!"], "the greeting, on a first message ever");
        let events = s.then_events();
        assert!(events.ends_with(&["conversation.owner.changed", "conversation.handed_off"]), "{events:?}");
        let thread = s.memory.read(|st| st.threads.values().next().unwrap().clone());
        assert_eq!(thread.owner_at(s.now()), Owner::People { member: None });
        assert_eq!(thread.waiting_since(), Some(s.now()));

        // People own the thread: a keyword the rules know gets no automated answer.
        s.clock.advance(chrono::Duration::seconds(30));
        let turn = given_burst(&s, &account, &["horário"]).await;
        let out = service(&s).run(s.shop, turn).await.unwrap();
        assert!(matches!(out, Some(Recorded::Done { outcome: TurnOutcome::People, .. })), "{out:?}");
        assert_eq!(replies(&s).len(), 1, "silent");
        assert!(s.then_events().is_empty(), "no second handoff");
    }

    #[tokio::test]
    async fn an_opted_out_customer_gets_no_automated_answer_and_a_keyword_turn_gets_nothing_more() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        given_rule(&s, "keywords", &[("stop", "exact"), ("price", "contains")], "Our prices").await;
        let turn = given_burst(&s, &account, &["STOP"]).await;
        let out = service(&s).run(s.shop, turn).await.unwrap();
        assert!(matches!(out, Some(Recorded::Done { outcome: TurnOutcome::Consent, .. })), "{out:?}");
        assert_eq!(replies(&s).len(), 1, "only the consent confirmation");

        s.clock.advance(chrono::Duration::seconds(30));
        let turn = given_burst(&s, &account, &["what is the price?"]).await;
        let out = service(&s).run(s.shop, turn).await.unwrap();
        assert!(matches!(out, Some(Recorded::Done { outcome: TurnOutcome::Unanswered, .. })), "{out:?}");
        assert_eq!(replies(&s).len(), 1, "no automated answer to an opted-out customer");
        assert_eq!(s.memory.read(|st| st.turns[&turn].snapshot().reason.clone()), Some("opted_out".into()));
    }
}
