//! `/api/v1/messages` and `/api/v1/conversations`: sends (decided by the 24-hour window),
//! messages, read receipts, conversations and their window.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::Value;
use uuid::Uuid;

use application::inbox::render_quick_reply::RenderQuickReply;
use application::messaging::get_conversation::GetConversation;
use application::messaging::get_conversation_status::GetConversationStatus;
use application::messaging::get_message::GetMessage;
use application::messaging::get_messages::GetMessages;
use application::messaging::list_conversations::ListConversations;
use application::messaging::mark_read::MarkMessageRead;
use application::messaging::ports::{Assignee, InboxFilter, InboxSort, Settled, WindowFilter};
use application::messaging::record_first_answer::RecordFirstAnswer;
use application::messaging::send_message::{Idempotent, SendMessage, SendMessageError, SendOutcome, Via};
use domain::messaging::{ConversationStatus, Direction, FirstAnswer, IdempotencyKey, Message, MessageContent, MessageStatus, TemplateRef};
use domain::tenancy::Role;
use domain::{ConversationId, MessageId, ShopId};
use poem_openapi::types::{ParseFromJSON, ToJSON};
use sha2::{Digest, Sha256};

use super::MessagingHttp;
use super::dto::*;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx, page, phone, wa_id};

pub struct MessagesApi;

#[derive(ApiResponse)]
enum Sent {
    /// Meta accepted the message within the wait (`status` is `sent`, `messageId` the wamid).
    #[oai(status = 200)]
    Ok(Json<SendMessageResponse>),
    /// Queued durably; it goes out as pacing allows (`status` is `queued`, `messageId` null).
    /// Follow it with `GET /api/v1/messages/{id}` or the `message.sent` event.
    #[oai(status = 202)]
    Accepted(Json<SendMessageResponse>),
}

/// Wait (up to `SEND_WAIT_MS`) for this process's dispatcher to send a queued message, and
/// answer with where it ended up: sent (200), refused by Meta (the mapped error), or still
/// queued (202).
async fn outcome(h: &MessagingHttp, rid: &RequestId, shop: ShopId, queued: Message) -> Result<Sent, ApiError> {
    let settled = match &h.outcomes {
        Some(outcomes) if !h.send_wait.is_zero() => {
            let rx = outcomes.watch(queued.id()).await;
            let r = tokio::time::timeout(h.send_wait, rx).await.ok().and_then(Result::ok);
            if r.is_none() {
                outcomes.forget(queued.id()).await;
            }
            r
        }
        _ => None,
    };
    let message = match settled {
        Some(Settled::Sent(m)) => m,
        Some(Settled::Failed { message, error, .. }) => return Err(SendMessageError::from_meta(error, &message).into()),
        // Nobody waited: it is queued, as just committed (no second read).
        None if h.send_wait.is_zero() || h.outcomes.is_none() => queued,
        // Not seen settling here (another replica, or still waiting): read where it is.
        _ => match h.pipeline.query(&ctx(rid, Some(shop)), &h.get_message, GetMessage { shop_id: shop, message_id: queued.id() }).await {
            Ok(m) => m,
            Err(application::messaging::get_message::GetMessageError::NotFound) => queued,
            Err(e) => return Err(e.into()),
        },
    };
    match message.status() {
        MessageStatus::Queued => Ok(Sent::Accepted(Json((&message).into()))),
        MessageStatus::Failed => Err(SendMessageError::from_failed(&message).into()),
        _ => Ok(Sent::Ok(Json((&message).into()))),
    }
}

/// The caller's `Idempotency-Key`, with a fingerprint of the operation and its request (the
/// parsed body, keys sorted: spacing and key order do not make another request).
/// The header is read raw: a value that is not text is refused, never taken for no key.
fn idempotent(req: &poem::Request, operation: &str, request: &impl ToJSON) -> Result<Option<Idempotent>, ApiError> {
    let Some(raw) = req.headers().get("idempotency-key") else { return Ok(None) };
    let bad = |m: &str| ApiError::validation("Idempotency-Key", m);
    let key = IdempotencyKey::parse(raw.to_str().map_err(|_| bad("must be visible ASCII characters"))?).map_err(bad)?;
    let mut h = Sha256::new();
    h.update(operation.as_bytes());
    h.update(b"\n");
    h.update(canonical(&request.to_json().unwrap_or_default()).to_string().as_bytes());
    Ok(Some(Idempotent { key, fingerprint: hex::encode(h.finalize()) }))
}

fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<_> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The answer to a send: where a queued message ended up (kept for its key, if it has one), or
/// a named send's first answer again.
async fn answer(h: &MessagingHttp, rid: &RequestId, shop: ShopId, named: Option<Idempotent>, out: SendOutcome) -> Result<Sent, ApiError> {
    match out {
        SendOutcome::Queued(m) => {
            let r = outcome(h, rid, shop, m).await;
            if let Some(i) = named {
                remember(h, rid, shop, i.key, &r).await;
            }
            r
        }
        SendOutcome::Replayed(first) => match (first.answer, first.message_id) {
            (Some(a), _) => replay(a),
            // The first request has not answered yet (or died first): where its message is.
            (None, Some(id)) => {
                let m = h.pipeline.query(&ctx(rid, Some(shop)), &h.get_message, GetMessage { shop_id: shop, message_id: id }).await?;
                outcome(h, rid, shop, m).await
            }
            (None, None) => Err(ApiError::fault(&SendMessageError::Storage(application::RepoError::Other(
                "an idempotency key without its message".into(),
            )))),
        },
    }
}

/// Keep a named send's answer. A server fault (the message's state could not be read) is not
/// kept: a retry reads it again.
async fn remember(h: &MessagingHttp, rid: &RequestId, shop: ShopId, key: IdempotencyKey, r: &Result<Sent, ApiError>) {
    let answer = match r {
        Ok(Sent::Ok(Json(b))) => FirstAnswer { status: 200, body: b.to_json().unwrap_or_default() },
        Ok(Sent::Accepted(Json(b))) => FirstAnswer { status: 202, body: b.to_json().unwrap_or_default() },
        Err(e) => match e.status_and_body() {
            (500 | 503, _) => return,
            (status, b) => FirstAnswer { status, body: b.to_json().unwrap_or_default() },
        },
    };
    if let Err(e) = h.pipeline.execute(&ctx(rid, Some(shop)), &h.record_answer, RecordFirstAnswer { shop_id: shop, key, answer }).await {
        tracing::warn!(%shop, error = %application::Chain(&e), "a send's answer could not be kept for its Idempotency-Key");
    }
}

fn replay(a: FirstAnswer) -> Result<Sent, ApiError> {
    let corrupt = || ApiError::fault(&SendMessageError::Storage(application::RepoError::Other("a kept answer does not parse".into())));
    match a.status {
        200 | 202 => {
            let b = SendMessageResponse::parse_from_json(Some(a.body)).map_err(|_| corrupt())?;
            Ok(if a.status == 200 { Sent::Ok(Json(b)) } else { Sent::Accepted(Json(b)) })
        }
        status => Err(ApiError::replayed(status, crate::http::error::ErrorBody::parse_from_json(Some(a.body)).map_err(|_| corrupt())?)),
    }
}

/// Parse `content` into the typed model, naming the offending path.
/// What a free-form send (`/messages/send`, a reply on a conversation) asks to send.
struct Outgoing {
    content: Option<Value>,
    template: Option<TemplateDto>,
    force_template: Option<bool>,
    reply_to: Option<String>,
}

/// The one send entry, from a request: `content` is needed unless a template is forced or given.
async fn send(
    h: &MessagingHttp,
    rid: &RequestId,
    shop: ShopId,
    via: Via,
    what: Outgoing,
    user_id: Option<String>,
    named: Option<Idempotent>,
) -> Result<Sent, ApiError> {
    let force_template = what.force_template.unwrap_or(false);
    if what.content.is_none() && !force_template && what.template.is_none() {
        return Err(ApiError::validation("content", "is required"));
    }
    let cmd = SendMessage {
        shop_id: shop,
        via,
        content: what.content.map(parse_content).transpose()?,
        template: what.template.map(TemplateRef::from),
        force_template,
        user_id,
        reply_to: what.reply_to,
        idempotency: named.clone(),
        sent_by: crate::http::sender(),
    };
    let out = h.send.run(&ctx(rid, Some(shop)), cmd).await?;
    answer(h, rid, shop, named, out).await
}

