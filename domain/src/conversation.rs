//! The Conversation aggregate: a customer and a business number talking, and its window.
//!
//! A conversation starts when a customer writes (or the business sends the first template)
//! and ends when it is closed or its window expires; the next message starts a new one.
//! Messages are entities of the conversation but are loaded on their own (a conversation can
//! hold thousands); the aggregate holds what its invariants need: the window facts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::content::{MessageContent, TemplateRef};
use crate::events::{ConversationClosed, ConversationStarted, DomainEvent, MessageReceived, MessageSent};
use crate::message::{Direction, Message, MessageKind};
use crate::phone::WaId;
use crate::window::{self, EntryPoint, WindowState};
use crate::{AccountId, AgentId, ConversationId, CustomerId, ShopId};

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

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: ConversationId,
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub customer_id: CustomerId,
    pub wa_id: WaId,
    pub status: ConversationStatus,
    pub origin: Origin,
    pub assigned_agent_id: Option<AgentId>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub last_message_at: DateTime<Utc>,
    pub entry_point: Option<EntryPoint>,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
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

impl Conversation {
    pub fn start(
        shop_id: ShopId,
        account_id: AccountId,
        customer_id: CustomerId,
        wa_id: WaId,
        origin: Origin,
        now: DateTime<Utc>,
    ) -> (Self, DomainEvent) {
        let c = Self {
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
        };
        let e = DomainEvent::ConversationStarted(ConversationStarted {
            shop_id,
            account_id,
            conversation_id: c.id,
            customer_id,
            wa_id: c.wa_id.to_string(),
            origin: origin_str(origin).to_owned(),
        });
        (c, e)
    }

    pub fn is_active(&self) -> bool {
        self.status == ConversationStatus::Active
    }

    pub fn window(&self, now: DateTime<Utc>) -> WindowState {
        window::evaluate(self.last_inbound_at, self.entry_point, now)
    }

    /// A customer message arrived. Meta may deliver messages out of order: the window only
    /// ever moves forward to the latest customer message.
    pub fn receive(&mut self, message: &Message) -> DomainEvent {
        debug_assert_eq!(message.direction, Direction::Inbound);
        let at = message.timestamp;
        if self.last_inbound_at.is_none_or(|t| at > t) {
            self.last_inbound_at = Some(at);
        }
        if message.referral.is_some() && self.entry_point.is_none_or(|e| at > e.referred_at) {
            self.entry_point = Some(EntryPoint { referred_at: at, first_reply_at: None });
        }
        if at > self.last_message_at {
            self.last_message_at = at;
        }
        DomainEvent::MessageReceived(MessageReceived {
            shop_id: self.shop_id,
            account_id: self.account_id,
            conversation_id: self.id,
            customer_id: self.customer_id,
            message_id: message.id,
            wamid: message.wamid.clone().unwrap_or_default(),
            wa_id: self.wa_id.to_string(),
            user_id: message.user_id.clone(),
            content_type: message.content.type_name().to_owned(),
            meta_timestamp: message.timestamp,
            has_referral: message.referral.is_some(),
        })
    }

    /// Meta accepted an outbound message.
    pub fn record_sent(&mut self, message: &Message, now: DateTime<Utc>) -> DomainEvent {
        if let Some(ep) = self.entry_point.as_mut()
            && ep.first_reply_at.is_none()
        {
            ep.first_reply_at = Some(now);
        }
        if now > self.last_message_at {
            self.last_message_at = now;
        }
        DomainEvent::MessageSent(MessageSent {
            shop_id: self.shop_id,
            account_id: self.account_id,
            conversation_id: self.id,
            message_id: message.id,
            wamid: message.wamid.clone().unwrap_or_default(),
            wa_id: self.wa_id.to_string(),
            user_id: message.user_id.clone(),
            message_type: message.kind.as_str().to_owned(),
            content_type: message.content.type_name().to_owned(),
        })
    }

    pub fn assign(&mut self, agent: Option<AgentId>) -> bool {
        if self.assigned_agent_id == agent {
            return false;
        }
        self.assigned_agent_id = agent;
        true
    }

    fn end(&mut self, status: ConversationStatus, reason: &str, now: DateTime<Utc>) -> Option<DomainEvent> {
        if !self.is_active() {
            return None;
        }
        self.status = status;
        self.closed_at = Some(now);
        Some(DomainEvent::ConversationClosed(ConversationClosed {
            shop_id: self.shop_id,
            account_id: self.account_id,
            conversation_id: self.id,
            customer_id: self.customer_id,
            wa_id: self.wa_id.to_string(),
            reason: reason.to_owned(),
            duration_seconds: (now - self.started_at).num_seconds().max(0),
        }))
    }

    /// Close on request (an agent resolved it).
    pub fn close(&mut self, now: DateTime<Utc>) -> Option<DomainEvent> {
        self.end(ConversationStatus::Closed, "closed", now)
    }

