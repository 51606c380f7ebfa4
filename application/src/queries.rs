//! Queries (reads). They go through the pipeline's logging and validation, never a transaction.

use async_trait::async_trait;
use validator::Validate;

use crate::error::AppError;
use crate::pipeline::{Query, QueryHandler};
use crate::ports::{ConversationFilter, MessageFilter, Page, ReadStore};
use domain::account::WhatsAppAccount;
use domain::conversation::{Conversation, ConversationStatus};
use domain::customer::Customer;
use domain::message::{Direction, Message};
use domain::phone::{PhoneNumber, WaId};
use domain::window::{self, WindowState};
use domain::{AccountId, ConversationId, ShopId};

pub struct Queries;

#[derive(Debug, Validate)]
pub struct GetMessages {
    pub shop_id: ShopId,
    pub wa_id: Option<WaId>,
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub user_id: Option<String>,
    pub conversation_id: Option<ConversationId>,
    pub direction: Option<Direction>,
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub limit: u64,
    #[validate(range(max = 1_000_000, message = "must be at most 1000000"))]
    pub offset: u64,
}

pub struct MessagePage {
    pub messages: Vec<Message>,
    pub total: u64,
    pub has_more: bool,
}

impl Query for GetMessages {
    type Output = MessagePage;
    const NAME: &'static str = "GetMessages";
}

#[async_trait]
impl QueryHandler<GetMessages> for Queries {
    async fn handle(&self, q: GetMessages, store: &dyn ReadStore) -> Result<MessagePage, AppError> {
        let mut filter = MessageFilter { wa_id: q.wa_id, conversation_id: q.conversation_id, direction: q.direction, ..Default::default() };
        if let Some(user_id) = q.user_id {
            // userId is an identifier a sibling service attached to a customer.
            match store.customer_by_user_id(q.shop_id, &user_id).await? {
                Some(c) if filter.wa_id.as_ref().is_none_or(|w| *w == c.wa_id) => filter.wa_id = Some(c.wa_id),
                _ => filter.user_id = Some(user_id),
            }
        }
        let page = Page { limit: q.limit, offset: q.offset };
        let (messages, total) = store.messages(q.shop_id, &filter, page).await?;
        let has_more = q.offset + (messages.len() as u64) < total;
        Ok(MessagePage { messages, total, has_more })
    }
}

#[derive(Debug, Validate)]
pub struct GetConversationStatus {
    pub shop_id: ShopId,
    pub wa_id: Option<WaId>,
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub user_id: Option<String>,
    /// The business number; omitted = the latest conversation on any of the shop's numbers.
    pub from: Option<PhoneNumber>,
    pub now: chrono::DateTime<chrono::Utc>,
}

pub struct ConversationStatusView {
    pub wa_id: WaId,
    pub user_id: Option<String>,
    pub conversation: Option<Conversation>,
    pub account: Option<WhatsAppAccount>,
    pub window: WindowState,
}

impl Query for GetConversationStatus {
    type Output = ConversationStatusView;
    const NAME: &'static str = "GetConversationStatus";
}

#[async_trait]
impl QueryHandler<GetConversationStatus> for Queries {
    async fn handle(&self, q: GetConversationStatus, store: &dyn ReadStore) -> Result<ConversationStatusView, AppError> {
        let customer: Option<Customer> = match (&q.wa_id, &q.user_id) {
            (Some(w), _) => store.customer_by_wa_id(q.shop_id, w).await?,
            (None, Some(u)) => Some(store.customer_by_user_id(q.shop_id, u).await?.ok_or(AppError::NotFound("customer"))?),
            (None, None) => return Err(AppError::validation("waId", "waId or userId is required")),
        };
        let wa_id = q.wa_id.or_else(|| customer.as_ref().map(|c| c.wa_id.clone())).ok_or(AppError::NotFound("customer"))?;
        let account = match &q.from {
            Some(number) => Some(
                store
                    .account_by_display_number(q.shop_id, number)
                    .await?
                    .ok_or_else(|| AppError::InvalidPhoneNumber(format!("{number} is not a WhatsApp number connected to this shop")))?,
            ),
            None => None,
        };
        let conversation = store.latest_conversation(q.shop_id, account.as_ref().map(|a| a.id), &wa_id).await?;
        let window = conversation.as_ref().map_or_else(|| window::evaluate(None, None, q.now), |c| c.window(q.now));
        let account = match (account, &conversation) {
            (Some(a), _) => Some(a),
            (None, Some(c)) => store.account(q.shop_id, c.account_id).await?,
            (None, None) => None,
        };
        Ok(ConversationStatusView { wa_id, user_id: customer.and_then(|c| c.user_id), conversation, account, window })
    }
}

#[derive(Debug, Validate)]
pub struct ListConversations {
    pub shop_id: ShopId,
    pub status: Option<ConversationStatus>,
    pub wa_id: Option<WaId>,
    pub account_id: Option<AccountId>,
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub limit: u64,
    pub offset: u64,
}

impl Query for ListConversations {
    type Output = (Vec<Conversation>, u64);
    const NAME: &'static str = "GetActiveConversations";
}

#[async_trait]
impl QueryHandler<ListConversations> for Queries {
    async fn handle(&self, q: ListConversations, store: &dyn ReadStore) -> Result<(Vec<Conversation>, u64), AppError> {
        let filter = ConversationFilter { status: q.status, wa_id: q.wa_id, account_id: q.account_id };
        Ok(store.conversations(q.shop_id, &filter, Page { limit: q.limit, offset: q.offset }).await?)
    }
}

#[derive(Debug, Validate)]
pub struct GetConversation {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub limit: u64,
    pub offset: u64,
}

impl Query for GetConversation {
    type Output = (Conversation, MessagePage);
    const NAME: &'static str = "GetConversation";
}

#[async_trait]
impl QueryHandler<GetConversation> for Queries {
    async fn handle(&self, q: GetConversation, store: &dyn ReadStore) -> Result<(Conversation, MessagePage), AppError> {
        let c = store.conversation(q.shop_id, q.conversation_id).await?.ok_or(AppError::NotFound("conversation"))?;
        let filter = MessageFilter { conversation_id: Some(c.id), ..Default::default() };
        let (messages, total) = store.messages(q.shop_id, &filter, Page { limit: q.limit, offset: q.offset }).await?;
        let has_more = q.offset + (messages.len() as u64) < total;
        Ok((c, MessagePage { messages, total, has_more }))
    }
}
