//! `/api/v1/automated-responses` (seed 000's answers by keyword, the greeting and the away
//! message), `/api/v1/conversations/{id}/turns` (a thread's turns) and
//! `/api/v1/conversations/waiting` (threads waiting for people).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use application::turns::create_automated_response::CreateAutomatedResponse;
use application::turns::delete_automated_response::DeleteAutomatedResponse;
use application::turns::list_automated_responses::{GetAutomatedResponse, ListAutomatedResponses};
use application::turns::list_turns::ListTurns;
use application::turns::list_waiting::ListWaitingThreads;
use application::turns::ports::TurnLog;
use application::turns::replace_automated_response::ReplaceAutomatedResponse;
use domain::tenancy::Role;
use domain::turns::{AutomatedResponse, ResponseDraft, Thread, Trigger};

use super::TurnsHttp;
use super::dto::*;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx};

pub struct TurnsApi;

#[derive(ApiResponse)]
enum Created {
    #[oai(status = 201)]
    Created(Json<AutomatedResponseDto>),
}

#[derive(ApiResponse)]
enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

fn draft(b: AutomatedResponseRequest) -> Result<ResponseDraft, ApiError> {
    let answer = crate::http::messaging::routes::parse_content_at("answer", b.answer)?;
    Ok(ResponseDraft {
        name: b.name,
        trigger: b.trigger,
        keywords: b.keywords.unwrap_or_default().into_iter().map(|k| (k.text, k.match_mode.unwrap_or_else(|| "contains".into()))).collect(),
        answer,
        fallback_template: b.fallback_template.map(domain::messaging::TemplateRef::from),
        priority: b.priority.unwrap_or(0),
        active: b.active.unwrap_or(true),
        every_hours: b.every_hours,
    })
}

