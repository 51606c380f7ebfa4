//! `/api/v1/quick-replies` (docs/INBOX.md): canned replies people send by shortcut with
//! `quickReplyId` on `POST /conversations/{id}/messages`.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::Value;
use uuid::Uuid;

use application::inbox::create_quick_reply::{CreateQuickReply, CreateQuickReplyError, QuickReplyRefused};
use application::inbox::delete_quick_reply::{DeleteQuickReply, DeleteQuickReplyError};
use application::inbox::list_quick_replies::{ListQuickReplies, ListQuickRepliesError};
use application::inbox::update_quick_reply::{UpdateQuickReply, UpdateQuickReplyError};
use domain::inbox::{QuickReply, QuickReplyDraft, QuickReplyMessage};
use domain::tenancy::Role;

use super::InboxHttp;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::{ApiError, body};
use crate::http::json_body::JsonBody;
use crate::http::messaging::dto::TemplateDto;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx, key_allows, member};

pub struct QuickRepliesApi;

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuickReplyRequest {
    /// 1 to 32 letters, digits, `-` or `_`, unique per owner; kept lowercase, a leading `/` dropped.
    #[oai(validator(min_length = 1, max_length = 33))]
    pub shortcut: String,
    /// The message, as `content` of `POST /messages/send`; its strings may name variables:
    /// `{{customer.name}}`, `{{customer.phone}}`, `{{customer.fields.<key>}}`, `{{agent.name}}`.
    pub content: Option<Value>,
    /// Or an approved template, whose parameters may name the same variables.
    pub template: Option<TemplateDto>,
    /// `true`: only the member the key acts for sees and uses it (a bound `agent` key); absent
    /// or `false`: shared by the shop (an admin key).
    pub personal: Option<bool>,
}

