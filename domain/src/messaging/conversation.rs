//! The Conversation aggregate: a customer and a business number talking, and its window.
//!
//! A conversation starts when a customer writes (or the business sends the first template)
//! and ends when it is closed or its window expires; the next message starts a new one.
//! Messages are entities of the conversation but are loaded on their own (a conversation can
//! hold thousands); the aggregate holds what its invariants need: the window facts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::content::{MessageContent, TemplateRef};
use super::events::{ConversationClosed, ConversationStarted, InboxStateChanged, MessageReceived, MessageSent, MessagingEvent};
use super::inbound::InboundMessage;
use super::message::{Message, MessageSnapshot, MessageStateError};
use super::sender::Sender;
use super::values::{Direction, MessageKind, MessageStatus};
use super::window::{self, EntryPoint, WindowState};
use crate::shared::phone::{PhoneNumber, WaId};
use crate::{AccountId, ConversationId, CustomerId, MemberId, MessageId, ShopId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationStatus {
    Active,
    Closed,
    Expired,
}

impl ConversationStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Closed => "closed",
            Self::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "closed" => Some(Self::Closed),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Customer,
    Business,
}

/// Everything a stored conversation holds: what persistence reads and writes. Change a
/// conversation only through [`Conversation`]'s methods.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationSnapshot {
    pub id: ConversationId,
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub customer_id: CustomerId,
    pub wa_id: WaId,
    pub status: ConversationStatus,
    pub origin: Origin,
    pub assigned_agent_id: Option<MemberId>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub last_message_at: DateTime<Utc>,
    pub entry_point: Option<EntryPoint>,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Where people are with it in the inbox, beside the window's `status`.
    pub inbox_state: InboxState,
    /// Why people closed it (`resolved`, `spam`, …), while it is closed.
    pub inbox_close_reason: Option<String>,
    /// The customer's messages nobody read yet. Kept by the store, set-based (a received batch
    /// adds, a read recounts); the aggregate never writes it.
    pub unread_count: u32,
    /// Optimistic-concurrency version: bumped by every stored change.
    pub version: i64,
}

/// Where people are with a conversation in the inbox: `open`, `pending` (waiting on someone
/// else), `closed` (done; the customer writing again opens it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InboxState {
    #[default]
    Open,
    Pending,
    Closed,
}

impl InboxState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Pending => "pending",
            Self::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "pending" => Some(Self::Pending),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// Closing a conversation people already closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the conversation is already closed")]
pub struct AlreadyClosed;

/// Setting aside a conversation that is already set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the conversation is already pending")]
pub struct AlreadyPending;

/// The Conversation aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    s: ConversationSnapshot,
}

/// Why a send was refused by the window rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendRefusal {
    #[error("Cannot send free message. Conversation window expired.")]
    WindowClosed { expired_at: Option<DateTime<Utc>> },
    #[error("forceTemplate is set but no template was given")]
    TemplateRequired,
    #[error("nothing to send: give content or a template")]
    NothingToSend,
}

/// Seed 004's rule: inside the window send the free-form content; outside it (or when the
/// caller forces it) send the template; outside it with no template, refuse.
pub fn choose_outbound(
    window: &WindowState,
    content: Option<MessageContent>,
    template: Option<TemplateRef>,
    force_template: bool,
) -> Result<(MessageKind, MessageContent), SendRefusal> {
    if force_template {
        return template.map(|t| (MessageKind::Template, MessageContent::Template(t))).ok_or(SendRefusal::TemplateRequired);
    }
    let as_template = |t: TemplateRef| (MessageKind::Template, MessageContent::Template(t));
    match content {
        Some(MessageContent::Template(t)) => Ok(as_template(t)),
        Some(c) if window.is_open => Ok((MessageKind::Free, c)),
        None if window.is_open => template.map(as_template).ok_or(SendRefusal::NothingToSend),
        _ => template.map(as_template).ok_or(SendRefusal::WindowClosed { expired_at: window.expires_at }),
    }
}