fn dto(r: &AutomatedResponse) -> AutomatedResponseDto {
    let s = r.snapshot();
    let (keywords, every_hours) = match &s.trigger {
        Trigger::Keywords(k) => {
            (k.iter().map(|k| KeywordOutDto { text: k.text.clone(), match_mode: k.mode.as_str().into() }).collect(), None)
        }
        Trigger::Greeting => (Vec::new(), None),
        Trigger::Away { every_hours } => (Vec::new(), Some(*every_hours)),
    };
    AutomatedResponseDto {
        id: s.id.as_uuid(),
        name: s.name.clone(),
        trigger: s.trigger.kind().into(),
        keywords,
        answer: serde_json::to_value(&s.answer).unwrap_or_default(),
        fallback_template: s.fallback_template.as_ref().map(|t| serde_json::to_value(t).unwrap_or_default()),
        priority: s.priority,
        active: s.active,
        every_hours,
        matched_count: s.matched_count,
        last_matched_at: s.last_matched_at,
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

fn turn_dto(l: TurnLog) -> TurnDto {
    let s = l.turn.snapshot().clone();
    TurnDto {
        id: s.id.as_uuid(),
        conversation_id: s.conversation_id.as_uuid(),
        state: s.state.as_str().into(),
        wamids: l.wamids,
        first_message_at: s.first_at,
        last_message_at: s.last_at,
        due_at: s.due_at,
        answered_at: s.answered_at,
        responder: s.responder,
        outcome: s.outcome.map(|o| o.as_str().into()),
        reason: s.reason,
        replies: s.replies.iter().map(|m| m.as_uuid()).collect(),
        first_contact: s.first_contact,
        attempts: s.attempts,
    }
}

fn waiting_dto(t: &Thread, now: chrono::DateTime<chrono::Utc>) -> WaitingThreadDto {
    let s = t.snapshot();
    let since = s.waiting_since.unwrap_or(now);
    let owner = t.owner_at(now);
    WaitingThreadDto {
        thread_id: s.id.as_uuid(),
        conversation_id: s.conversation_id.as_uuid(),
        account_id: s.account_id.as_uuid(),
        customer_id: s.customer_id.as_uuid(),
        wa_id: s.wa_id.to_string(),
        owner: OwnerDto { kind: owner.kind().into(), member_id: owner.member().map(|m| m.as_uuid()) },
        owner_expires_at: s.owner_expires_at.filter(|_| owner.kind() != "none"),
        waiting_since: since,
        waiting_seconds: (now - since).num_seconds().max(0),
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Conversations")]
impl TurnsApi {
    /// The shop's automated responses with their statistics (viewer), the oldest first.
    #[oai(path = "/automated-responses", method = "get", operation_id = "listAutomatedResponses")]
    async fn list(
        &self,
        h: Data<&Arc<TurnsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<AutomatedResponseListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let all = h.pipeline.query(&ctx(&rid, Some(shop)), &h.responses, ListAutomatedResponses { shop_id: shop }).await?;
        Ok(Json(AutomatedResponseListDto { total: all.len() as u64, items: all.iter().map(dto).collect(), has_more: false }))
    }

    /// Add an automated response (admin): an answer by keyword, the greeting (a customer's
    /// first message ever) or the away message (outside business hours, see
    /// `/shop-settings`). A customer's burst of messages (a turn) gets at most one answer by
    /// keyword; docs/TURNS.md has the order in which the responders answer.
    #[oai(path = "/automated-responses", method = "post", operation_id = "createAutomatedResponse")]
    async fn create(
        &self,
        h: Data<&Arc<TurnsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<AutomatedResponseRequest>,
    ) -> Result<Created, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let cmd = CreateAutomatedResponse { shop_id: shop, draft: draft(body.0)? };
        let rule = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.create, cmd).await?;
        Ok(Created::Created(Json(dto(&rule))))
    }

    /// One automated response (viewer).
    #[oai(path = "/automated-responses/:id", method = "get", operation_id = "getAutomatedResponse")]
    async fn get(
        &self,
        h: Data<&Arc<TurnsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<AutomatedResponseDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let r = h.pipeline.query(&ctx(&rid, Some(shop)), &h.responses, GetAutomatedResponse { shop_id: shop, id: id.0.into() }).await?;
        Ok(Json(dto(&r)))
    }

    /// Replace an automated response (admin); its statistics stay.
    #[oai(path = "/automated-responses/:id", method = "put", operation_id = "replaceAutomatedResponse")]
    async fn replace(
        &self,
        h: Data<&Arc<TurnsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<AutomatedResponseRequest>,
    ) -> Result<Json<AutomatedResponseDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let cmd = ReplaceAutomatedResponse { shop_id: shop, id: id.0.into(), draft: draft(body.0)? };
        let rule = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.replace, cmd).await?;
        Ok(Json(dto(&rule)))
    }

    /// Delete an automated response (admin).
    #[oai(path = "/automated-responses/:id", method = "delete", operation_id = "deleteAutomatedResponse")]
    async fn delete(
        &self,
        h: Data<&Arc<TurnsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        h.pipeline.execute(&ctx(&rid, Some(shop)), &h.delete, DeleteAutomatedResponse { shop_id: shop, id: id.0.into() }).await?;
        Ok(Deleted::NoContent)
    }

    /// The turns of a conversation's thread (viewer), the newest first: each customer burst's
    /// messages, who answered, the outcome and the timings. A thread spans the customer's
    /// conversations (24-hour windows) with the number.
    #[oai(path = "/conversations/:id/turns", method = "get", operation_id = "listTurns")]
    async fn turns(
        &self,
        h: Data<&Arc<TurnsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        /// 1 to 200. Absent: 50.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<TurnListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let limit = limit.0.unwrap_or(50);
        let q = ListTurns { shop_id: shop, conversation_id: id.0.into(), limit: limit + 1 };
        let mut logs = h.pipeline.query(&ctx(&rid, Some(shop)), &h.turns, q).await?;
        let has_more = logs.len() as u64 > limit;
        logs.truncate(limit as usize);
        Ok(Json(TurnListDto { total: logs.len() as u64, items: logs.into_iter().map(turn_dto).collect(), has_more }))
    }

    /// Threads whose customer has waited for people longer than `olderThanMinutes` (viewer),
    /// the longest waiting first. A thread waits from a turn no responder answered until people
    /// answer it (a send by an API key, later by a teammate).
    #[oai(path = "/conversations/waiting", method = "get", operation_id = "listWaitingThreads")]
    async fn waiting(
        &self,
        h: Data<&Arc<TurnsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        /// 0 to 43200. Absent: 15.
        #[oai(name = "olderThanMinutes", validator(minimum(value = "0"), maximum(value = "43200")))]
        older_than_minutes: Query<Option<i64>>,
        /// 1 to 200. Absent: 50.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<WaitingThreadListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let limit = limit.0.unwrap_or(50);
        let q = ListWaitingThreads { shop_id: shop, older_than_minutes: older_than_minutes.0.unwrap_or(15), limit };
        let (threads, total, now) = h.pipeline.query(&ctx(&rid, Some(shop)), &h.waiting, q).await?;
        Ok(Json(WaitingThreadListDto {
            has_more: total > threads.len() as u64,
            total,
            items: threads.iter().map(|t| waiting_dto(t, now)).collect(),
        }))
    }
}