    /// Expire it if its window has closed (the ConversationExpiryJob calls this).
    pub fn check_expiry(&mut self, now: DateTime<Utc>) -> Option<DomainEvent> {
        let w = self.window(now);
        let expired = match w.expires_at {
            Some(end) => now >= end,
            // Business-initiated and never answered: expire 24h after it started.
            None => now >= self.started_at + window::customer_service_window(),
        };
        if expired { self.end(ConversationStatus::Expired, "expired", now) } else { None }
    }
}

fn origin_str(o: Origin) -> &'static str {
    match o {
        Origin::Customer => "customer",
        Origin::Business => "business",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::MessageStatus;
    use crate::{CustomerId, MessageId};
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    fn conversation() -> Conversation {
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

    fn inbound(c: &Conversation, at: DateTime<Utc>, referral: bool) -> Message {
        Message {
            id: MessageId::new(),
            shop_id: c.shop_id,
            account_id: c.account_id,
            conversation_id: c.id,
            customer_id: c.customer_id,
            wa_id: c.wa_id.clone(),
            direction: Direction::Inbound,
            wamid: Some(format!("wamid.{}", at.timestamp())),
            kind: MessageKind::Free,
            content: MessageContent::Text { text: "hi".into(), preview_url: false },
            status: MessageStatus::Received,
            error: None,
            pricing: None,
            context: None,
            referral: referral.then(|| serde_json::json!({"source_type": "ad"})),
            user_id: None,
            from: c.wa_id.to_phone(),
            to: "+15550001111".into(),
            timestamp: at,
            created_at: at,
            updated_at: at,
        }
    }

    fn text() -> Option<MessageContent> {
        Some(MessageContent::Text { text: "hello".into(), preview_url: false })
    }

    fn template() -> Option<TemplateRef> {
        Some(TemplateRef { name: "hello_world".into(), language: "en_US".into(), components: vec![] })
    }

    #[test]
    fn given_customer_wrote_when_replying_within_24h_then_free_form() {
        let mut c = conversation();
        let e = c.receive(&inbound(&c, t0(), false));
        assert_eq!(e.short_type(), "message.received");
        let (kind, _) = choose_outbound(&c.window(t0() + Duration::hours(23)), text(), None, false).unwrap();
        assert_eq!(kind, MessageKind::Free);
    }

    #[test]
    fn given_window_closed_when_sending_text_then_refused_with_expiry() {
        let mut c = conversation();
        c.receive(&inbound(&c, t0(), false));
        let r = choose_outbound(&c.window(t0() + Duration::hours(24)), text(), None, false);
        assert_eq!(r, Err(SendRefusal::WindowClosed { expired_at: Some(t0() + Duration::hours(24)) }));
    }

    #[test]
    fn given_window_closed_when_a_template_is_supplied_then_template() {
        let mut c = conversation();
        c.receive(&inbound(&c, t0(), false));
        let (kind, content) = choose_outbound(&c.window(t0() + Duration::hours(30)), text(), template(), false).unwrap();
        assert_eq!(kind, MessageKind::Template);
        assert!(content.is_template());
    }

    #[test]
    fn force_template_sends_template_even_when_open_and_requires_one() {
        let mut c = conversation();
        c.receive(&inbound(&c, t0(), false));
        let w = c.window(t0());
        assert_eq!(choose_outbound(&w, text(), template(), true).unwrap().0, MessageKind::Template);
        assert_eq!(choose_outbound(&w, text(), None, true), Err(SendRefusal::TemplateRequired));
    }

    #[test]
    fn template_content_is_allowed_with_window_closed() {
        let c = conversation();
        let content = Some(MessageContent::Template(template().unwrap()));
        assert_eq!(choose_outbound(&c.window(t0()), content, None, false).unwrap().0, MessageKind::Template);
    }

    #[test]
    fn out_of_order_inbound_never_moves_the_window_back() {
        let mut c = conversation();
        c.receive(&inbound(&c, t0() + Duration::hours(5), false));
        c.receive(&inbound(&c, t0(), false));
        assert_eq!(c.last_inbound_at, Some(t0() + Duration::hours(5)));
    }

    #[test]
    fn referral_and_reply_open_the_72h_window() {
        let mut c = conversation();
        c.receive(&inbound(&c, t0(), true));
        let reply = inbound(&c, t0(), false);
        c.record_sent(&reply, t0() + Duration::minutes(3));
        assert!(c.window(t0() + Duration::hours(48)).is_open);
        assert!(!c.window(t0() + Duration::hours(72)).is_open);
    }

    #[test]
    fn expiry_closes_once_with_duration() {
        let mut c = conversation();
        c.receive(&inbound(&c, t0(), false));
        assert!(c.check_expiry(t0() + Duration::hours(23)).is_none());
        let e = c.check_expiry(t0() + Duration::hours(24)).unwrap();
        assert_eq!(e.short_type(), "conversation.closed");
        assert_eq!(c.status, ConversationStatus::Expired);
        assert!(c.check_expiry(t0() + Duration::hours(25)).is_none());
        assert!(c.close(t0() + Duration::hours(25)).is_none());
    }
}