/// What a new outbound message is: the caller decided kind and content with [`choose_outbound`].
#[derive(Debug, Clone, PartialEq)]
pub struct Outbound {
    pub kind: MessageKind,
    pub content: MessageContent,
    /// The wamid of the customer message it replies to.
    pub reply_to: Option<String>,
    pub user_id: Option<String>,
    /// The business number (E.164).
    pub from: PhoneNumber,
    /// Who sends it.
    pub sent_by: Sender,
}

impl Conversation {
    pub fn start(
        shop_id: ShopId,
        account_id: AccountId,
        customer_id: CustomerId,
        wa_id: WaId,
        origin: Origin,
        now: DateTime<Utc>,
    ) -> (Self, MessagingEvent) {
        let c = Self {
            s: ConversationSnapshot {
                id: ConversationId::new(),
                shop_id,
                account_id,
                customer_id,
                wa_id,
                status: ConversationStatus::Active,
                origin,
                assigned_agent_id: None,
                last_inbound_at: None,
                last_message_at: now,
                entry_point: None,
                started_at: now,
                closed_at: None,
                inbox_state: InboxState::Open,
                inbox_close_reason: None,
                unread_count: 0,
                version: 0,
            },
        };
        let e = MessagingEvent::from(ConversationStarted {
            shop_id,
            account_id,
            conversation_id: c.s.id,
            customer_id,
            wa_id: c.s.wa_id.to_string(),
            origin: origin.as_str().to_owned(),
        });
        (c, e)
    }

    /// Rebuild a stored conversation (persistence only).
    pub fn restore(snapshot: ConversationSnapshot) -> Self {
        Self { s: snapshot }
    }

    pub fn snapshot(&self) -> &ConversationSnapshot {
        &self.s
    }

    pub fn id(&self) -> ConversationId {
        self.s.id
    }
    pub fn shop_id(&self) -> ShopId {
        self.s.shop_id
    }
    pub fn account_id(&self) -> AccountId {
        self.s.account_id
    }
    pub fn customer_id(&self) -> CustomerId {
        self.s.customer_id
    }
    pub fn wa_id(&self) -> &WaId {
        &self.s.wa_id
    }
    pub fn status(&self) -> ConversationStatus {
        self.s.status
    }
    pub fn last_inbound_at(&self) -> Option<DateTime<Utc>> {
        self.s.last_inbound_at
    }

    pub fn is_active(&self) -> bool {
        self.s.status == ConversationStatus::Active
    }

    pub fn window(&self, now: DateTime<Utc>) -> WindowState {
        window::evaluate(self.s.last_inbound_at, self.s.entry_point, now)
    }

    /// A customer message arrived: it becomes a message of this conversation and the window
    /// moves to it. Meta may deliver messages out of order: the window only ever moves forward
    /// to the latest customer message.
    pub fn receive(
        &mut self,
        inbound: InboundMessage,
        user_id: Option<String>,
        business_number: &PhoneNumber,
        now: DateTime<Utc>,
    ) -> (Message, MessagingEvent) {
        let at = inbound.timestamp;
        // The customer wrote again: whatever people had closed is open again.
        if self.s.inbox_state != InboxState::Open {
            self.s.inbox_state = InboxState::Open;
            self.s.inbox_close_reason = None;
        }
        if self.s.last_inbound_at.is_none_or(|t| at > t) {
            self.s.last_inbound_at = Some(at);
        }
        if inbound.referral.is_some() && self.s.entry_point.is_none_or(|e| at > e.referred_at) {
            self.s.entry_point = Some(EntryPoint { referred_at: at, first_reply_at: None });
        }
        if at > self.s.last_message_at {
            self.s.last_message_at = at;
        }
        let has_referral = inbound.referral.is_some();
        let message = Message::new(MessageSnapshot {
            id: MessageId::new(),
            shop_id: self.s.shop_id,
            account_id: self.s.account_id,
            conversation_id: self.s.id,
            customer_id: self.s.customer_id,
            wa_id: self.s.wa_id.clone(),
            direction: Direction::Inbound,
            wamid: Some(inbound.wamid),
            kind: MessageKind::Free,
            content: inbound.content,
            status: MessageStatus::Received,
            error: None,
            pricing: None,
            context: inbound.context,
            referral: inbound.referral,
            user_id: user_id.clone(),
            sent_by: None,
            from: self.s.wa_id.to_phone(),
            to: business_number.to_string(),
            timestamp: at,
            created_at: now,
            updated_at: now,
            version: 0,
        });
        let event = MessagingEvent::from(MessageReceived {
            shop_id: self.s.shop_id,
            account_id: self.s.account_id,
            conversation_id: self.s.id,
            customer_id: self.s.customer_id,
            message_id: message.id(),
            wamid: message.wamid().unwrap_or_default().to_owned(),
            wa_id: self.s.wa_id.to_string(),
            user_id,
            content_type: message.content().type_name().to_owned(),
            meta_timestamp: at,
            has_referral,
        });
        (message, event)
    }

