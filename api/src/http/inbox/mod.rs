//! The team inbox API: routing, assigning and transferring conversations, notes, closing (the
//! inbox list, quick replies and the stream join here).

pub mod dto;
pub mod quick_replies;
pub mod routes;
pub mod stats;
pub mod stream;

use std::sync::Arc;

use application::Pipeline;
use application::inbox::add_note::{AddNoteError, AddNoteHandler};
use application::inbox::assign_conversation::{AssignConversationError, AssignConversationHandler};
use application::inbox::auto_assign::AutoAssign;
use application::inbox::close_conversation::{CloseConversationError, CloseConversationHandler};
use application::inbox::create_quick_reply::CreateQuickReplyHandler;
use application::inbox::create_routing_rule::{CreateRoutingRuleError, CreateRoutingRuleHandler};
use application::inbox::delete_quick_reply::DeleteQuickReplyHandler;
use application::inbox::delete_routing_rule::{DeleteRoutingRuleError, DeleteRoutingRuleHandler};
use application::inbox::get_conversation_tags::{GetConversationTagsError, GetConversationTagsHandler};
use application::inbox::list_notes::{ListNotesError, ListNotesHandler};
use application::inbox::list_quick_replies::ListQuickRepliesHandler;
use application::inbox::list_routing_rules::{ListRoutingRulesError, ListRoutingRulesHandler};
use application::inbox::member_conversations::{MemberConversationsError, MemberConversationsHandler};
use application::inbox::render_quick_reply::{RenderQuickReplyError, RenderQuickReplyHandler};
use application::inbox::route_thread::{RouteThreadError, RouteThreadHandler};
use application::inbox::set_conversation_tags::{SetConversationTagsError, SetConversationTagsHandler};
use application::inbox::transfer_to_department::{TransferToDepartmentError, TransferToDepartmentHandler};
use application::inbox::update_quick_reply::UpdateQuickReplyHandler;
use domain::inbox::AssignRefusal;

use super::error::ApiError;
use crate::adapters::Adapters;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api = (routes::InboxApi, quick_replies::QuickRepliesApi, stream::StreamApi, stats::StatsApi);

pub fn api() -> Api {
    (routes::InboxApi, quick_replies::QuickRepliesApi, stream::StreamApi, stats::StatsApi)
}

pub struct InboxHttp {
    pub pipeline: Pipeline,
    pub assign: AssignConversationHandler,
    pub add_note: AddNoteHandler,
    pub notes: ListNotesHandler,
    pub close: CloseConversationHandler,
    pub pending: application::inbox::set_pending::SetPendingHandler,
    pub member_conversations: MemberConversationsHandler,
    pub transfer: TransferToDepartmentHandler,
    pub routing: AutoAssign,
    pub create_rule: CreateRoutingRuleHandler,
    pub delete_rule: DeleteRoutingRuleHandler,
    pub rules: ListRoutingRulesHandler,
    pub set_tags: SetConversationTagsHandler,
    pub tags: GetConversationTagsHandler,
    pub quick_replies: ListQuickRepliesHandler,
    pub create_quick_reply: CreateQuickReplyHandler,
    pub update_quick_reply: UpdateQuickReplyHandler,
    pub delete_quick_reply: DeleteQuickReplyHandler,
    /// This replica's live feed, for `GET /stream`.
    pub live: Arc<application::inbox::live::LiveFeed>,
    pub messaging_reads: Arc<dyn application::messaging::ports::MessagingReads>,
    pub clock: Arc<dyn application::shared::ports::Clock>,
    /// How often an idle stream sends a comment line: under the connection's idle timeout.
    pub keep_alive: std::time::Duration,
    pub agent_stats: application::inbox::get_agent_stats::GetAgentStatsHandler,
    pub visible: application::inbox::conversation_visible::ConversationVisibleHandler,
    pub team_stats: application::inbox::get_team_stats::GetTeamStatsHandler,
}

/// Whether a key bound to a member may see a conversation (the inbox's routes and replies).
pub fn visibility(a: &Adapters) -> application::inbox::conversation_visible::ConversationVisibleHandler {
    application::inbox::conversation_visible::ConversationVisibleHandler { reads: a.messaging_reads.clone(), clock: a.clock.clone() }
}

/// For a key bound to a member: the conversation must be one the member may see (assigned to
/// them, or in one of their departments), else it is not found. Other keys see the shop's.
pub async fn ensure_visible(
    pipeline: &Pipeline,
    handler: &application::inbox::conversation_visible::ConversationVisibleHandler,
    rid: &crate::http::middleware::RequestId,
    shop: domain::ShopId,
    conversation: uuid::Uuid,
) -> Result<(), ApiError> {
    let Some(member) = crate::http::member() else { return Ok(()) };
    let q = application::inbox::conversation_visible::ConversationVisible {
        shop_id: shop,
        conversation_id: conversation.into(),
        member_id: member,
    };
    if pipeline.query(&crate::http::ctx(rid, Some(shop)), handler, q).await? { Ok(()) } else { Err(ApiError::not_found("conversation")) }
}

