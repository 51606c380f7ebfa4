//! `/api/v1/conversations/{id}/assign` and `…/unassign` (docs/INBOX.md).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use application::inbox::add_note::AddNote;
use application::inbox::assign_conversation::{AssignConversation, Assigned};
use application::inbox::close_conversation::CloseConversation;
use application::inbox::create_routing_rule::CreateRoutingRule;
use application::inbox::delete_routing_rule::DeleteRoutingRule;
use application::inbox::get_conversation_tags::GetConversationTags;
use application::inbox::list_notes::ListNotes;
use application::inbox::list_routing_rules::ListRoutingRules;
use application::inbox::member_conversations::MemberConversations;
use application::inbox::route_thread::{RouteThread, Routed};
use application::inbox::set_conversation_tags::SetConversationTags;
use application::inbox::transfer_to_department::TransferToDepartment;
use domain::inbox::{Note, RoutingRuleDraft};
use domain::tenancy::Role;

use super::InboxHttp;
use super::dto::*;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::messaging::dto::ConversationDto;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx};

pub struct InboxApi;

#[derive(ApiResponse)]
enum RuleCreated {
    #[oai(status = 201)]
    Created(Json<RoutingRuleDto>),
}

#[derive(ApiResponse)]
enum RuleDeleted {
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
enum NoteCreated {
    #[oai(status = 201)]
    Created(Json<NoteDto>),
}

fn note_dto(n: &Note) -> NoteDto {
    NoteDto {
        id: n.id.as_uuid(),
        conversation_id: n.conversation_id.as_uuid(),
        author: n.author.clone(),
        member_id: n.member_id.map(|m| m.as_uuid()),
        body: n.body.clone(),
        created_at: n.created_at,
    }
}

fn dto(id: Uuid, a: &Assigned) -> AssignmentDto {
    let s = a.thread.snapshot();
    AssignmentDto {
        conversation_id: id,
        thread_id: s.id.as_uuid(),
        owner: s.owner.kind().into(),
        member_id: a.member_id.map(|m| m.as_uuid()),
        previous_member_id: a.previous_member_id.map(|m| m.as_uuid()),
        department_id: s.department_id.map(|d| d.as_uuid()),
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
        let cmd =
            AssignConversation { shop_id: shop, conversation_id: id.0.into(), member_id: Some(body.0.member_id.into()), transfer: false };
        let a = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.assign, cmd).await?;
        Ok(Json(dto(id.0, &a)))
    }

