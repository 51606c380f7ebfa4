//! `/api/v1/conversations/{id}/assign` and `…/unassign` (docs/INBOX.md).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use uuid::Uuid;

use application::inbox::assign_conversation::{AssignConversation, Assigned};
use domain::tenancy::Role;

use super::InboxHttp;
use super::dto::*;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx};

pub struct InboxApi;

fn dto(id: Uuid, a: &Assigned) -> AssignmentDto {
    let s = a.thread.snapshot();
    AssignmentDto {
        conversation_id: id,
        thread_id: s.id.as_uuid(),
        owner: s.owner.kind().into(),
        member_id: a.member_id.map(|m| m.as_uuid()),
        previous_member_id: a.previous_member_id.map(|m| m.as_uuid()),
        owner_expires_at: s.owner_expires_at,
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Conversations")]
impl InboxApi {
    /// Give the customer's thread to a member (agent): people own it, so the automated
    /// responders stay silent, for the shop's hand-back time after the last activity. The
    /// member must be active and below capacity (409 `CONFLICT` at capacity);
    /// `conversation.assigned`, and `conversation.owner.changed` when people had not owned it.
    #[oai(path = "/conversations/:id/assign", method = "post", operation_id = "assignConversation")]
    async fn assign(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<AssignRequest>,
    ) -> Result<Json<AssignmentDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        let cmd = AssignConversation { shop_id: shop, conversation_id: id.0.into(), member_id: Some(body.0.member_id.into()) };
        let a = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.assign, cmd).await?;
        Ok(Json(dto(id.0, &a)))
    }

    /// Take the thread from its member (agent): people keep it, nobody in particular, and it
    /// waits for the next one; `conversation.assigned` with `memberId: null`.
    #[oai(path = "/conversations/:id/unassign", method = "post", operation_id = "unassignConversation")]
    async fn unassign(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<AssignmentDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        let cmd = AssignConversation { shop_id: shop, conversation_id: id.0.into(), member_id: None };
        let a = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.assign, cmd).await?;
        Ok(Json(dto(id.0, &a)))
    }
}