impl From<application::inbox::conversation_visible::ConversationVisibleError> for ApiError {
    fn from(e: application::inbox::conversation_visible::ConversationVisibleError) -> Self {
        use application::inbox::conversation_visible::ConversationVisibleError as E;
        match e {
            E::Invalid(i) => i.into(),
            E::Storage(s) => s.into(),
        }
    }
}

fn working_hours(a: &Adapters) -> application::inbox::get_agent_stats::WorkingHours {
    application::inbox::get_agent_stats::WorkingHours { tenancy: a.tenancy_reads.clone(), team: a.team_reads.clone() }
}

/// Fills a quick reply for a reply on a conversation (`POST /conversations/{id}/messages`).
pub fn quick_reply_renderer(a: &Adapters) -> RenderQuickReplyHandler {
    RenderQuickReplyHandler {
        inbox: a.inbox_reads.clone(),
        messaging: a.messaging_reads.clone(),
        customers: a.customer_reads.clone(),
        team: a.team_reads.clone(),
    }
}

/// The router, as the routing job and `POST /routing/auto-assign` run it.
pub fn router(a: &Adapters) -> AutoAssign {
    AutoAssign {
        pipeline: a.pipeline.clone(),
        route: RouteThreadHandler { clock: a.clock.clone(), customers: a.customer_reads.clone() },
        reads: a.inbox_reads.clone(),
        clock: a.clock.clone(),
    }
}

pub fn wire(a: &Adapters) -> Arc<InboxHttp> {
    Arc::new(InboxHttp {
        pipeline: a.pipeline.clone(),
        assign: AssignConversationHandler { clock: a.clock.clone() },
        add_note: AddNoteHandler { clock: a.clock.clone() },
        notes: ListNotesHandler { reads: a.inbox_reads.clone() },
        close: CloseConversationHandler { clock: a.clock.clone() },
        pending: application::inbox::set_pending::SetPendingHandler { clock: a.clock.clone() },
        member_conversations: MemberConversationsHandler { reads: a.inbox_reads.clone(), clock: a.clock.clone() },
        transfer: TransferToDepartmentHandler { clock: a.clock.clone() },
        routing: router(a),
        create_rule: CreateRoutingRuleHandler { clock: a.clock.clone() },
        delete_rule: DeleteRoutingRuleHandler,
        rules: ListRoutingRulesHandler { reads: a.inbox_reads.clone() },
        set_tags: SetConversationTagsHandler { clock: a.clock.clone() },
        tags: GetConversationTagsHandler { reads: a.inbox_reads.clone() },
        quick_replies: ListQuickRepliesHandler { reads: a.inbox_reads.clone() },
        create_quick_reply: CreateQuickReplyHandler { clock: a.clock.clone() },
        update_quick_reply: UpdateQuickReplyHandler { clock: a.clock.clone() },
        delete_quick_reply: DeleteQuickReplyHandler,
        live: a.live.clone(),
        messaging_reads: a.messaging_reads.clone(),
        clock: a.clock.clone(),
        keep_alive: (a.config.http_idle_timeout / 2).min(std::time::Duration::from_secs(15)),
        agent_stats: application::inbox::get_agent_stats::GetAgentStatsHandler { reads: a.inbox_reads.clone(), hours: working_hours(a) },
        visible: visibility(a),
        team_stats: application::inbox::get_team_stats::GetTeamStatsHandler { reads: a.inbox_reads.clone(), hours: working_hours(a) },
    })
}

impl From<AssignConversationError> for ApiError {
    fn from(e: AssignConversationError) -> Self {
        match e {
            AssignConversationError::Invalid(i) => i.into(),
            AssignConversationError::NotFound => ApiError::not_found("conversation"),
            AssignConversationError::Refused(r @ AssignRefusal::AtCapacity { .. }) => {
                ApiError::conflict("CONFLICT", format!("the member {r}"))
            }
            AssignConversationError::Refused(r) => ApiError::validation("memberId", &r.to_string()),
            AssignConversationError::Storage(s) => s.into(),
        }
    }
}

impl From<AddNoteError> for ApiError {
    fn from(e: AddNoteError) -> Self {
        match e {
            AddNoteError::Invalid(i) => i.into(),
            AddNoteError::NotFound => ApiError::not_found("conversation"),
            AddNoteError::Problem(p) => ApiError::problems(&[p]),
            AddNoteError::Storage(s) => s.into(),
        }
    }
}