fn parse_content(v: Value) -> Result<MessageContent, ApiError> {
    parse_content_at("content", v)
}

/// Parse message content found at `field` (`content`, an automated response's `answer`).
pub(crate) fn parse_content_at(field: &str, v: Value) -> Result<MessageContent, ApiError> {
    serde_path_to_error::deserialize::<_, MessageContent>(v).map_err(|e| {
        let message = e.inner().to_string();
        ApiError::validation(&crate::http::json_body::field_of(Some(field), &e.path().to_string(), &message), &message)
    })
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Messages")]
impl MessagesApi {
    /// Send a message (agent). Inside the customer's 24-hour window `content` goes out as a
    /// free-form message; outside it the `template` is sent instead, and without one the call
    /// fails with `CONVERSATION_WINDOW_CLOSED` and nothing reaches Meta. `forceTemplate` sends
    /// the template even inside the window. The message is queued durably and paced per number
    /// and recipient; the call waits briefly for Meta's answer: 200 when sent, 202 when still
    /// queued, or Meta's refusal as an error.
    #[oai(path = "/messages/send", method = "post", operation_id = "sendMessage")]
    async fn send(
        &self,
        h: Data<&Arc<MessagingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        /// Names this send (1 to 255 visible ASCII characters): the same key with the same body within 24 hours
        /// answers what the first request answered and sends nothing more; with another body, 409
        /// `IDEMPOTENCY_KEY_REUSED`. A request that was refused (4xx before anything was queued)
        /// is not remembered.
        #[oai(name = "Idempotency-Key")]
        #[allow(unused_variables)]
        idempotency_key: Header<Option<String>>,
        req: &poem::Request,
        body: JsonBody<SendMessageRequest>,
    ) -> Result<Sent, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        let named = idempotent(req, "sendMessage", &body.0)?;
        let b = body.0;
        let via = Via::Numbers { from: phone("from", &b.from)?, to: phone("to", &b.to)? };
        let what = Outgoing { content: b.content, template: b.template, force_template: b.force_template, reply_to: b.reply_to };
        send(&h, &rid, shop, via, what, b.user_id, named).await
    }

    /// Reply on a conversation (agent): from its number to its customer, through the same send
    /// as `POST /messages/send` (the window, consent, templates, files; 200, or 202 while queued),
    /// joining the customer's active window or starting one. The message's `sentBy` is the
    /// member the key acts for (a bound `agent` key), else the key; people answering makes them
    /// own the customer's thread, which silences the automated responders (docs/INBOX.md).
    #[oai(path = "/conversations/:id/messages", method = "post", operation_id = "replyOnConversation")]
    async fn reply(
        &self,
        h: Data<&Arc<MessagingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        /// Names this send, as on `POST /messages/send`.
        #[oai(name = "Idempotency-Key")]
        #[allow(unused_variables)]
        idempotency_key: Header<Option<String>>,
        req: &poem::Request,
        body: JsonBody<ReplyRequest>,
    ) -> Result<Sent, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        crate::http::inbox::ensure_visible(&h.pipeline, &h.visible, &rid, shop, id.0).await?;
        // The conversation is part of what is named: the same key on another one is another request.
        let named = idempotent(req, &format!("replyOnConversation:{}", id.0), &body.0)?;
        let b = body.0;
        let what = match b.quick_reply_id {
            None if b.variables.is_some() => return Err(ApiError::validation("variables", "are for a quick reply: give quickReplyId")),
            None => Outgoing { content: b.content, template: b.template, force_template: b.force_template, reply_to: b.reply_to },
            Some(_) if b.content.is_some() || b.template.is_some() => {
                return Err(ApiError::validation("quickReplyId", "give either a quick reply or content and template, not both"));
            }
            Some(q) => {
                let render = RenderQuickReply {
                    shop_id: shop,
                    conversation_id: id.0.into(),
                    quick_reply_id: q.into(),
                    caller: crate::http::member(),
                    variables: b.variables.unwrap_or_default(),
                };
                let r = h.pipeline.query(&ctx(&rid, Some(shop)), &h.quick_reply, render).await?;
                // A template quick reply goes as the template, inside the window too.
                let force_template = b.force_template.or(r.template.as_ref().map(|_| true));
                let template = r.template.map(|t| TemplateDto { name: t.name, language: t.language, components: Some(t.components) });
                Outgoing { content: r.content, template, force_template, reply_to: b.reply_to }
            }
        };
        send(&h, &rid, shop, Via::Conversation(id.0.into()), what, None, named).await
    }

    /// Send an approved template (agent), inside or outside the window.
    #[oai(path = "/messages/template", method = "post", operation_id = "sendTemplate")]
    async fn send_template(
        &self,
        h: Data<&Arc<MessagingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        /// Names this send, as on `POST /messages/send`.
        #[oai(name = "Idempotency-Key")]
        #[allow(unused_variables)]
        idempotency_key: Header<Option<String>>,
        req: &poem::Request,
        body: JsonBody<SendTemplateRequest>,
    ) -> Result<Sent, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        let named = idempotent(req, "sendTemplate", &body.0)?;
        let b = body.0;
        let cmd = SendMessage {
            shop_id: shop,
            via: Via::Numbers { from: phone("from", &b.from)?, to: phone("to", &b.to)? },
            content: None,
            template: Some(b.template.into()),
            force_template: true,
            user_id: b.user_id,
            reply_to: None,
            idempotency: named.clone(),
            sent_by: crate::http::sender(),
        };
        let out = h.send.run(&ctx(&rid, Some(shop)), cmd).await?;
        answer(&h, &rid, shop, named, out).await
    }

    /// List messages (viewer), newest first, filtered by `waId`, `userId` or `conversationId`.
    /// A key bound to a member must give `conversationId`, of a conversation its member may see.
    #[oai(path = "/messages", method = "get", operation_id = "listMessages")]
    async fn list(
        &self,
        h: Data<&Arc<MessagingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        #[oai(name = "waId", validator(pattern = r"^\s*\+?[0-9]{8,15}\s*$"))] wa: Query<Option<String>>,
        #[oai(name = "userId", validator(min_length = 1, max_length = 128))] user_id: Query<Option<String>>,
        #[oai(name = "conversationId")] conversation_id: Query<Option<Uuid>>,
        /// inbound or outbound
        direction: Query<Option<DirectionDto>>,
        /// 1 to 200, default 50
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))] offset: Query<Option<u64>>,
    ) -> Result<Json<MessageListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        // A key bound to a member reads one conversation at a time, one it may see.
        if crate::http::member().is_some() {
            let Some(c) = conversation_id.0 else {
                return Err(ApiError::validation(
                    "conversationId",
                    "a key bound to a member lists one conversation's messages: give conversationId",
                ));
            };
            crate::http::inbox::ensure_visible(&h.pipeline, &h.visible, &rid, shop, c).await?;
        }
        let direction = direction.0.map(Direction::from);
        let (limit, offset) = page(limit.0, offset.0);
        let q = GetMessages {
            shop_id: shop,
            wa_id: wa.0.as_deref().map(|w| wa_id("waId", w)).transpose()?,
            user_id: user_id.0,
            conversation_id: conversation_id.0.map(ConversationId::from),
            direction,
            limit,
            offset,
        };
        let p = h.pipeline.query(&ctx(&rid, Some(shop)), &h.get_messages, q).await?;
        Ok(Json(MessageListDto { messages: p.items.into_iter().map(Into::into).collect(), total: p.total, has_more: p.has_more }))
    }

    /// Get one message with its delivery status (viewer).
    #[oai(path = "/messages/:id", method = "get", operation_id = "getMessage")]
    async fn get(
        &self,
        h: Data<&Arc<MessagingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<MessageDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let q = GetMessage { shop_id: shop, message_id: MessageId::from(id.0) };
        let m = h.pipeline.query(&ctx(&rid, Some(shop)), &h.get_message, q).await?;
        visible_message(&h, &rid, shop, &m).await?;
        Ok(Json(m.into()))
    }

    /// Mark a customer's message read (blue ticks), optionally showing the typing indicator (agent).
    #[oai(path = "/messages/:id/read", method = "post", operation_id = "markMessageRead")]
    async fn mark_read(
        &self,
        h: Data<&Arc<MessagingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        #[oai(name = "typingIndicator")] typing: Query<Option<bool>>,
    ) -> Result<Json<MessageDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        if crate::http::member().is_some() {
            let q = GetMessage { shop_id: shop, message_id: MessageId::from(id.0) };
            let m = h.pipeline.query(&ctx(&rid, Some(shop)), &h.get_message, q).await?;
            visible_message(&h, &rid, shop, &m).await?;
        }
        let cmd = MarkMessageRead { shop_id: shop, message_id: MessageId::from(id.0), typing_indicator: typing.0.unwrap_or(false) };
        let m = h.mark_read.run(&ctx(&rid, Some(shop)), cmd).await?;
        Ok(Json(m.into()))
    }
}