    /// Transfer a conversation (agent) to another member (as assigning, reason `transferred`) or
    /// to a department: it leaves its member, waits for that department's members in the order
    /// the customer started waiting, and routing gives it to one of them now if one fits (the
    /// answer's `memberId`), else as soon as one does. Exactly one of `memberId` and
    /// `departmentId`. `conversation.assigned` (reason `transferred`).
    #[oai(path = "/conversations/:id/transfer", method = "post", operation_id = "transferConversation")]
    async fn transfer(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<TransferRequest>,
    ) -> Result<Json<AssignmentDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        super::ensure_visible(&h.pipeline, &h.visible, &rid, shop, id.0).await?;
        let c = ctx(&rid, Some(shop));
        match (body.0.member_id, body.0.department_id) {
            (Some(m), None) => {
                let cmd = AssignConversation { shop_id: shop, conversation_id: id.0.into(), member_id: Some(m.into()), transfer: true };
                let a = h.pipeline.execute(&c, &h.assign, cmd).await?;
                Ok(Json(dto(id.0, &a)))
            }
            (None, Some(d)) => {
                let cmd = TransferToDepartment { shop_id: shop, conversation_id: id.0.into(), department_id: d.into() };
                let t = h.pipeline.execute(&c, &h.transfer, cmd).await?;
                let s = t.thread.snapshot();
                // Routed now if someone fits; a failure here leaves it queued for the routing job.
                let route = RouteThread { shop_id: shop, conversation_id: s.conversation_id };
                let member = match h.pipeline.execute(&c, &h.routing.route, route).await {
                    Ok(Routed::To(m)) => Some(m),
                    Ok(_) => None,
                    Err(e) => {
                        tracing::warn!(error = %application::Chain(&e), "a transferred thread could not be routed now; the job will");
                        None
                    }
                };
                Ok(Json(dto(
                    id.0,
                    &Assigned { thread: t.thread.clone(), member_id: member, previous_member_id: t.previous_member_id, changed: true },
                )))
            }
            _ => Err(ApiError::validation("memberId", "give exactly one of memberId and departmentId")),
        }
    }

    /// Route the shop's queue now (agent): each thread waiting for a person, oldest first, goes to
    /// a member of its department by the department's policy (of the whole team, `capacity_aware`,
    /// when it has none), never above capacity, only to `available` members, within working
    /// hours. What nobody can take keeps its place. The routing job does the same every 5 seconds.
    #[oai(path = "/routing/auto-assign", method = "post", operation_id = "autoAssign")]
    async fn auto_assign(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<RoutingPassDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        let p = h.routing.run(&ctx(&rid, Some(shop)), Some(shop), 500).await?;
        Ok(Json(RoutingPassDto { assigned: p.assigned, waiting: p.waiting }))
    }

    /// A conversation's tags (viewer), in order.
    #[oai(path = "/conversations/:id/tags", method = "get", operation_id = "getConversationTags")]
    async fn tags(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<TagsDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        super::ensure_visible(&h.pipeline, &h.visible, &rid, shop, id.0).await?;
        let q = GetConversationTags { shop_id: shop, conversation_id: id.0.into() };
        let tags = h.pipeline.query(&ctx(&rid, Some(shop)), &h.tags, q).await?;
        Ok(Json(TagsDto { conversation_id: id.0, tags }))
    }

    /// Replace a conversation's tags (agent): at most 20, each 1 to 50 characters, kept once
    /// (case-insensitively); `[]` clears them. The inbox list filters by them (`?tag=`);
    /// `conversation.tags.changed` when the set changed; audited. They go with the customer's
    /// export and erasure.
    #[oai(path = "/conversations/:id/tags", method = "put", operation_id = "setConversationTags")]
    async fn set_tags(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<TagsRequest>,
    ) -> Result<Json<TagsDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        super::ensure_visible(&h.pipeline, &h.visible, &rid, shop, id.0).await?;
        let cmd = SetConversationTags { shop_id: shop, conversation_id: id.0.into(), tags: body.0.tags };
        let t = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.set_tags, cmd).await?;
        Ok(Json(TagsDto { conversation_id: id.0, tags: t.tags }))
    }

    /// The shop's routing rules (viewer), in the order routing tries them.
    #[oai(path = "/routing/rules", method = "get", operation_id = "listRoutingRules")]
    async fn rules(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<RoutingRuleListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let rules = h.pipeline.query(&ctx(&rid, Some(shop)), &h.rules, ListRoutingRules { shop_id: shop }).await?;
        Ok(Json(RoutingRuleListDto { total: rules.len() as u64, items: rules.iter().map(RoutingRuleDto::from).collect() }))
    }

    /// Add a routing rule (admin): a thread that needs a person and has no department yet goes to
    /// the department of the first rule that matches its customer (any of `tags`, `language`)
    /// and number (`accountId`). The department and the number must be the shop's (422 naming
    /// them); audited.
    #[oai(path = "/routing/rules", method = "post", operation_id = "createRoutingRule")]
    async fn create_rule(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<RoutingRuleRequest>,
    ) -> Result<RuleCreated, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let draft = RoutingRuleDraft {
            name: b.name,
            priority: b.priority.unwrap_or(100),
            tags: b.tags.unwrap_or_default(),
            language: b.language,
            account_id: b.account_id.map(Into::into),
            department_id: b.department_id.into(),
        };
        let r = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.create_rule, CreateRoutingRule { shop_id: shop, draft }).await?;
        Ok(RuleCreated::Created(Json((&r).into())))
    }

    /// Remove a routing rule (admin); threads it routed keep their department; audited.
    #[oai(path = "/routing/rules/:id", method = "delete", operation_id = "deleteRoutingRule")]
    async fn delete_rule(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<RuleDeleted, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        h.pipeline.execute(&ctx(&rid, Some(shop)), &h.delete_rule, DeleteRoutingRule { shop_id: shop, rule_id: id.0.into() }).await?;
        Ok(RuleDeleted::NoContent)
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
        super::ensure_visible(&h.pipeline, &h.visible, &rid, shop, id.0).await?;
        let cmd = AssignConversation { shop_id: shop, conversation_id: id.0.into(), member_id: None, transfer: false };
        let a = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.assign, cmd).await?;
        Ok(Json(dto(id.0, &a)))
    }

    /// A conversation's internal notes, oldest first (viewer).
    #[oai(path = "/conversations/:id/notes", method = "get", operation_id = "listConversationNotes")]
    async fn notes(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        /// 1 to 500. Absent: 500.
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<NoteListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        super::ensure_visible(&h.pipeline, &h.visible, &rid, shop, id.0).await?;
        let limit = limit.0.unwrap_or(500);
        let q = ListNotes { shop_id: shop, conversation_id: id.0.into(), limit };
        let items = h.pipeline.query(&ctx(&rid, Some(shop)), &h.notes, q).await?;
        let n = items.len() as u64;
        Ok(Json(NoteListDto { items: items.iter().map(note_dto).collect(), total: n, has_more: n == limit }))
    }

    /// Write an internal note on a conversation (agent): never sent to the customer, kept with its
    /// author (the key that wrote it), exported and erased with the customer;
    /// `conversation.note.added`.
    #[oai(path = "/conversations/:id/notes", method = "post", operation_id = "addConversationNote")]
    async fn add_note(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<NoteRequest>,
    ) -> Result<NoteCreated, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        super::ensure_visible(&h.pipeline, &h.visible, &rid, shop, id.0).await?;
        let c = ctx(&rid, Some(shop));
        let author = c.actor.clone().unwrap_or_else(|| "system".into());
        let n = h
            .pipeline
            .execute(
                &c,
                &h.add_note,
                AddNote { shop_id: shop, conversation_id: id.0.into(), author, member_id: c.member, body: body.0.body },
            )
            .await?;
        Ok(NoteCreated::Created(Json(note_dto(&n))))
    }

    /// People are done with a conversation (agent), with a reason (absent: `resolved`): its inbox
    /// state becomes `closed` (the window, `status`, is untouched), and the thread goes back to
    /// the automated responders, freeing its member's capacity. Closing a closed conversation is
    /// 409 `CONFLICT`. The customer writing again opens it by itself.
    /// `conversation.inbox_state.changed`.
    #[oai(path = "/conversations/:id/close", method = "post", operation_id = "closeConversation")]
    async fn close(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<CloseRequest>,
    ) -> Result<Json<ConversationDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        super::ensure_visible(&h.pipeline, &h.visible, &rid, shop, id.0).await?;
        let reason = body.0.reason.unwrap_or_else(|| "resolved".into());
        let cmd = CloseConversation { shop_id: shop, conversation_id: id.0.into(), close_reason: Some(reason) };
        let c = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.close, cmd).await?;
        Ok(Json(ConversationDto::new(c, chrono::Utc::now())))
    }

    /// Set a conversation aside (agent), waiting on someone else, with a reason (absent:
    /// `waiting`): its inbox state becomes `pending`. The window, the owner and the assignee are
    /// untouched. Setting aside a pending conversation is 409 `CONFLICT`; the customer writing
    /// again, or reopening, makes it `open`. `conversation.inbox_state.changed`.
    #[oai(path = "/conversations/:id/pending", method = "post", operation_id = "setConversationPending")]
    async fn pending(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<PendingRequest>,
    ) -> Result<Json<ConversationDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        super::ensure_visible(&h.pipeline, &h.visible, &rid, shop, id.0).await?;
        let reason = body.0.reason.unwrap_or_else(|| "waiting".into());
        let cmd = application::inbox::set_pending::SetPending { shop_id: shop, conversation_id: id.0.into(), reason };
        let c = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.pending, cmd).await?;
        Ok(Json(ConversationDto::new(c, chrono::Utc::now())))
    }

    /// Take a conversation up again (agent): its inbox state is `open`. Reopening an older
    /// window while a newer one is active reopens the newer one (the answer is it); reopening an
    /// open conversation changes nothing. `conversation.inbox_state.changed`.
    #[oai(path = "/conversations/:id/reopen", method = "post", operation_id = "reopenConversation")]
    async fn reopen(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<ConversationDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        super::ensure_visible(&h.pipeline, &h.visible, &rid, shop, id.0).await?;
        let cmd = CloseConversation { shop_id: shop, conversation_id: id.0.into(), close_reason: None };
        let c = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.close, cmd).await?;
        Ok(Json(ConversationDto::new(c, chrono::Utc::now())))
    }

    /// The conversations a member holds now (viewer): people own them and assigned them to this
    /// member, and their time has not run out; the longest held first. Their count is the
    /// member's `load`.
    #[oai(path = "/agents/:id/conversations", method = "get", operation_id = "listAgentConversations")]
    async fn member_conversations(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<HeldThreadListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let q = MemberConversations { shop_id: shop, member_id: id.0.into() };
        let threads = h.pipeline.query(&ctx(&rid, Some(shop)), &h.member_conversations, q).await?;
        let items: Vec<HeldThreadDto> = threads
            .iter()
            .map(|t| {
                let s = t.snapshot();
                HeldThreadDto {
                    conversation_id: s.conversation_id.as_uuid(),
                    thread_id: s.id.as_uuid(),
                    customer_id: s.customer_id.as_uuid(),
                    wa_id: s.wa_id.to_string(),
                    owner_since: s.owner_since,
                    owner_expires_at: s.owner_expires_at,
                    waiting_since: s.waiting_since,
                }
            })
            .collect();
        Ok(Json(HeldThreadListDto { total: items.len() as u64, items, has_more: false }))
    }
}
