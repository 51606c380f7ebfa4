//! The messaging API: sends, messages and conversations.

pub mod dto;
pub mod routes;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api = (routes::MessagesApi, routes::ConversationsApi);

pub fn api() -> Api {
    (routes::MessagesApi, routes::ConversationsApi)
}

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use application::Pipeline;
use application::messaging::get_conversation::{GetConversationError, GetConversationHandler};
use application::messaging::get_conversation_status::{GetConversationStatusError, GetConversationStatusHandler};
use application::messaging::get_message::{GetMessageError, GetMessageHandler};
use application::messaging::get_messages::{GetMessagesError, GetMessagesHandler};
use application::messaging::list_conversations::{ListConversationsError, ListConversationsHandler};
use application::messaging::mark_read::{MarkReadError, MarkReadService};
use application::messaging::send_message::{SendMessageError, SendMessageService};
use application::shared::ports::Clock;

use super::error::{ApiError, body};
use application::messaging::mark_read::RecordReadHandler;
use application::messaging::ports::SendOutcomes;
use application::messaging::record_first_answer::RecordFirstAnswerHandler;
use application::messaging::send_media::RecordReuploadHandler;
use application::messaging::send_media::SendMediaService;
use application::messaging::send_message::SendMessageHandler;

/// What the messaging routes use, wired once at start-up.
pub struct MessagingHttp {
    pub pipeline: Pipeline,
    pub clock: Arc<dyn Clock>,
    pub send: SendMessageService,
    pub mark_read: MarkReadService,
    pub get_messages: GetMessagesHandler,
    pub get_message: GetMessageHandler,
    pub conversation_status: GetConversationStatusHandler,
    pub list_conversations: ListConversationsHandler,
    pub get_conversation: GetConversationHandler,
    /// Outcomes of sends, from this process's dispatcher (when it runs one).
    pub outcomes: Option<Arc<dyn SendOutcomes>>,
    /// How long a send waits for Meta's answer before answering 202.
    pub send_wait: Duration,
    /// Keeps a named send's first answer.
    pub record_answer: RecordFirstAnswerHandler,
    /// Fills a quick reply sent on a conversation.
    pub quick_reply: application::inbox::render_quick_reply::RenderQuickReplyHandler,
    /// Whether a key bound to a member may see the conversation it replies on.
    pub visible: application::inbox::conversation_visible::ConversationVisibleHandler,
}

impl From<SendMessageError> for ApiError {
    fn from(e: SendMessageError) -> Self {
        match e {
            SendMessageError::Invalid(i) => i.into(),
            SendMessageError::WindowClosed { expired_at } => ApiError::Unprocessable(body(
                "CONVERSATION_WINDOW_CLOSED",
                "Cannot send free message. Conversation window expired.",
                json!({ "windowExpiredAt": expired_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)), "useTemplate": true }),
            )),
            e @ SendMessageError::UnknownSender(_) => ApiError::invalid_phone_number(e.to_string()),
            SendMessageError::AccountNotFound => ApiError::not_found("account"),
            SendMessageError::ConversationNotFound => ApiError::not_found("conversation"),
            SendMessageError::AccountNotActive(m) => ApiError::conflict("ACCOUNT_NOT_ACTIVE", m),
            SendMessageError::TemplateNotFound { name, language, meta_code } => ApiError::Unprocessable(body(
                "TEMPLATE_NOT_FOUND",
                format!("Template '{name}' ({language}) does not exist or is not approved."),
                json!({ "name": name, "language": language, "metaCode": meta_code }),
            )),
            // Only the service's first try sees it; `SendMessageService` answers the second with
            // TemplateNotFound.
            SendMessageError::TemplateUnknown { name, language } => ApiError::Unprocessable(body(
                "TEMPLATE_NOT_FOUND",
                format!("Template '{name}' ({language}) does not exist on this number's WABA."),
                json!({ "name": name, "language": language, "metaCode": null }),
            )),
            SendMessageError::TemplateNotApproved(e) => ApiError::template_not_approved(&e),
            SendMessageError::TemplateParameters(p) => ApiError::problems(&p),
            SendMessageError::OptedOut(r) => ApiError::Unprocessable(body("CUSTOMER_OPTED_OUT", r.to_string(), consent_details(r))),
            SendMessageError::ConsentRequired(r) => ApiError::Unprocessable(body("CONSENT_REQUIRED", r.to_string(), consent_details(r))),
            SendMessageError::WhatsApp { error, message_id } => ApiError::whatsapp(&error, Some(message_id)),
            SendMessageError::Media(application::messaging::send_media::SendMediaError::Meta(m)) => ApiError::whatsapp(&m, None),
            SendMessageError::Media(application::messaging::send_media::SendMediaError::Busy) => ApiError::files_busy(),
            e @ SendMessageError::Media(_) => ApiError::fault(&e),
            SendMessageError::IdempotencyKeyReused => ApiError::Conflict(body(
                "IDEMPOTENCY_KEY_REUSED",
                "This Idempotency-Key was used with another request in the last 24 hours; use a new key for a new send.",
                json!({ "field": "Idempotency-Key" }),
            )),
            SendMessageError::Storage(s) => s.into(),
        }
    }
}