/// A key bound to a member sees a message only in a conversation it may see (404 otherwise, as
/// for a message of another shop).
async fn visible_message(h: &MessagingHttp, rid: &RequestId, shop: ShopId, m: &Message) -> Result<(), ApiError> {
    if crate::http::member().is_none() {
        return Ok(());
    }
    crate::http::inbox::ensure_visible(&h.pipeline, &h.visible, rid, shop, m.conversation_id().as_uuid()).await.map_err(|e| match e {
        // Its conversation is out of sight: so is the message. Anything else stays as it is.
        ApiError::NotFound(_) => ApiError::not_found("message"),
        other => other,
    })
}

pub struct ConversationsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Conversations")]
impl ConversationsApi {
    /// The 24-hour window with a customer (viewer): may a free-form message be sent now?
    /// Give `waId` or `userId`; `from` narrows it to one business number.
    #[oai(path = "/conversations/status", method = "get", operation_id = "getConversationStatus")]
    async fn status(
        &self,
        h: Data<&Arc<MessagingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        #[oai(name = "waId", validator(pattern = r"^\s*\+?[0-9]{8,15}\s*$"))] wa: Query<Option<String>>,
        #[oai(name = "userId", validator(min_length = 1, max_length = 128))] user_id: Query<Option<String>>,
        /// The business number (E.164)
        #[oai(validator(pattern = r"^\s*\+[ \-.()]*[1-9]([ \-.()]*[0-9]){7,14}[ \-.()]*\s*$"))]
        from: Query<Option<String>>,
    ) -> Result<Json<ConversationStatusDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let q = GetConversationStatus {
            shop_id: shop,
            wa_id: wa.0.as_deref().map(|w| wa_id("waId", w)).transpose()?,
            user_id: user_id.0,
            from: from.0.as_deref().map(|f| phone("from", f)).transpose()?,
            now: h.clock.now(),
        };
        let v = h.pipeline.query(&ctx(&rid, Some(shop)), &h.conversation_status, q).await?;
        Ok(Json(ConversationStatusDto {
            user_id: v.user_id,
            phone_number: v.wa_id.to_phone(),
            wa_id: v.wa_id.to_string(),
            business_phone_number: v.account.map(|a| a.display_phone_number().to_string()),
            conversation_id: v.conversation.map(|c| c.id().as_uuid()),
            can_send_free_message: v.window.can_send_free_message(),
            conversation_window: v.window.into(),
        }))
    }

    /// List conversations (viewer): the inbox list, most recently active first, or the customer
    /// waiting longest for people first (`sort=longest_waiting`). Filters combine (docs/INBOX.md):
    /// the window's `status`, the inbox state, the assignee (`assigneeId`, or `unassigned=true`),
    /// the thread's department, the window (`window=open`, or `closing`: ends within the hour),
    /// and the last message's time. Each row carries its window. A key bound to a member sees the
    /// conversations assigned to them and those whose thread is in one of their departments.
    #[oai(path = "/conversations", method = "get", operation_id = "listConversations")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        h: Data<&Arc<MessagingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        /// active, closed or expired
        status: Query<Option<ConversationStateDto>>,
        #[oai(name = "waId", validator(pattern = r"^\s*\+?[0-9]{8,15}\s*$"))] wa: Query<Option<String>>,
        /// open, pending or closed
        #[oai(name = "inboxState")]
        inbox_state: Query<Option<InboxStateDto>>,
        /// Assigned to this member.
        #[oai(name = "assigneeId")]
        assignee_id: Query<Option<Uuid>>,
        /// `true`: assigned to nobody (with `assigneeId`: 422).
        unassigned: Query<Option<bool>>,
        /// Its thread waits for, or was routed to, this department.
        #[oai(name = "departmentId")]
        department_id: Query<Option<Uuid>>,
        /// One of its tags (`PUT /conversations/{id}/tags`), case-insensitive.
        #[oai(validator(min_length = 1, max_length = 50))]
        tag: Query<Option<String>>,
        /// `true`: the customer wrote messages nobody read yet (`unreadCount` above 0); `false`: none.
        unread: Query<Option<bool>>,
        /// Full-text search, 2 to 200 characters: conversations with a message whose text or
        /// caption has every word, or whose customer's name does; accents and case do not count
        /// (`acao` finds `ação`), and each word matches the start of a word.
        q: Query<Option<String>>,
        /// `open`: free-form messages may go out; `closing`: open, and it ends within the hour.
        window: Query<Option<WindowFilterDto>>,
        /// The last message at or after this time.
        #[oai(name = "lastMessageAfter")]
        last_message_after: Query<Option<chrono::DateTime<chrono::Utc>>>,
        /// The last message before this time.
        #[oai(name = "lastMessageBefore")]
        last_message_before: Query<Option<chrono::DateTime<chrono::Utc>>>,
        /// `last_message` (default) or `longest_waiting`.
        sort: Query<Option<InboxSortDto>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u64>>,
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))] offset: Query<Option<u64>>,
    ) -> Result<Json<ConversationListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let status = status.0.map(ConversationStatus::from);
        let (limit, offset) = page(limit.0, offset.0);
        let q = ListConversations {
            shop_id: shop,
            status,
            wa_id: wa.0.as_deref().map(|w| wa_id("waId", w)).transpose()?,
            account_id: None,
            inbox: InboxFilter {
                inbox_state: inbox_state.0.map(Into::into),
                assignee: match (assignee_id.0, unassigned.0) {
                    (Some(_), Some(true)) => return Err(ApiError::validation("unassigned", "cannot be true with assigneeId")),
                    (Some(m), _) => Some(Assignee::Member(m.into())),
                    (None, Some(true)) => Some(Assignee::Nobody),
                    (None, _) => None,
                },
                department: department_id.0.map(Into::into),
                tag: tag.0,
                unread: unread.0,
                search: match q.0 {
                    Some(q) => {
                        let n = q.trim().chars().count();
                        if !(2..=200).contains(&n) {
                            return Err(ApiError::validation("q", "must be 2 to 200 characters"));
                        }
                        if domain::customers::keywords::fold(&q).is_empty() {
                            return Err(ApiError::validation("q", "must have a letter or a digit"));
                        }
                        Some(q)
                    }
                    None => None,
                },
                visible_to: crate::http::member(),
                only: None,
                window: window.0.map(|w| match w {
                    WindowFilterDto::Open => WindowFilter::Open,
                    WindowFilterDto::Closing => WindowFilter::ClosingWithin(chrono::Duration::hours(1)),
                }),
                last_message_after: last_message_after.0,
                last_message_before: last_message_before.0,
                sort: match sort.0 {
                    Some(InboxSortDto::LongestWaiting) => InboxSort::LongestWaiting,
                    _ => InboxSort::LastMessage,
                },
                now: h.clock.now(),
            },
            limit,
            offset,
        };
        let p = h.pipeline.query(&ctx(&rid, Some(shop)), &h.list_conversations, q).await?;
        let now = h.clock.now();
        Ok(Json(ConversationListDto {
            conversations: p.items.into_iter().map(|c| ConversationDto::new(c, now)).collect(),
            total: p.total,
            has_more: p.has_more,
        }))
    }

    /// One conversation with its messages (viewer), newest first.
    #[oai(path = "/conversations/:conversation_id", method = "get", operation_id = "getConversation")]
    async fn get(
        &self,
        h: Data<&Arc<MessagingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        conversation_id: Path<Uuid>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u64>>,
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))] offset: Query<Option<u64>>,
    ) -> Result<Json<ConversationDetailDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let (limit, offset) = page(limit.0, offset.0);
        let q = GetConversation {
            shop_id: shop,
            conversation_id: ConversationId::from(conversation_id.0),
            visible_to: crate::http::member(),
            limit,
            offset,
        };
        let (c, p) = h.pipeline.query(&ctx(&rid, Some(shop)), &h.get_conversation, q).await?;
        Ok(Json(ConversationDetailDto {
            conversation: ConversationDto::new(c, h.clock.now()),
            messages: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            has_more: p.has_more,
        }))
    }
}