    /// A new outbound message of this conversation, `queued` until the dispatcher sends it.
    pub fn queue(&self, outbound: Outbound, now: DateTime<Utc>) -> Message {
        Message::new(MessageSnapshot {
            id: MessageId::new(),
            shop_id: self.s.shop_id,
            account_id: self.s.account_id,
            conversation_id: self.s.id,
            customer_id: self.s.customer_id,
            wa_id: self.s.wa_id.clone(),
            direction: Direction::Outbound,
            wamid: None,
            kind: outbound.kind,
            content: outbound.content,
            status: MessageStatus::Queued,
            error: None,
            pricing: None,
            context: outbound.reply_to.map(|w| serde_json::json!({ "message_id": w })),
            referral: None,
            user_id: outbound.user_id,
            sent_by: Some(outbound.sent_by),
            from: outbound.from.to_string(),
            to: self.s.wa_id.to_phone(),
            timestamp: now,
            created_at: now,
            updated_at: now,
            version: 0,
        })
    }

    /// Meta accepted one of this conversation's outbound messages and gave it `wamid`.
    pub fn record_sent(&mut self, message: &mut Message, wamid: String, now: DateTime<Utc>) -> Result<MessagingEvent, MessageStateError> {
        if message.conversation_id() != self.s.id {
            return Err(MessageStateError::OtherConversation);
        }
        message.accept(wamid, now)?;
        if let Some(ep) = self.s.entry_point.as_mut()
            && ep.first_reply_at.is_none()
        {
            ep.first_reply_at = Some(now);
        }
        if now > self.s.last_message_at {
            self.s.last_message_at = now;
        }
        Ok(MessagingEvent::from(MessageSent {
            shop_id: self.s.shop_id,
            account_id: self.s.account_id,
            conversation_id: self.s.id,
            message_id: message.id(),
            wamid: message.wamid().unwrap_or_default().to_owned(),
            wa_id: self.s.wa_id.to_string(),
            user_id: message.snapshot().user_id.clone(),
            message_type: message.kind().as_str().to_owned(),
            content_type: message.content().type_name().to_owned(),
            sent_by: message.sent_by().cloned(),
        }))
    }

    fn end(&mut self, status: ConversationStatus, reason: &str, now: DateTime<Utc>) -> Option<MessagingEvent> {
        if !self.is_active() {
            return None;
        }
        self.s.status = status;
        self.s.closed_at = Some(now);
        Some(MessagingEvent::from(ConversationClosed {
            shop_id: self.s.shop_id,
            account_id: self.s.account_id,
            conversation_id: self.s.id,
            customer_id: self.s.customer_id,
            wa_id: self.s.wa_id.to_string(),
            reason: reason.to_owned(),
            duration_seconds: (now - self.s.started_at).num_seconds().max(0),
        }))
    }

    /// The member people assigned this window to (`None`: nobody in particular). `false`: it
    /// already was.
    pub fn assign(&mut self, member: Option<MemberId>) -> bool {
        if self.s.assigned_agent_id == member {
            return false;
        }
        self.s.assigned_agent_id = member;
        true
    }

    /// People closed it in the inbox (the window, `status`, is untouched). Closing a closed
    /// conversation is refused.
    pub fn close_in_inbox(&mut self, reason: &str) -> Result<InboxStateChanged, AlreadyClosed> {
        if self.s.inbox_state == InboxState::Closed {
            return Err(AlreadyClosed);
        }
        let from = std::mem::replace(&mut self.s.inbox_state, InboxState::Closed);
        self.s.inbox_close_reason = Some(reason.to_owned());
        Ok(self.inbox_changed(from, reason))
    }