/// What consent refused, for a client to show: the purpose and the customer's state.
fn consent_details(r: domain::customers::ConsentRefusal) -> serde_json::Value {
    use domain::customers::{ConsentRefusal, OptInStatus, Purpose};
    let (purpose, status) = match r {
        ConsentRefusal::OptedOut(p) => (p, OptInStatus::OptedOut),
        ConsentRefusal::OptInRequired(s) => (Purpose::Marketing, s),
    };
    json!({ "purpose": purpose.as_str(), "consentStatus": status.as_str() })
}

impl From<MarkReadError> for ApiError {
    fn from(e: MarkReadError) -> Self {
        match e {
            MarkReadError::Invalid(i) => i.into(),
            MarkReadError::MessageNotFound => ApiError::not_found("message"),
            MarkReadError::AccountNotFound => ApiError::not_found("account"),
            MarkReadError::AccountNotActive(m) => ApiError::conflict("ACCOUNT_NOT_ACTIVE", m),
            e @ MarkReadError::Cipher(_) => ApiError::fault(&e),
            MarkReadError::WhatsApp { error, message_id } => ApiError::whatsapp(&error, Some(message_id)),
            MarkReadError::Storage(s) => s.into(),
        }
    }
}

impl From<GetMessagesError> for ApiError {
    fn from(e: GetMessagesError) -> Self {
        match e {
            GetMessagesError::Invalid(i) => i.into(),
            GetMessagesError::Storage(s) => s.into(),
        }
    }
}

impl From<GetMessageError> for ApiError {
    fn from(e: GetMessageError) -> Self {
        match e {
            GetMessageError::Invalid(i) => i.into(),
            GetMessageError::NotFound => ApiError::not_found("message"),
            GetMessageError::Storage(s) => s.into(),
        }
    }
}

impl From<GetConversationStatusError> for ApiError {
    fn from(e: GetConversationStatusError) -> Self {
        match e {
            GetConversationStatusError::Invalid(i) => i.into(),
            GetConversationStatusError::CustomerNotFound => ApiError::not_found("customer"),
            e @ GetConversationStatusError::UnknownSender(_) => ApiError::invalid_phone_number(e.to_string()),
            GetConversationStatusError::Storage(s) => s.into(),
        }
    }
}

impl From<ListConversationsError> for ApiError {
    fn from(e: ListConversationsError) -> Self {
        match e {
            ListConversationsError::Invalid(i) => i.into(),
            ListConversationsError::Storage(s) => s.into(),
        }
    }
}

impl From<GetConversationError> for ApiError {
    fn from(e: GetConversationError) -> Self {
        match e {
            GetConversationError::Invalid(i) => i.into(),
            GetConversationError::NotFound => ApiError::not_found("conversation"),
            GetConversationError::Storage(s) => s.into(),
        }
    }
}

/// This context's HTTP handle, wired from the service's adapters (once, at start-up).
pub fn wire(a: &crate::adapters::Adapters) -> Arc<MessagingHttp> {
    Arc::new(MessagingHttp {
        pipeline: a.pipeline.clone(),
        clock: a.clock.clone(),
        send: SendMessageService {
            pipeline: a.pipeline.clone(),
            handler: SendMessageHandler { clock: a.clock.clone() },
            sync: a.sync_templates.clone(),
            media: Arc::new(SendMediaService {
                pipeline: a.pipeline.clone(),
                reads: a.media_reads.clone(),
                accounts: a.account_reads.clone(),
                conversations: a.messaging_reads.clone(),
                credentials: a.credentials.clone(),
                api: a.media_api.clone(),
                store: a.media_store.clone(),
                clock: a.clock.clone(),
                record: RecordReuploadHandler { clock: a.clock.clone() },
                memory: a.file_memory.clone(),
            }),
        },
        mark_read: MarkReadService {
            pipeline: a.pipeline.clone(),
            messages: a.messaging_reads.clone(),
            accounts: a.account_reads.clone(),
            credentials: a.credentials.clone(),
            cloud: a.cloud.clone(),
            record: RecordReadHandler { clock: a.clock.clone() },
        },
        get_messages: GetMessagesHandler { reads: a.messaging_reads.clone(), customers: a.customer_reads.clone() },
        get_message: GetMessageHandler { reads: a.messaging_reads.clone() },
        conversation_status: GetConversationStatusHandler {
            reads: a.messaging_reads.clone(),
            customers: a.customer_reads.clone(),
            accounts: a.account_reads.clone(),
        },
        list_conversations: ListConversationsHandler { reads: a.messaging_reads.clone() },
        get_conversation: GetConversationHandler { reads: a.messaging_reads.clone() },
        outcomes: a.workers.then(|| a.outcomes.clone() as Arc<dyn SendOutcomes>),
        send_wait: a.config.send_wait,
        record_answer: RecordFirstAnswerHandler { clock: a.clock.clone() },
        quick_reply: crate::http::inbox::quick_reply_renderer(a),
        visible: crate::http::inbox::visibility(a),
    })
}
