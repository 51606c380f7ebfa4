//! ListAccounts: every number of a shop.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::AccountReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::ShopId;
use domain::accounts::WhatsAppAccount;

#[derive(Debug, Validate)]
pub struct ListAccounts {
    pub shop_id: ShopId,
}

#[derive(Debug, thiserror::Error)]
pub enum ListAccountsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the accounts")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListAccountsError);

impl Query for ListAccounts {
    type Output = Vec<WhatsAppAccount>;
    type Error = ListAccountsError;
    const NAME: &'static str = "ListAccounts";
}

pub struct ListAccountsHandler {
    pub reads: Arc<dyn AccountReads>,
}

#[async_trait]
impl QueryHandler<ListAccounts> for ListAccountsHandler {
    async fn handle(&self, q: &ListAccounts) -> Result<Vec<WhatsAppAccount>, ListAccountsError> {
        Ok(self.reads.accounts(q.shop_id).await?)
    }
}
