//! A customer's thread with one of the shop's numbers, and who owns it. A conversation row is
//! one 24-hour window; the thread outlives them (ADR 15), so an owner survives a window's expiry.
//! Every owner but `none` expires: people hand a thread back after the shop's hand-back time
//! with no activity, so no customer is ignored forever.

use chrono::{DateTime, Duration, Utc};

use super::events::OwnerChanged;
use super::owner::Owner;
use crate::{AccountId, ConversationId, CustomerId, DepartmentId, MemberId, ShopId, ThreadId, WaId};

#[derive(Debug, Clone, PartialEq)]
pub struct ThreadSnapshot {
    pub id: ThreadId,
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub customer_id: CustomerId,
    pub wa_id: WaId,
    /// The latest conversation (window) of the thread.
    pub conversation_id: ConversationId,
    pub owner: Owner,
    pub owner_reason: Option<String>,
    pub owner_since: Option<DateTime<Utc>>,
    pub owner_expires_at: Option<DateTime<Utc>>,
    /// Since when the customer waits for people (cleared when people answer).
    pub waiting_since: Option<DateTime<Utc>>,
    /// The department whose members it goes to when it needs a person (a transfer or a routing
    /// rule set it); `None`: not routed yet.
    pub department_id: Option<DepartmentId>,
    pub away_sent_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The thread aggregate: decides owner changes and returns `conversation.owner.changed`.
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    s: ThreadSnapshot,
}