impl poem_openapi::types::Example for QuickReplyRequest {
    fn example() -> Self {
        Self {
            shortcut: "thanks".into(),
            content: Some(serde_json::json!({"type": "text", "text": "Thank you, {{customer.name}}! {{agent.name}} here."})),
            template: None,
            personal: None,
        }
    }
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuickReplyPatch {
    #[oai(validator(min_length = 1, max_length = 33))]
    pub shortcut: Option<String>,
    /// Replaces the message (and drops a template).
    pub content: Option<Value>,
    /// Replaces the message (and drops the content).
    pub template: Option<TemplateDto>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct QuickReplyDto {
    pub id: Uuid,
    pub shortcut: String,
    /// The member it is personal to; null: shared by the shop.
    pub member_id: Option<Uuid>,
    pub content: Option<Value>,
    pub template: Option<Value>,
    /// The variables it names, filled at send.
    pub variables: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<&QuickReply> for QuickReplyDto {
    fn from(q: &QuickReply) -> Self {
        let (content, template) = match &q.message {
            QuickReplyMessage::Content(c) => (Some(c.clone()), None),
            QuickReplyMessage::Template(t) => (None, Some(serde_json::json!(t))),
        };
        Self {
            id: q.id.as_uuid(),
            shortcut: q.shortcut.clone(),
            member_id: q.member_id.map(|m| m.as_uuid()),
            content,
            template,
            variables: q.message.variables(),
            created_at: q.created_at,
            updated_at: q.updated_at,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct QuickReplyListDto {
    /// By shortcut.
    pub items: Vec<QuickReplyDto>,
    pub total: u64,
}

#[derive(ApiResponse)]
enum Created {
    #[oai(status = 201)]
    Created(Json<QuickReplyDto>),
}

#[derive(ApiResponse)]
enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

/// The message a body states: content or a template, exactly one (`None`: neither, for a patch).
fn message(content: Option<Value>, t: Option<TemplateDto>) -> Result<Option<QuickReplyMessage>, ApiError> {
    match (content, t) {
        (Some(_), Some(_)) => Err(ApiError::validation("template", "give either content or template, not both")),
        (Some(c), None) => Ok(Some(QuickReplyMessage::Content(c))),
        (None, Some(t)) => Ok(Some(QuickReplyMessage::Template(t.into()))),
        (None, None) => Ok(None),
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Conversations")]
impl QuickRepliesApi {
    /// The shop's shared quick replies and the caller's personal ones (viewer), by shortcut;
    /// `q` keeps those whose shortcut starts with it.
    #[oai(path = "/quick-replies", method = "get", operation_id = "listQuickReplies")]
    async fn list(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        /// A shortcut's start, 1 to 32 characters (a leading `/` is dropped).
        #[oai(validator(min_length = 1, max_length = 32))]
        q: Query<Option<String>>,
    ) -> Result<Json<QuickReplyListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let list = h
            .pipeline
            .query(&ctx(&rid, Some(shop)), &h.quick_replies, ListQuickReplies { shop_id: shop, caller: member(), prefix: q.0 })
            .await?;
        Ok(Json(QuickReplyListDto { total: list.len() as u64, items: list.iter().map(QuickReplyDto::from).collect() }))
    }

    /// Add a quick reply: shared by the shop (admin), or `personal` to the member the key acts
    /// for (a bound `agent` key). Its variables must be known, its template approved
    /// (`TEMPLATE_NOT_APPROVED`), its shortcut free for its owner (409); audited.
    #[oai(path = "/quick-replies", method = "post", operation_id = "createQuickReply")]
    async fn create(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<QuickReplyRequest>,
    ) -> Result<Created, ApiError> {
        let b = body.0;
        let personal = b.personal.unwrap_or(false);
        let shop = authn.shop(&auth, if personal { Role::Agent } else { Role::Admin }).await?;
        let member_id = if personal {
            Some(member().ok_or_else(|| ApiError::validation("personal", "a personal quick reply needs a key bound to a member"))?)
        } else {
            None
        };
        let message = message(b.content, b.template)?.ok_or_else(|| ApiError::validation("content", "give content or template"))?;
        let cmd = CreateQuickReply { shop_id: shop, member_id, draft: QuickReplyDraft { shortcut: b.shortcut, message } };
        let q = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.create_quick_reply, cmd).await?;
        Ok(Created::Created(Json((&q).into())))
    }

    /// Change a quick reply: a personal one by its member (agent), a shared one by an admin;
    /// checked as on create; audited.
    #[oai(path = "/quick-replies/:id", method = "patch", operation_id = "updateQuickReply")]
    async fn update(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<QuickReplyPatch>,
    ) -> Result<Json<QuickReplyDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        let b = body.0;
        let cmd = UpdateQuickReply {
            shop_id: shop,
            id: id.0.into(),
            caller: member(),
            admin: key_allows(Role::Admin),
            shortcut: b.shortcut,
            message: message(b.content, b.template)?,
        };
        let q = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.update_quick_reply, cmd).await?;
        Ok(Json((&q).into()))
    }

    /// Delete a quick reply: a personal one by its member (agent), a shared one by an admin;
    /// audited.
    #[oai(path = "/quick-replies/:id", method = "delete", operation_id = "deleteQuickReply")]
    async fn delete(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        let cmd = DeleteQuickReply { shop_id: shop, id: id.0.into(), caller: member(), admin: key_allows(Role::Admin) };
        h.pipeline.execute(&ctx(&rid, Some(shop)), &h.delete_quick_reply, cmd).await?;
        Ok(Deleted::NoContent)
    }
}

impl From<QuickReplyRefused> for ApiError {
    fn from(r: QuickReplyRefused) -> Self {
        match r {
            QuickReplyRefused::Problems(p) => ApiError::problems(&p),
            QuickReplyRefused::ShortcutTaken => ApiError::conflict("CONFLICT", "a quick reply of the same owner has this shortcut"),
            QuickReplyRefused::TemplateNotFound { name, language } => ApiError::Unprocessable(body(
                "TEMPLATE_NOT_FOUND",
                format!("Template '{name}' ({language}) is not one of the shop's."),
                serde_json::json!({ "name": name, "language": language, "metaCode": null }),
            )),
            QuickReplyRefused::TemplateNotApproved(e) => ApiError::template_not_approved(&e),
        }
    }
}

impl From<CreateQuickReplyError> for ApiError {
    fn from(e: CreateQuickReplyError) -> Self {
        match e {
            CreateQuickReplyError::Invalid(i) => i.into(),
            CreateQuickReplyError::Refused(r) => r.into(),
            CreateQuickReplyError::Storage(s) => s.into(),
        }
    }
}

impl From<UpdateQuickReplyError> for ApiError {
    fn from(e: UpdateQuickReplyError) -> Self {
        match e {
            UpdateQuickReplyError::Invalid(i) => i.into(),
            UpdateQuickReplyError::NotFound => ApiError::not_found("quick reply"),
            UpdateQuickReplyError::Forbidden => ApiError::forbidden(&e.to_string()),
            UpdateQuickReplyError::Refused(r) => r.into(),
            UpdateQuickReplyError::Storage(s) => s.into(),
        }
    }
}

impl From<DeleteQuickReplyError> for ApiError {
    fn from(e: DeleteQuickReplyError) -> Self {
        match e {
            DeleteQuickReplyError::Invalid(i) => i.into(),
            DeleteQuickReplyError::NotFound => ApiError::not_found("quick reply"),
            DeleteQuickReplyError::Forbidden => ApiError::forbidden(&e.to_string()),
            DeleteQuickReplyError::Storage(s) => s.into(),
        }
    }
}

impl From<ListQuickRepliesError> for ApiError {
    fn from(e: ListQuickRepliesError) -> Self {
        match e {
            ListQuickRepliesError::Invalid(i) => i.into(),
            ListQuickRepliesError::Storage(s) => s.into(),
        }
    }
}