impl From<ListNotesError> for ApiError {
    fn from(e: ListNotesError) -> Self {
        match e {
            ListNotesError::Invalid(i) => i.into(),
            ListNotesError::NotFound => ApiError::not_found("conversation"),
            ListNotesError::Storage(s) => s.into(),
        }
    }
}

impl From<CloseConversationError> for ApiError {
    fn from(e: CloseConversationError) -> Self {
        match e {
            CloseConversationError::Invalid(i) => i.into(),
            CloseConversationError::NotFound => ApiError::not_found("conversation"),
            CloseConversationError::AlreadyClosed => ApiError::conflict("CONFLICT", "the conversation is already closed"),
            CloseConversationError::Storage(s) => s.into(),
        }
    }
}

impl From<application::inbox::set_pending::SetPendingError> for ApiError {
    fn from(e: application::inbox::set_pending::SetPendingError) -> Self {
        use application::inbox::set_pending::SetPendingError as E;
        match e {
            E::Invalid(i) => i.into(),
            E::NotFound => ApiError::not_found("conversation"),
            E::AlreadyPending => ApiError::conflict("CONFLICT", "the conversation is already pending"),
            E::Storage(s) => s.into(),
        }
    }
}

impl From<MemberConversationsError> for ApiError {
    fn from(e: MemberConversationsError) -> Self {
        match e {
            MemberConversationsError::Invalid(i) => i.into(),
            MemberConversationsError::NotFound => ApiError::not_found("agent"),
            MemberConversationsError::Storage(s) => s.into(),
        }
    }
}

impl From<TransferToDepartmentError> for ApiError {
    fn from(e: TransferToDepartmentError) -> Self {
        match e {
            TransferToDepartmentError::Invalid(i) => i.into(),
            TransferToDepartmentError::NotFound => ApiError::not_found("conversation"),
            TransferToDepartmentError::UnknownDepartment => ApiError::validation("departmentId", &e.to_string()),
            TransferToDepartmentError::Storage(s) => s.into(),
        }
    }
}

impl From<RouteThreadError> for ApiError {
    fn from(e: RouteThreadError) -> Self {
        match e {
            RouteThreadError::Invalid(i) => i.into(),
            RouteThreadError::Storage(s) => s.into(),
        }
    }
}

impl From<CreateRoutingRuleError> for ApiError {
    fn from(e: CreateRoutingRuleError) -> Self {
        match e {
            CreateRoutingRuleError::Invalid(i) => i.into(),
            CreateRoutingRuleError::Problems(p) => ApiError::problems(&p),
            CreateRoutingRuleError::Storage(s) => s.into(),
        }
    }
}

impl From<DeleteRoutingRuleError> for ApiError {
    fn from(e: DeleteRoutingRuleError) -> Self {
        match e {
            DeleteRoutingRuleError::Invalid(i) => i.into(),
            DeleteRoutingRuleError::NotFound => ApiError::not_found("routing rule"),
            DeleteRoutingRuleError::Storage(s) => s.into(),
        }
    }
}

impl From<ListRoutingRulesError> for ApiError {
    fn from(e: ListRoutingRulesError) -> Self {
        match e {
            ListRoutingRulesError::Invalid(i) => i.into(),
            ListRoutingRulesError::Storage(s) => s.into(),
        }
    }
}

impl From<SetConversationTagsError> for ApiError {
    fn from(e: SetConversationTagsError) -> Self {
        match e {
            SetConversationTagsError::Invalid(i) => i.into(),
            SetConversationTagsError::NotFound => ApiError::not_found("conversation"),
            SetConversationTagsError::Problems(p) => ApiError::problems(&p),
            SetConversationTagsError::Storage(s) => s.into(),
        }
    }
}

impl From<GetConversationTagsError> for ApiError {
    fn from(e: GetConversationTagsError) -> Self {
        match e {
            GetConversationTagsError::Invalid(i) => i.into(),
            GetConversationTagsError::NotFound => ApiError::not_found("conversation"),
            GetConversationTagsError::Storage(s) => s.into(),
        }
    }
}

impl From<RenderQuickReplyError> for ApiError {
    fn from(e: RenderQuickReplyError) -> Self {
        match e {
            RenderQuickReplyError::Invalid(i) => i.into(),
            RenderQuickReplyError::ConversationNotFound => ApiError::not_found("conversation"),
            RenderQuickReplyError::QuickReplyNotFound => ApiError::validation("quickReplyId", "no such quick reply for this key"),
            RenderQuickReplyError::Missing(p) => ApiError::problems(&[p]),
            RenderQuickReplyError::Storage(s) => s.into(),
        }
    }
}