impl Thread {
    /// A thread nothing was recorded on yet: owned by nobody.
    pub fn new(
        shop_id: ShopId,
        account_id: AccountId,
        customer_id: CustomerId,
        wa_id: WaId,
        conversation_id: ConversationId,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            s: ThreadSnapshot {
                id: ThreadId::new(),
                shop_id,
                account_id,
                customer_id,
                wa_id,
                conversation_id,
                owner: Owner::None,
                owner_reason: None,
                owner_since: None,
                owner_expires_at: None,
                waiting_since: None,
                department_id: None,
                away_sent_at: None,
                updated_at: now,
                version: 0,
            },
        }
    }
    pub fn restore(s: ThreadSnapshot) -> Self {
        Self { s }
    }
    pub fn snapshot(&self) -> &ThreadSnapshot {
        &self.s
    }
    pub fn id(&self) -> ThreadId {
        self.s.id
    }
    pub fn version(&self) -> i64 {
        self.s.version
    }
    pub fn waiting_since(&self) -> Option<DateTime<Utc>> {
        self.s.waiting_since
    }

    /// The owner at `now`: an owner whose time ran out counts as nobody, even before the expiry
    /// job records it.
    pub fn owner_at(&self, now: DateTime<Utc>) -> Owner {
        match self.s.owner_expires_at {
            Some(at) if at <= now => Owner::None,
            _ => self.s.owner,
        }
    }

    /// The latest window of the thread.
    pub fn seen_in(&mut self, conversation: ConversationId, now: DateTime<Utc>) {
        if self.s.conversation_id != conversation {
            self.s.conversation_id = conversation;
            self.s.updated_at = now;
        }
    }

    fn change(&mut self, to: Owner, reason: &str, until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<OwnerChanged> {
        let from = self.owner_at(now);
        self.s.owner_expires_at = until;
        self.s.updated_at = now;
        if from == to && self.s.owner == to {
            return None;
        }
        self.s.owner = to;
        self.s.owner_reason = Some(reason.to_owned());
        self.s.owner_since = Some(now);
        Some(OwnerChanged {
            shop_id: self.s.shop_id,
            account_id: self.s.account_id,
            conversation_id: self.s.conversation_id,
            customer_id: self.s.customer_id,
            thread_id: self.s.id,
            wa_id: self.s.wa_id.to_string(),
            from,
            to,
            reason: reason.to_owned(),
        })
    }

    /// People take the thread (a turn no responder answered, or a teammate): they keep it for
    /// `hold` from now, and the customer waits for them from now (if not already).
    pub fn hand_to_people(&mut self, member: Option<MemberId>, reason: &str, hold: Duration, now: DateTime<Utc>) -> Option<OwnerChanged> {
        self.s.waiting_since.get_or_insert(now);
        self.change(Owner::People { member }, reason, Some(now + hold), now)
    }

    /// The department whose members it goes to (a transfer, or the shop's routing rules).
    pub fn route_to(&mut self, department: Option<DepartmentId>, now: DateTime<Utc>) {
        if self.s.department_id != department {
            self.s.department_id = department;
            self.s.updated_at = now;
        }
    }

    /// Whether it needs a person now: people own it, nobody in particular.
    pub fn needs_a_person(&self, now: DateTime<Utc>) -> bool {
        self.owner_at(now) == Owner::People { member: None }
    }

    /// The customer wrote again while people own the thread: they wait (since their first
    /// unanswered message).
    pub fn awaits_people(&mut self, now: DateTime<Utc>) {
        if self.s.waiting_since.is_none() {
            self.s.waiting_since = Some(now);
            self.s.updated_at = now;
        }
    }

    /// People answered: nobody waits, and people keep the thread for `hold` more.
    pub fn answered_by_people(&mut self, hold: Duration, now: DateTime<Utc>) {
        self.s.waiting_since = None;
        if matches!(self.owner_at(now), Owner::People { .. }) {
            self.s.owner_expires_at = Some(now + hold);
        }
        self.s.updated_at = now;
    }

    /// An automated responder answered the customer: nobody waits.
    pub fn answered(&mut self, now: DateTime<Utc>) {
        if self.s.waiting_since.take().is_some() {
            self.s.updated_at = now;
        }
    }

    /// People closed the conversation: nobody waits, and the thread goes back to nobody (the
    /// responders answer the customer's next message; the member's capacity is free).
    pub fn closed_by_people(&mut self, now: DateTime<Utc>) -> Option<OwnerChanged> {
        self.s.waiting_since = None;
        self.change(Owner::None, "closed", None, now)
    }

    /// The owner's time ran out: the thread goes back to nobody (the responders answer again).
    pub fn expire(&mut self, now: DateTime<Utc>) -> Option<OwnerChanged> {
        match self.s.owner_expires_at {
            Some(at) if at <= now && self.s.owner != Owner::None => {
                let from = self.s.owner;
                let e = self.change(Owner::None, "expired", None, now);
                e.map(|mut e| {
                    e.from = from;
                    e
                })
            }
            _ => None,
        }
    }

    /// Whether the away message may go out again: never sent, or sent at least `every` ago.
    pub fn away_due(&self, every: Duration, now: DateTime<Utc>) -> bool {
        self.s.away_sent_at.is_none_or(|at| now - at >= every)
    }
    pub fn away_sent(&mut self, now: DateTime<Utc>) {
        self.s.away_sent_at = Some(now);
        self.s.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread(now: DateTime<Utc>) -> Thread {
        Thread::new(ShopId::new(), AccountId::new(), CustomerId::new(), WaId::parse("5511987654321").unwrap(), ConversationId::new(), now)
    }

    #[test]
    fn given_nobody_owns_it_when_people_take_it_then_one_change_and_the_customer_waits() {
        let now = Utc::now();
        let mut t = thread(now);
        let e = t.hand_to_people(None, "no_responder", Duration::hours(24), now).expect("a change");
        assert_eq!((e.from, e.to, e.reason.as_str()), (Owner::None, Owner::People { member: None }, "no_responder"));
        assert_eq!(t.waiting_since(), Some(now));
        // Handing it again to the same owner says nothing new.
        assert_eq!(t.hand_to_people(None, "no_responder", Duration::hours(24), now + Duration::minutes(1)), None);
        assert_eq!(t.waiting_since(), Some(now), "waits since the first unanswered turn");
    }

    #[test]
    fn people_hand_back_after_their_time_with_no_activity_and_an_answer_renews_it() {
        let now = Utc::now();
        let mut t = thread(now);
        t.hand_to_people(None, "no_responder", Duration::hours(24), now);
        t.answered_by_people(Duration::hours(24), now + Duration::hours(20));
        assert_eq!(t.waiting_since(), None);
        assert_eq!(t.expire(now + Duration::hours(25)), None, "renewed by the answer");
        assert_eq!(t.owner_at(now + Duration::hours(43)), Owner::People { member: None });
        assert_eq!(t.owner_at(now + Duration::hours(44)), Owner::None, "counts as nobody once expired");
        let e = t.expire(now + Duration::hours(44)).expect("handed back");
        assert_eq!((e.from, e.to, e.reason.as_str()), (Owner::People { member: None }, Owner::None, "expired"));
        assert_eq!(t.expire(now + Duration::hours(45)), None, "once");
    }

    #[test]
    fn the_away_message_goes_at_most_once_per_period() {
        let now = Utc::now();
        let mut t = thread(now);
        assert!(t.away_due(Duration::hours(12), now));
        t.away_sent(now);
        assert!(!t.away_due(Duration::hours(12), now + Duration::hours(11)));
        assert!(t.away_due(Duration::hours(12), now + Duration::hours(12)));
    }
}
