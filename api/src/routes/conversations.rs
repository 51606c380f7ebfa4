use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use application::queries::{GetConversation, GetConversationStatus, ListConversations, Queries};
use domain::ConversationId;
use domain::conversation::ConversationStatus;
use domain::shop::Role;

use super::{ApiTags, ctx, page, phone, wa_id};
use crate::auth::ApiKeyAuth;
use crate::dto::*;
use crate::error::ApiError;
use crate::http::RequestId;
use crate::state::AppState;

pub struct ConversationsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Conversations")]
impl ConversationsApi {
    /// The 24-hour window with a customer (viewer): may a free-form message be sent now?
    /// Give `waId` or `userId`; `from` narrows it to one business number.
    #[oai(path = "/conversations/status", method = "get", operation_id = "getConversationStatus")]
    async fn status(
        &self,
        state: Data<&Arc<AppState>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        #[oai(name = "waId")] wa: Query<Option<String>>,
        #[oai(name = "userId")] user_id: Query<Option<String>>,
        /// The business number (E.164)
        from: Query<Option<String>>,
    ) -> Result<Json<ConversationStatusDto>, ApiError> {
        let shop = state.shop_principal(&auth, Role::Viewer).await?;
        let q = GetConversationStatus {
            shop_id: shop,
            wa_id: wa.0.as_deref().map(|w| wa_id("waId", w)).transpose()?,
            user_id: user_id.0,
            from: from.0.as_deref().map(|f| phone("from", f)).transpose()?,
            now: state.clock.now(),
        };
        let v = state.pipeline.query(&ctx(&rid, Some(shop)), &Queries, q).await?;
        Ok(Json(ConversationStatusDto {
            user_id: v.user_id,
            phone_number: v.wa_id.to_phone(),
            wa_id: v.wa_id.to_string(),
            business_phone_number: v.account.map(|a| a.display_phone_number.to_string()),
            conversation_id: v.conversation.map(|c| c.id.as_uuid()),
            can_send_free_message: v.window.can_send_free_message(),
            conversation_window: v.window.into(),
        }))
    }

    /// List conversations (viewer), most recently active first.
    #[oai(path = "/conversations", method = "get", operation_id = "listConversations")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        /// active, closed or expired
        status: Query<Option<String>>,
        #[oai(name = "waId")] wa: Query<Option<String>>,
        limit: Query<Option<u64>>,
        offset: Query<Option<u64>>,
    ) -> Result<Json<ConversationListDto>, ApiError> {
        let shop = state.shop_principal(&auth, Role::Viewer).await?;
        let status = match status.0.as_deref() {
            None => None,
            Some(s) => Some(ConversationStatus::parse(s).ok_or_else(|| ApiError::validation("status", "active, closed or expired"))?),
        };
        let (limit, offset) = page(limit.0, offset.0);
        let q = ListConversations {
            shop_id: shop,
            status,
            wa_id: wa.0.as_deref().map(|w| wa_id("waId", w)).transpose()?,
            account_id: None,
            limit,
            offset,
        };
        let (items, total) = state.pipeline.query(&ctx(&rid, Some(shop)), &Queries, q).await?;
        let now = state.clock.now();
        let has_more = offset + (items.len() as u64) < total;
        Ok(Json(ConversationListDto { conversations: items.into_iter().map(|c| ConversationDto::new(c, now)).collect(), total, has_more }))
    }

    /// One conversation with its messages (viewer), newest first.
    #[oai(path = "/conversations/:conversation_id", method = "get", operation_id = "getConversation")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        conversation_id: Path<Uuid>,
        limit: Query<Option<u64>>,
        offset: Query<Option<u64>>,
    ) -> Result<Json<ConversationDetailDto>, ApiError> {
        let shop = state.shop_principal(&auth, Role::Viewer).await?;
        let (limit, offset) = page(limit.0, offset.0);
        let q = GetConversation { shop_id: shop, conversation_id: ConversationId::from(conversation_id.0), limit, offset };
        let (c, p) = state.pipeline.query(&ctx(&rid, Some(shop)), &Queries, q).await?;
        Ok(Json(ConversationDetailDto {
            conversation: ConversationDto::new(c, state.clock.now()),
            messages: p.messages.into_iter().map(Into::into).collect(),
            total: p.total,
            has_more: p.has_more,
        }))
    }
}
