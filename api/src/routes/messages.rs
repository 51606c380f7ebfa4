use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::Value;
use uuid::Uuid;

use application::messaging::PrepareOutbound;
use application::queries::{GetMessages, Queries};
use domain::content::{MessageContent, TemplateRef};
use domain::message::Direction;
use domain::shop::Role;
use domain::{ConversationId, MessageId};

use super::{ApiTags, ctx, page, phone, wa_id};
use crate::auth::ApiKeyAuth;
use crate::dto::*;
use crate::error::ApiError;
use crate::http::RequestId;
use crate::json_body::JsonBody;
use crate::state::AppState;

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

/// Wait (up to `SEND_WAIT_MS`) for the dispatcher to send a queued message, and answer with
/// where it ended up: sent (200), refused by Meta (the mapped error), or still queued (202).
async fn outcome(state: &AppState, shop: domain::ShopId, queued: domain::message::Message) -> Result<Sent, ApiError> {
    use application::messaging::{Settled, send_error};
    use application::ports::{CloudApiError, CloudApiErrorKind};
    use domain::message::MessageStatus;
    let settled = if state.local_dispatch && !state.config.send_wait.is_zero() {
        let rx = state.dispatcher.watch(queued.id).await;
        let r = tokio::time::timeout(state.config.send_wait, rx).await.ok().and_then(Result::ok);
        if r.is_none() {
            state.dispatcher.forget(queued.id).await;
        }
        r
    } else {
        None
    };
    let message = match settled {
        Some(Settled::Sent(m)) => m,
        Some(Settled::Failed { message, error, .. }) => return Err(send_error(error, &message).into()),
        // Not seen settling here (another replica, or still waiting): read where it is.
        _ => state.reads.message(shop, queued.id).await.map_err(application::AppError::from)?.unwrap_or(queued),
    };
    match message.status {
        MessageStatus::Queued => Ok(Sent::Accepted(Json((&message).into()))),
        MessageStatus::Failed => {
            let e = message.error.clone().unwrap_or(domain::message::MessageError { code: 0, title: "failed".into(), details: None });
            let error = CloudApiError {
                kind: CloudApiErrorKind::Meta,
                http_status: None,
                code: Some(e.code).filter(|c| *c != 0),
                subcode: None,
                title: e.title,
                details: e.details,
                fbtrace_id: None,
                attempts: 1,
            };
            Err(send_error(error, &message).into())
        }
        _ => Ok(Sent::Ok(Json((&message).into()))),
    }
}

/// Parse `content` into the typed model, naming the offending path.
fn parse_content(v: Value) -> Result<MessageContent, ApiError> {
    serde_path_to_error::deserialize::<_, MessageContent>(v).map_err(|e| {
        let message = e.inner().to_string();
        ApiError::validation(&crate::json_body::field_of(Some("content"), &e.path().to_string(), &message), &message)
    })
}

fn template(t: TemplateDto) -> TemplateRef {
    TemplateRef { name: t.name, language: t.language, components: t.components }
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
        state: Data<&Arc<AppState>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<SendMessageRequest>,
    ) -> Result<Sent, ApiError> {
        let shop = state.shop_principal(&auth, Role::Agent).await?;
        let b = body.0;
        if b.content.is_none() && !b.force_template && b.template.is_none() {
            return Err(ApiError::validation("content", "is required"));
        }
        let cmd = PrepareOutbound {
            shop_id: shop,
            from: phone("from", &b.from)?,
            to: phone("to", &b.to)?,
            content: b.content.map(parse_content).transpose()?,
            template: b.template.map(template),
            force_template: b.force_template,
            user_id: b.user_id,
            reply_to: b.reply_to,
        };
        let m = state.messaging.send(&ctx(&rid, Some(shop)), cmd).await?;
        outcome(&state, shop, m).await
    }

    /// Send an approved template (agent), inside or outside the window.
    #[oai(path = "/messages/template", method = "post", operation_id = "sendTemplate")]
    async fn send_template(
        &self,
        state: Data<&Arc<AppState>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<SendTemplateRequest>,
    ) -> Result<Sent, ApiError> {
        let shop = state.shop_principal(&auth, Role::Agent).await?;
        let b = body.0;
        let cmd = PrepareOutbound {
            shop_id: shop,
            from: phone("from", &b.from)?,
            to: phone("to", &b.to)?,
            content: None,
            template: Some(template(b.template)),
            force_template: true,
            user_id: b.user_id,
            reply_to: None,
        };
        let m = state.messaging.send(&ctx(&rid, Some(shop)), cmd).await?;
        outcome(&state, shop, m).await
    }

    /// List messages (viewer), newest first, filtered by `waId`, `userId` or `conversationId`.
    #[oai(path = "/messages", method = "get", operation_id = "listMessages")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        #[oai(name = "waId")] wa: Query<Option<String>>,
        #[oai(name = "userId")] user_id: Query<Option<String>>,
        #[oai(name = "conversationId")] conversation_id: Query<Option<Uuid>>,
        /// inbound or outbound
        direction: Query<Option<String>>,
        /// 1 to 200, default 50
        limit: Query<Option<u64>>,
        offset: Query<Option<u64>>,
    ) -> Result<Json<MessageListDto>, ApiError> {
        let shop = state.shop_principal(&auth, Role::Viewer).await?;
        let direction = match direction.0.as_deref() {
            None => None,
            Some(d) => Some(Direction::parse(d).ok_or_else(|| ApiError::validation("direction", "inbound or outbound"))?),
        };
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
        let p = state.pipeline.query(&ctx(&rid, Some(shop)), &Queries, q).await?;
        Ok(Json(MessageListDto { messages: p.messages.into_iter().map(Into::into).collect(), total: p.total, has_more: p.has_more }))
    }

    /// Get one message with its delivery status (viewer).
    #[oai(path = "/messages/:message_id", method = "get", operation_id = "getMessage")]
    async fn get(&self, state: Data<&Arc<AppState>>, auth: ApiKeyAuth, message_id: Path<Uuid>) -> Result<Json<MessageDto>, ApiError> {
        let shop = state.shop_principal(&auth, Role::Viewer).await?;
        let m = state
            .reads
            .message(shop, MessageId::from(message_id.0))
            .await
            .map_err(application::AppError::from)?
            .ok_or_else(|| ApiError::not_found("message"))?;
        Ok(Json(m.into()))
    }

    /// Mark a customer's message read (blue ticks), optionally showing the typing indicator (agent).
    #[oai(path = "/messages/:message_id/read", method = "post", operation_id = "markMessageRead")]
    async fn mark_read(
        &self,
        state: Data<&Arc<AppState>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        message_id: Path<Uuid>,
        #[oai(name = "typingIndicator")] typing: Query<Option<bool>>,
    ) -> Result<Json<MessageDto>, ApiError> {
        let shop = state.shop_principal(&auth, Role::Agent).await?;
        let m = state.messaging.mark_read(&ctx(&rid, Some(shop)), shop, MessageId::from(message_id.0), typing.0.unwrap_or(false)).await?;
        Ok(Json(m.into()))
    }
}
