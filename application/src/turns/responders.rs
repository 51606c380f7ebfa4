//! The responder chain: who answers a customer's turn. A `Responder` is a port: this context
//! ships three (the greeting, the automated responses by keyword, the away message); the
//! automation and AI contexts add theirs to the chain at start-up. The order (docs/TURNS.md):
//!
//! 1. an opt-out or opt-in keyword ends the turn (the consent feature confirmed it);
//! 2. the thread's owner: people own it → the responders stay silent, the customer waits;
//! 3. a customer who opted out gets no automated answer: people;
//! 4. the chain: greeting (passes), automated responses, [automation, AI], away message;
//! 5. people, last: a turn nobody took is handed off (`conversation.handed_off`).
//!
//! Responders decide; they never send. What they answer is queued by `RecordTurnAnswer` through
//! the one send entry, in the transaction that checks the owner again.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use domain::AutomatedResponseId;
use domain::messaging::{MessageContent, TemplateRef};
use domain::tenancy::ShopSettings;
use domain::turns::{AutomatedResponse, Owner, Thread, Trigger, Turn};

/// What a responder sees of a turn.
pub struct TurnContext {
    pub turn: Turn,
    /// The bodies of the turn's text messages (and captions), in order.
    pub texts: Vec<String>,
    /// The thread as it is (None: nothing recorded on it yet).
    pub thread: Option<Thread>,
    pub owner: Owner,
    /// The customer opted out of marketing.
    pub opted_out: bool,
    pub settings: ShopSettings,
    /// The shop's automated responses (the oldest first), compiled.
    pub rules: std::sync::Arc<super::rule_cache::CompiledRules>,
    pub now: DateTime<Utc>,
}

impl TurnContext {
    /// The active rule with this trigger kind, if any (the oldest).
    pub fn active(&self, kind: &str) -> Option<&AutomatedResponse> {
        self.rules.rules.iter().find(|r| r.is_active() && r.trigger().kind() == kind)
    }
}

/// A reply a responder wants queued.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The responder's name.
    pub responder: &'static str,
    /// The rule that answered (its statistics count the match).
    pub rule: Option<AutomatedResponseId>,
    pub content: MessageContent,
    /// Sent instead when the customer's window is closed.
    pub template: Option<TemplateRef>,
    /// What the service sends it for (`sentBy` `system:<purpose>`).
    pub purpose: &'static str,
}

/// A responder's answer to a turn.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// It answered: the chain stops.
    Handled,
    /// Not for it (it may still have added a reply, as the greeting does).
    Passed,
    /// It leaves the turn to people, for this reason.
    HandedOff(&'static str),
}

#[async_trait]
pub trait Responder: Send + Sync {
    fn name(&self) -> &'static str;
    async fn respond(&self, cx: &TurnContext, replies: &mut Vec<Reply>) -> Answer;
}

/// The greeting: a customer's first message ever gets it; the turn goes on down the chain.
pub struct Greeting;

#[async_trait]
impl Responder for Greeting {
    fn name(&self) -> &'static str {
        "greeting"
    }
    async fn respond(&self, cx: &TurnContext, replies: &mut Vec<Reply>) -> Answer {
        if cx.turn.snapshot().first_contact
            && let Some(rule) = cx.active("greeting")
        {
            replies.push(reply(self.name(), rule, "greeting"));
        }
        Answer::Passed
    }
}

/// Seed 000's automated responses: the best rule whose keywords match one of the turn's
/// messages answers, once per turn.
pub struct AutomatedResponses;

#[async_trait]
impl Responder for AutomatedResponses {
    fn name(&self) -> &'static str {
        "automated_responses"
    }
    async fn respond(&self, cx: &TurnContext, replies: &mut Vec<Reply>) -> Answer {
        let (rules, book) = (&cx.rules.rules, &cx.rules.book);
        if book.is_empty() {
            return Answer::Passed;
        }
        let best = cx.texts.iter().filter_map(|t| book.best(t)).max_by_key(|i| (rules[*i].priority(), std::cmp::Reverse(*i)));
        match best {
            Some(i) => {
                replies.push(reply(self.name(), &rules[i], "automated_response"));
                Answer::Handled
            }
            None => Answer::Passed,
        }
    }
}

/// The away message: outside business hours, at most once per its period per customer; the
/// turn is left to people either way.
pub struct Away;

#[async_trait]
impl Responder for Away {
    fn name(&self) -> &'static str {
        "away"
    }
    async fn respond(&self, cx: &TurnContext, replies: &mut Vec<Reply>) -> Answer {
        let Some(rule) = cx.active("away") else { return Answer::Passed };
        if cx.settings.is_open(cx.now) {
            return Answer::Passed;
        }
        let every = rule.away_every().unwrap_or_default();
        if cx.thread.as_ref().is_none_or(|t| t.away_due(every, cx.now)) {
            replies.push(reply(self.name(), rule, "away_message"));
        }
        Answer::HandedOff("outside_hours")
    }
}

fn reply(responder: &'static str, rule: &AutomatedResponse, purpose: &'static str) -> Reply {
    debug_assert!(!matches!(rule.trigger(), Trigger::Keywords(_)) || responder == "automated_responses");
    Reply { responder, rule: Some(rule.id()), content: rule.answer().clone(), template: rule.fallback_template().cloned(), purpose }
}

/// The chain this context ships, in order (automation and AI join between the automated
/// responses and the away message when their contexts arrive).
pub fn default_chain() -> Vec<std::sync::Arc<dyn Responder>> {
    vec![std::sync::Arc::new(Greeting), std::sync::Arc::new(AutomatedResponses), std::sync::Arc::new(Away)]
}