    /// People set it aside, waiting on someone else (another team, a supplier); the assignee
    /// keeps it. From `open` or `closed`; the customer writing again, or people reopening it,
    /// makes it `open`. Setting aside a pending conversation is refused.
    pub fn set_pending(&mut self, reason: &str) -> Result<InboxStateChanged, AlreadyPending> {
        if self.s.inbox_state == InboxState::Pending {
            return Err(AlreadyPending);
        }
        let from = std::mem::replace(&mut self.s.inbox_state, InboxState::Pending);
        self.s.inbox_close_reason = None;
        Ok(self.inbox_changed(from, reason))
    }

    /// People opened it again; `None`: it was open.
    pub fn reopen_in_inbox(&mut self) -> Option<InboxStateChanged> {
        if self.s.inbox_state == InboxState::Open {
            return None;
        }
        let from = std::mem::replace(&mut self.s.inbox_state, InboxState::Open);
        self.s.inbox_close_reason = None;
        Some(self.inbox_changed(from, "reopened"))
    }

    fn inbox_changed(&self, from: InboxState, reason: &str) -> InboxStateChanged {
        InboxStateChanged {
            shop_id: self.s.shop_id,
            account_id: self.s.account_id,
            conversation_id: self.s.id,
            customer_id: self.s.customer_id,
            wa_id: self.s.wa_id.to_string(),
            from: from.as_str().to_owned(),
            to: self.s.inbox_state.as_str().to_owned(),
            reason: reason.to_owned(),
        }
    }

    pub fn inbox_state(&self) -> InboxState {
        self.s.inbox_state
    }

    /// Close on request (an agent resolved it).
    pub fn close(&mut self, now: DateTime<Utc>) -> Option<MessagingEvent> {
        self.end(ConversationStatus::Closed, "closed", now)
    }

    /// Expire it if its window has closed (the ConversationExpiryJob calls this).
    pub fn check_expiry(&mut self, now: DateTime<Utc>) -> Option<MessagingEvent> {
        let w = self.window(now);
        let expired = match w.expires_at {
            Some(end) => now >= end,
            // Business-initiated and never answered: expire 24h after it started.
            None => now >= self.s.started_at + window::customer_service_window(),
        };
        if expired { self.end(ConversationStatus::Expired, "expired", now) } else { None }
    }
}

