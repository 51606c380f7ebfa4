//! A turn: a customer's burst of messages on a thread, answered once. It is due at its last
//! message plus the shop's quiet time, and never later than its first message plus
//! `MAX_TURN_WAIT` (a customer who keeps typing still gets an answer). The turn worker claims
//! due turns, hands each to the responder chain, and records how it ended.

use chrono::{DateTime, Duration, Utc};

use crate::{AccountId, ConversationId, CustomerId, MessageId, ShopId, TurnId, WaId};

/// A burst is answered at most this long after its first message.
pub const MAX_TURN_WAIT_MS: i64 = 10_000;

/// When a turn whose first message came at `first` and latest at `last` is due.
pub fn due_at(first: DateTime<Utc>, last: DateTime<Utc>, quiet_ms: u32) -> DateTime<Utc> {
    (last + Duration::milliseconds(i64::from(quiet_ms))).min(cap_at(first))
}

/// The latest a turn opened at `first` may be due.
pub fn cap_at(first: DateTime<Utc>) -> DateTime<Utc> {
    first + Duration::milliseconds(MAX_TURN_WAIT_MS)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnState {
    /// Collecting the burst; due at `due_at`.
    Open,
    /// A turn worker holds it until `claimed_until` (then another may take it again).
    Claimed,
    /// Its outcome is recorded.
    Done,
}

impl TurnState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Claimed => "claimed",
            Self::Done => "done",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => Self::Open,
            "claimed" => Self::Claimed,
            "done" => Self::Done,
            _ => return None,
        })
    }
}

/// How a turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnOutcome {
    /// A responder answered it.
    Answered,
    /// No responder took it: handed to people, unanswered.
    Unanswered,
    /// People own the thread: the responders stayed silent; the customer waits for people.
    People,
    /// An opt-out or opt-in keyword: the consent feature confirmed it, nothing else answers.
    Consent,
    /// Its answer could not be queued (the account is paused, the template is not approved, …):
    /// handed to people.
    Failed,
}

impl TurnOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Unanswered => "unanswered",
            Self::People => "people",
            Self::Consent => "consent",
            Self::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "answered" => Self::Answered,
            "unanswered" => Self::Unanswered,
            "people" => Self::People,
            "consent" => Self::Consent,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TurnSnapshot {
    pub id: TurnId,
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub customer_id: CustomerId,
    pub wa_id: WaId,
    /// The conversation (window) of its latest message.
    pub conversation_id: ConversationId,
    pub state: TurnState,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub messages: u32,
    /// One of its messages is the customer's first message ever.
    pub first_contact: bool,
    /// One of its messages is an opt-out or opt-in keyword.
    pub keyword: bool,
    pub attempts: u32,
    pub responder: Option<String>,
    pub outcome: Option<TurnOutcome>,
    pub reason: Option<String>,
    /// The messages queued as its answer.
    pub replies: Vec<MessageId>,
    pub answered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    s: TurnSnapshot,
}

impl Turn {
    pub fn restore(s: TurnSnapshot) -> Self {
        Self { s }
    }
    pub fn snapshot(&self) -> &TurnSnapshot {
        &self.s
    }
    pub fn id(&self) -> TurnId {
        self.s.id
    }
    pub fn is_done(&self) -> bool {
        self.s.state == TurnState::Done
    }

    /// Record how the turn ended (once: a turn already done keeps its first outcome).
    pub fn finish(
        &mut self,
        responder: Option<&str>,
        outcome: TurnOutcome,
        reason: Option<&str>,
        replies: Vec<MessageId>,
        now: DateTime<Utc>,
    ) -> bool {
        if self.is_done() {
            return false;
        }
        self.s.state = TurnState::Done;
        self.s.responder = responder.map(str::to_owned);
        self.s.outcome = Some(outcome);
        self.s.reason = reason.map(str::to_owned);
        self.s.replies = replies;
        self.s.answered_at = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_is_due_after_the_quiet_time_but_never_later_than_ten_seconds_after_its_first_message() {
        let t0 = Utc::now();
        assert_eq!(due_at(t0, t0, 2_000), t0 + Duration::milliseconds(2_000));
        assert_eq!(due_at(t0, t0 + Duration::seconds(3), 2_000), t0 + Duration::seconds(5), "extended by a later message");
        assert_eq!(due_at(t0, t0 + Duration::seconds(9), 2_000), t0 + Duration::seconds(10), "capped");
        assert_eq!(due_at(t0, t0, 0), t0, "no quiet time: due at once");
    }

    #[test]
    fn states_and_outcomes_read_back_and_a_turn_finishes_once() {
        for s in [TurnState::Open, TurnState::Claimed, TurnState::Done] {
            assert_eq!(TurnState::parse(s.as_str()), Some(s));
        }
        for o in [TurnOutcome::Answered, TurnOutcome::Unanswered, TurnOutcome::People, TurnOutcome::Consent, TurnOutcome::Failed] {
            assert_eq!(TurnOutcome::parse(o.as_str()), Some(o));
        }
        let now = Utc::now();
        let mut t = Turn::restore(TurnSnapshot {
            id: TurnId::new(),
            shop_id: ShopId::new(),
            account_id: AccountId::new(),
            customer_id: CustomerId::new(),
            wa_id: WaId::parse("5511987654321").unwrap(),
            conversation_id: ConversationId::new(),
            state: TurnState::Claimed,
            first_at: now,
            last_at: now,
            due_at: now,
            messages: 3,
            first_contact: false,
            keyword: false,
            attempts: 1,
            responder: None,
            outcome: None,
            reason: None,
            replies: vec![],
            answered_at: None,
            created_at: now,
        });
        assert!(t.finish(Some("automated_responses"), TurnOutcome::Answered, None, vec![MessageId::new()], now));
        assert!(!t.finish(None, TurnOutcome::Unanswered, Some("no_responder"), vec![], now), "once");
        assert_eq!(t.snapshot().outcome, Some(TurnOutcome::Answered));
    }
}
