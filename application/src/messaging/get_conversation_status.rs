//! GetConversationStatus: the 24-hour window with a customer (seed 004): may a free-form
//! message be sent now? By `waId` or `userId`, on one business number or any of the shop's.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use validator::Validate;

use super::ports::MessagingReads;
use crate::accounts::ports::AccountReads;
use crate::customers::ports::CustomerReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::accounts::WhatsAppAccount;
use domain::messaging::{Conversation, WindowState, window};
use domain::{PhoneNumber, ShopId, WaId};

#[derive(Debug, Validate)]
pub struct GetConversationStatus {
    pub shop_id: ShopId,
    pub wa_id: Option<WaId>,
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub user_id: Option<String>,
    /// The business number; omitted = the latest conversation on any of the shop's numbers.
    pub from: Option<PhoneNumber>,
    pub now: DateTime<Utc>,
}

pub struct ConversationStatusView {
    pub wa_id: WaId,
    pub user_id: Option<String>,
    pub conversation: Option<Conversation>,
    pub account: Option<WhatsAppAccount>,
    pub window: WindowState,
}

#[derive(Debug, thiserror::Error)]
pub enum GetConversationStatusError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("customer not found")]
    CustomerNotFound,
    #[error("{0} is not a WhatsApp number connected to this shop")]
    UnknownSender(PhoneNumber),
    #[error("could not read the conversation")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetConversationStatusError);

impl Query for GetConversationStatus {
    type Output = ConversationStatusView;
    type Error = GetConversationStatusError;
    const NAME: &'static str = "GetConversationStatus";
}

pub struct GetConversationStatusHandler {
    pub reads: Arc<dyn MessagingReads>,
    pub customers: Arc<dyn CustomerReads>,
    pub accounts: Arc<dyn AccountReads>,
}

#[async_trait]
impl QueryHandler<GetConversationStatus> for GetConversationStatusHandler {
    async fn handle(&self, q: &GetConversationStatus) -> Result<ConversationStatusView, GetConversationStatusError> {
        let customer = match (&q.wa_id, &q.user_id) {
            (Some(w), _) => self.customers.by_wa_id(q.shop_id, w).await?,
            (None, Some(u)) => Some(self.customers.by_user_id(q.shop_id, u).await?.ok_or(GetConversationStatusError::CustomerNotFound)?),
            (None, None) => return Err(Invalid::new("waId", "waId or userId is required").into()),
        };
        let wa_id =
            q.wa_id.clone().or_else(|| customer.as_ref().map(|c| c.wa_id().clone())).ok_or(GetConversationStatusError::CustomerNotFound)?;
        let account = match &q.from {
            Some(number) => Some(
                self.accounts
                    .by_display_number(q.shop_id, number)
                    .await?
                    .ok_or_else(|| GetConversationStatusError::UnknownSender(number.clone()))?,
            ),
            None => None,
        };
        let conversation = self.reads.latest_conversation(q.shop_id, account.as_ref().map(|a| a.id()), &wa_id).await?;
        let window = conversation.as_ref().map_or_else(|| window::evaluate(None, None, q.now), |c| c.window(q.now));
        let account = match (account, &conversation) {
            (Some(a), _) => Some(a),
            (None, Some(c)) => self.accounts.account(q.shop_id, c.account_id()).await?,
            (None, None) => None,
        };
        Ok(ConversationStatusView { wa_id, user_id: customer.and_then(|c| c.user_id().map(str::to_owned)), conversation, account, window })
    }
}