impl Origin {
    pub fn as_str(&self) -> &'static str {
        match self {
            Origin::Customer => "customer",
            Origin::Business => "business",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "customer" => Some(Self::Customer),
            "business" => Some(Self::Business),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::values::MessageError;
    use crate::shared::events::IntegrationEvent;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    fn business() -> PhoneNumber {
        PhoneNumber::parse("+15550001111").unwrap()
    }

    fn given_conversation() -> Conversation {
        Conversation::start(
            ShopId::new(),
            AccountId::new(),
            CustomerId::new(),
            WaId::parse("5511999990000").unwrap(),
            Origin::Customer,
            t0(),
        )
        .0
    }

    fn inbound(c: &Conversation, at: DateTime<Utc>, referral: bool) -> InboundMessage {
        InboundMessage {
            wamid: format!("wamid.{}", at.timestamp()),
            from: c.wa_id().clone(),
            profile_name: None,
            timestamp: at,
            content: MessageContent::Text { text: "hi".into(), preview_url: false },
            context: None,
            referral: referral.then(|| serde_json::json!({"source_type": "ad"})),
        }
    }

    fn receive(c: &mut Conversation, at: DateTime<Utc>, referral: bool) -> (Message, MessagingEvent) {
        let m = inbound(c, at, referral);
        c.receive(m, None, &business(), at)
    }

    fn text() -> Option<MessageContent> {
        Some(MessageContent::Text { text: "hello".into(), preview_url: false })
    }

    fn template() -> Option<TemplateRef> {
        Some(TemplateRef { name: "hello_world".into(), language: "en_US".into(), components: vec![] })
    }

    fn outbound(kind: MessageKind, content: MessageContent) -> Outbound {
        Outbound {
            kind,
            content,
            reply_to: Some("wamid.IN".into()),
            user_id: None,
            from: business(),
            sent_by: Sender::consent_confirmation(),
        }
    }

    #[test]
    fn given_customer_wrote_when_replying_within_24h_then_free_form() {
        let mut c = given_conversation();
        let (m, e) = receive(&mut c, t0(), false);
        assert_eq!(e.event_type(), "message.received");
        assert_eq!(m.direction(), Direction::Inbound);
        assert_eq!(m.status(), MessageStatus::Received);
        assert_eq!(m.conversation_id(), c.id());
        assert_eq!(e.data()["messageId"], m.id().to_string());
        let (kind, _) = choose_outbound(&c.window(t0() + Duration::hours(23)), text(), None, false).unwrap();
        assert_eq!(kind, MessageKind::Free);
    }

    #[test]
    fn given_window_closed_when_sending_text_then_refused_with_expiry() {
        let mut c = given_conversation();
        receive(&mut c, t0(), false);
        let r = choose_outbound(&c.window(t0() + Duration::hours(24)), text(), None, false);
        assert_eq!(r, Err(SendRefusal::WindowClosed { expired_at: Some(t0() + Duration::hours(24)) }));
    }

    #[test]
    fn given_window_closed_when_a_template_is_supplied_then_template() {
        let mut c = given_conversation();
        receive(&mut c, t0(), false);
        let (kind, content) = choose_outbound(&c.window(t0() + Duration::hours(30)), text(), template(), false).unwrap();
        assert_eq!(kind, MessageKind::Template);
        assert!(content.is_template());
    }

    #[test]
    fn force_template_sends_template_even_when_open_and_requires_one() {
        let mut c = given_conversation();
        receive(&mut c, t0(), false);
        let w = c.window(t0());
        assert_eq!(choose_outbound(&w, text(), template(), true).unwrap().0, MessageKind::Template);
        assert_eq!(choose_outbound(&w, text(), None, true), Err(SendRefusal::TemplateRequired));
    }

    #[test]
    fn template_content_is_allowed_with_window_closed() {
        let c = given_conversation();
        let content = Some(MessageContent::Template(template().unwrap()));
        assert_eq!(choose_outbound(&c.window(t0()), content, None, false).unwrap().0, MessageKind::Template);
    }

    #[test]
    fn out_of_order_inbound_never_moves_the_window_back() {
        let mut c = given_conversation();
        receive(&mut c, t0() + Duration::hours(5), false);
        receive(&mut c, t0(), false);
        assert_eq!(c.last_inbound_at(), Some(t0() + Duration::hours(5)));
    }

    #[test]
    fn referral_and_reply_open_the_72h_window() {
        let mut c = given_conversation();
        receive(&mut c, t0(), true);
        let mut reply = c.queue(outbound(MessageKind::Free, text().unwrap()), t0());
        c.record_sent(&mut reply, "wamid.OUT".into(), t0() + Duration::minutes(3)).unwrap();
        assert!(c.window(t0() + Duration::hours(48)).is_open);
        assert!(!c.window(t0() + Duration::hours(72)).is_open);
    }

    #[test]
    fn a_queued_message_is_sent_once_meta_accepts_it() {
        let mut c = given_conversation();
        let mut m = c.queue(outbound(MessageKind::Free, text().unwrap()), t0());
        assert_eq!((m.status(), m.wamid(), m.reply_to()), (MessageStatus::Queued, None, Some("wamid.IN")));
        assert_eq!(m.snapshot().to, "+5511999990000");
        let e = c.record_sent(&mut m, "wamid.OUT".into(), t0()).unwrap();
        assert_eq!(e.event_type(), "message.sent");
        assert_eq!((m.status(), m.wamid()), (MessageStatus::Sent, Some("wamid.OUT")));
        let mut other = given_conversation();
        assert_eq!(other.record_sent(&mut m, "wamid.X".into(), t0()), Err(MessageStateError::OtherConversation));
    }

    #[test]
    fn statuses_move_a_message_forward_once_each() {
        let mut c = given_conversation();
        let mut m = c.queue(outbound(MessageKind::Template, MessageContent::Template(template().unwrap())), t0());
        c.record_sent(&mut m, "wamid.OUT".into(), t0()).unwrap();
        let read = m.apply_status(MessageStatus::Read, None, None, Some(t0()), t0()).unwrap();
        assert_eq!((read.data()["status"].as_str(), read.data()["previousStatus"].as_str()), (Some("read"), Some("sent")));
        assert!(m.apply_status(MessageStatus::Delivered, None, None, None, t0()).is_none(), "a late delivered changes nothing");
        let err = MessageError { code: 131026, title: "undeliverable".into(), details: None };
        assert!(m.fail(err.clone(), t0()).is_some(), "failed wins");
        assert_eq!(m.error(), Some(&err));
        assert!(m.fail(err, t0()).is_none(), "and is final");
    }

    #[test]
    fn only_customer_messages_are_marked_read() {
        let mut c = given_conversation();
        let (mut m, _) = receive(&mut c, t0(), false);
        assert_eq!(m.mark_read(t0()), Ok(true));
        assert_eq!(m.mark_read(t0()), Ok(false));
        let mut out = c.queue(outbound(MessageKind::Free, text().unwrap()), t0());
        assert_eq!(out.mark_read(t0()), Err(MessageStateError::NotInbound));
    }

    #[test]
    fn expiry_closes_once_with_duration() {
        let mut c = given_conversation();
        receive(&mut c, t0(), false);
        assert!(c.check_expiry(t0() + Duration::hours(23)).is_none());
        let e = c.check_expiry(t0() + Duration::hours(24)).unwrap();
        assert_eq!(e.event_type(), "conversation.closed");
        assert_eq!(e.data()["durationSeconds"], 24 * 3600);
        assert_eq!(c.status(), ConversationStatus::Expired);
        assert!(c.check_expiry(t0() + Duration::hours(25)).is_none());
        assert!(c.close(t0() + Duration::hours(25)).is_none());
    }

    #[test]
    fn given_an_open_conversation_when_people_close_it_then_closing_again_is_refused_and_reopening_is_defined() {
        let (mut c, _) = Conversation::start(
            ShopId::new(),
            AccountId::new(),
            CustomerId::new(),
            WaId::parse("5511987654321").unwrap(),
            Origin::Customer,
            t0(),
        );
        assert!(c.reopen_in_inbox().is_none(), "already open");
        let e = c.close_in_inbox("resolved").unwrap();
        assert_eq!((e.from.as_str(), e.to.as_str(), e.reason.as_str()), ("open", "closed", "resolved"));
        assert_eq!(c.close_in_inbox("again"), Err(AlreadyClosed));
        assert_eq!(c.status(), ConversationStatus::Active, "the window is another matter");
        let e = c.reopen_in_inbox().unwrap();
        assert_eq!((e.from.as_str(), e.to.as_str()), ("closed", "open"));
        assert_eq!(c.snapshot().inbox_close_reason, None);
    }

    #[test]
    fn given_an_open_conversation_when_people_set_it_pending_then_again_is_refused_and_the_customer_opens_it() {
        let (mut c, _) = Conversation::start(
            ShopId::new(),
            AccountId::new(),
            CustomerId::new(),
            WaId::parse("5511987654321").unwrap(),
            Origin::Customer,
            t0(),
        );
        let e = c.set_pending("waiting on the warehouse").unwrap();
        assert_eq!((e.from.as_str(), e.to.as_str(), e.reason.as_str()), ("open", "pending", "waiting on the warehouse"));
        assert_eq!(c.set_pending("again"), Err(AlreadyPending));
        c.close_in_inbox("resolved").unwrap();
        let e = c.set_pending("not done after all").unwrap();
        assert_eq!((e.from.as_str(), e.to.as_str()), ("closed", "pending"));
        assert_eq!(c.snapshot().inbox_close_reason, None, "no longer closed");
        let e = c.reopen_in_inbox().unwrap();
        assert_eq!((e.from.as_str(), e.to.as_str()), ("pending", "open"));
    }
}
