//! Request and response bodies of the messaging API (messages and conversations).

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use serde_json::Value;
use uuid::Uuid;

use domain::messaging::{Conversation, ConversationStatus, Direction, Message, WindowKind, WindowState};

#[derive(Object, Clone, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateDto {
    /// The approved template's name.
    #[oai(validator(pattern = r"^[a-z0-9_]{1,512}$"))]
    pub name: String,
    /// Language code, e.g. `en_US`, `pt_BR`.
    #[oai(validator(pattern = r"^[a-z]{2,3}(_([A-Z]{2}|[0-9]{3}))?$"))]
    pub language: String,
    /// Meta-format components with positional (`{"type":"text","text":"…"}`) or named
    /// (`"parameter_name"`) parameters. Absent: none.
    pub components: Option<Vec<Value>>,
}

impl From<TemplateDto> for domain::messaging::TemplateRef {
    fn from(t: TemplateDto) -> Self {
        Self { name: t.name, language: t.language, components: t.components.unwrap_or_default() }
    }
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendMessageRequest {
    /// The business number to send from (E.164, connected to this shop).
    #[oai(validator(pattern = r"^\s*\+[ \-.()]*[1-9]([ \-.()]*[0-9]){7,14}[ \-.()]*\s*$"))]
    pub from: String,
    /// The customer (E.164).
    #[oai(validator(pattern = r"^\s*\+[ \-.()]*[1-9]([ \-.()]*[0-9]){7,14}[ \-.()]*\s*$"))]
    pub to: String,
    /// Optional external id of the customer, kept on the customer and the message.
    #[oai(validator(min_length = 1, max_length = 128))]
    pub user_id: Option<String>,
    /// The message. `{"type":"text","text":"…"}`, or image / video / audio / document / sticker
    /// (`mediaId` of an upload or a kept file, or Meta's `id`, or a `link`; `caption`), location,
    /// contacts, reaction, buttons, list, cta_url,
    /// location_request, flow, template. See docs/API.md for each shape and Meta's limits.
    pub content: Option<Value>,
    /// Send this template instead of `content`, even inside the 24-hour window. Absent: false.
    pub force_template: Option<bool>,
    /// The template to send when the window is closed (or when forced).
    pub template: Option<TemplateDto>,
    /// The wamid of a message to reply to (shown quoted).
    #[oai(validator(min_length = 1, max_length = 256))]
    pub reply_to: Option<String>,
}

/// A reply on a conversation (`POST /conversations/{id}/messages`): from the conversation's
/// number to its customer.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyRequest {
    /// The message, as `content` of `POST /messages/send`.
    pub content: Option<Value>,
    /// Send this template instead of `content`, even inside the 24-hour window. Absent: false.
    pub force_template: Option<bool>,
    /// The template to send when the window is closed (or when forced).
    pub template: Option<TemplateDto>,
    /// The wamid of a message to reply to (shown quoted).
    #[oai(validator(min_length = 1, max_length = 256))]
    pub reply_to: Option<String>,
    /// Send this quick reply (`/quick-replies`) instead of `content` and `template`, its
    /// variables filled for this conversation; one without a value is 422 naming it.
    pub quick_reply_id: Option<uuid::Uuid>,
    /// Values for the quick reply's variables, by name (`customer.fields.order_id`); they win
    /// over the service's own.
    pub variables: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendTemplateRequest {
    #[oai(validator(pattern = r"^\s*\+[ \-.()]*[1-9]([ \-.()]*[0-9]){7,14}[ \-.()]*\s*$"))]
    pub from: String,
    #[oai(validator(pattern = r"^\s*\+[ \-.()]*[1-9]([ \-.()]*[0-9]){7,14}[ \-.()]*\s*$"))]
    pub to: String,
    #[oai(validator(min_length = 1, max_length = 128))]
    pub user_id: Option<String>,
    pub template: TemplateDto,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct SendMessageResponse {
    /// Our id of the message.
    pub id: Uuid,
    /// Meta's wamid; null until Meta accepted it.
    pub message_id: Option<String>,
    /// queued, sent, delivered, read or failed.
    pub status: String,
    /// free or template.
    pub message_type: String,
    pub conversation_id: Uuid,
    pub timestamp: DateTime<Utc>,
}

impl From<&Message> for SendMessageResponse {
    fn from(m: &Message) -> Self {
        let m = m.snapshot();
        Self {
            id: m.id.as_uuid(),
            message_id: m.wamid.clone(),
            status: m.status.as_str().into(),
            message_type: m.kind.as_str().into(),
            conversation_id: m.conversation_id.as_uuid(),
            timestamp: m.timestamp,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct MessageDto {
    pub id: Uuid,
    /// Meta's wamid.
    pub message_id: Option<String>,
    pub conversation_id: Uuid,
    pub account_id: Uuid,
    /// inbound or outbound.
    pub direction: String,
    pub from: String,
    pub to: String,
    pub wa_id: String,
    pub user_id: Option<String>,
    /// Who sent an outbound message; null for a customer's message (and for outbound messages
    /// stored before senders were recorded).
    pub sent_by: Option<SentByDto>,
    pub content: Value,
    /// free or template.
    pub message_type: String,
    /// received, queued, sent, delivered, read or failed.
    pub status: String,
    /// Meta's error when failed: `{code, title, details}`.
    pub error: Option<Value>,
    pub pricing: Option<Value>,
    /// What an inbound message replies to, as Meta sent it.
    pub context: Option<Value>,
    /// The ad or post an inbound message came from, as Meta sent it.
    pub referral: Option<Value>,
    pub timestamp: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Message> for MessageDto {
    fn from(m: Message) -> Self {
        let m = m.snapshot().clone();
        Self {
            id: m.id.as_uuid(),
            message_id: m.wamid,
            conversation_id: m.conversation_id.as_uuid(),
            account_id: m.account_id.as_uuid(),
            direction: m.direction.as_str().into(),
            from: m.from,
            to: m.to,
            wa_id: m.wa_id.to_string(),
            user_id: m.user_id,
            sent_by: m.sent_by.as_ref().map(SentByDto::from),
            content: serde_json::to_value(&m.content).unwrap_or(Value::Null),
            message_type: m.kind.as_str().into(),
            status: m.status.as_str().into(),
            error: m.error.and_then(|e| serde_json::to_value(e).ok()),
            pricing: m.pricing,
            context: m.context,
            referral: m.referral,
            timestamp: m.timestamp,
            updated_at: m.updated_at,
        }
    }
}

/// Who sent a message.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct SentByDto {
    /// `api_key` (a caller of the API), `member` (a teammate), `flow_execution`, `ai_agent`,
    /// `campaign`, or `system` (the service itself).
    #[oai(rename = "type")]
    pub kind: String,
    /// The key's, teammate's, execution's, agent's or campaign's id; for `system`, what for
    /// (`consent_confirmation`).
    pub id: String,
}

impl From<&domain::messaging::Sender> for SentByDto {
    fn from(s: &domain::messaging::Sender) -> Self {
        Self { kind: s.kind().into(), id: s.id() }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct MessageListDto {
    /// Newest first.
    pub messages: Vec<MessageDto>,
    pub total: u64,
    pub has_more: bool,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct WindowDto {
    pub is_open: bool,
    /// When the window closes (or closed); null if the customer never wrote.
    pub expires_at: Option<DateTime<Utc>>,
    pub last_user_message: Option<DateTime<Utc>>,
    /// customer_service (24 h) or free_entry_point (72 h after an ad referral), when open.
    pub kind: Option<String>,
}

impl From<WindowState> for WindowDto {
    fn from(w: WindowState) -> Self {
        Self {
            is_open: w.is_open,
            expires_at: w.expires_at,
            last_user_message: w.last_user_message_at,
            kind: w.open_kind.map(|k| match k {
                WindowKind::CustomerService => "customer_service".into(),
                WindowKind::FreeEntryPoint => "free_entry_point".into(),
            }),
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ConversationStatusDto {
    pub user_id: Option<String>,
    pub wa_id: String,
    /// The customer's number, E.164.
    pub phone_number: String,
    /// The business number of the latest conversation, if any.
    pub business_phone_number: Option<String>,
    pub conversation_id: Option<Uuid>,
    pub conversation_window: WindowDto,
    pub can_send_free_message: bool,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ConversationDto {
    pub id: Uuid,
    pub account_id: Uuid,
    pub customer_id: Uuid,
    pub wa_id: String,
    /// active, closed or expired.
    pub status: String,
    /// customer or business: who started it.
    pub origin: String,
    pub assigned_agent_id: Option<Uuid>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub last_message_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Where people are with it in the inbox: `open`, `pending` or `closed` (the window is
    /// `status`).
    pub inbox_state: String,
    /// Why people closed it, while it is closed.
    pub inbox_close_reason: Option<String>,
    /// The customer's messages nobody read yet (`POST /messages/{id}/read` reads a message and
    /// every earlier one).
    pub unread_count: u32,
    pub window: WindowDto,
}

impl ConversationDto {
    pub fn new(c: Conversation, now: DateTime<Utc>) -> Self {
        let window = c.window(now).into();
        let c = c.snapshot();
        Self {
            id: c.id.as_uuid(),
            account_id: c.account_id.as_uuid(),
            customer_id: c.customer_id.as_uuid(),
            wa_id: c.wa_id.to_string(),
            status: c.status.as_str().into(),
            origin: c.origin.as_str().into(),
            assigned_agent_id: c.assigned_agent_id.map(|a| a.as_uuid()),
            last_inbound_at: c.last_inbound_at,
            last_message_at: c.last_message_at,
            started_at: c.started_at,
            closed_at: c.closed_at,
            inbox_state: c.inbox_state.as_str().into(),
            inbox_close_reason: c.inbox_close_reason.clone(),
            unread_count: c.unread_count,
            window,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ConversationListDto {
    pub conversations: Vec<ConversationDto>,
    pub total: u64,
    pub has_more: bool,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ConversationDetailDto {
    pub conversation: ConversationDto,
    /// Newest first.
    pub messages: Vec<MessageDto>,
    pub total: u64,
    pub has_more: bool,
}

/// Which way a message went.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum DirectionDto {
    Inbound,
    Outbound,
}

impl From<DirectionDto> for Direction {
    fn from(d: DirectionDto) -> Self {
        match d {
            DirectionDto::Inbound => Direction::Inbound,
            DirectionDto::Outbound => Direction::Outbound,
        }
    }
}

/// A conversation's inbox state.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum InboxStateDto {
    Open,
    Pending,
    Closed,
}

impl From<InboxStateDto> for domain::messaging::InboxState {
    fn from(s: InboxStateDto) -> Self {
        match s {
            InboxStateDto::Open => Self::Open,
            InboxStateDto::Pending => Self::Pending,
            InboxStateDto::Closed => Self::Closed,
        }
    }
}

/// The inbox list's window filter.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum WindowFilterDto {
    Open,
    Closing,
}

/// The inbox list's order.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum InboxSortDto {
    LastMessage,
    LongestWaiting,
}

/// A conversation's state.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum ConversationStateDto {
    Active,
    Closed,
    Expired,
}

impl From<ConversationStateDto> for ConversationStatus {
    fn from(s: ConversationStateDto) -> Self {
        match s {
            ConversationStateDto::Active => ConversationStatus::Active,
            ConversationStateDto::Closed => ConversationStatus::Closed,
            ConversationStateDto::Expired => ConversationStatus::Expired,
        }
    }
}

/// The spec's example (and schemathesis' first case): a reply inside the customer's window.
impl poem_openapi::types::Example for SendMessageRequest {
    fn example() -> Self {
        Self {
            from: "+15550001111".into(),
            to: "+5511987654321".into(),
            user_id: None,
            content: Some(serde_json::json!({"type": "text", "text": "Olá! Seu pedido saiu para entrega."})),
            force_template: None,
            template: None,
            reply_to: None,
        }
    }
}

impl poem_openapi::types::Example for ReplyRequest {
    fn example() -> Self {
        Self {
            content: Some(serde_json::json!({"type": "text", "text": "Oi! Vou verificar seu pedido agora."})),
            force_template: None,
            template: None,
            reply_to: None,
            quick_reply_id: None,
            variables: None,
        }
    }
}

/// The spec's example: an approved template with its one body parameter.
impl poem_openapi::types::Example for SendTemplateRequest {
    fn example() -> Self {
        Self {
            from: "+15550001111".into(),
            to: "+5511987654321".into(),
            user_id: None,
            template: TemplateDto {
                name: "order_update".into(),
                language: "en_US".into(),
                components: Some(vec![serde_json::json!({"type": "body", "parameters": [{"type": "text", "text": "Ana"}]})]),
            },
        }
    }
}
